"""One real-browser run: headless Chromium clicks Connect, approves, lands on the success page."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from browser import needs_chromium

from spotify_etl.settings import load_settings
from spotify_etl.storage import database, open_database
from spotify_etl.people.tokens import TokenStore


pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture
def live_helper(env):
    """Serve the helper on a free loopback port, its redirect URI pointing at that port."""
    from werkzeug.serving import make_server

    from auth_server import create_app

    server = make_server("127.0.0.1", 0, lambda environ, start_response: [], threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    settings = replace(load_settings(), redirect_uri=f"{base}/callback")
    server.app = create_app(settings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def test_a_person_connects_in_a_real_browser(live_helper, browser, env):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(live_helper + "/")
    assert "Nobody has connected yet" in browser.page_source
    browser.find_element(By.ID, "connect").click()
    # Spotify's (the sandbox's) consent page
    wait.until(until.presence_of_element_located((By.ID, "approve")))
    assert browser.current_url.startswith(env.accounts_url + "/authorize?")
    chosen = env.world.users[3]
    Select(browser.find_element(By.ID, "user_id")).select_by_value(chosen.id)
    browser.find_element(By.ID, "approve").click()
    wait.until(until.presence_of_element_located((By.ID, "success")))
    assert browser.current_url == live_helper + "/connected"  # the code is gone from the bar
    name = chosen.display_name or chosen.id
    assert browser.find_element(By.ID, "person-name").text == name
    with open_database() as db:
        person = db.users.find_one({"_id": chosen.id})
    assert person["status"] == "active" and person["display_name"] == chosen.display_name
    token = TokenStore(database(), load_settings()).token_info(chosen.id)
    assert token["refresh_token"] not in browser.page_source
    browser.get(live_helper + "/")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-user-id="{chosen.id}"]')
    assert "active" in row.text
