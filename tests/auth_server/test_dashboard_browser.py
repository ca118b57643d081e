"""The dashboard as a person uses it: headless Chromium signs in through the sandbox's consent
page, opens each page, checks that every chart was drawn (plotly's SVG with data marks in
it), downloads the PNG card, meets a 403 and a 404, and saves the screenshots the README shows."""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import pytest
from browser import needs_chromium
from dashboard_env import GROUP, analyse, configure

from analytics_helpers import FIRST_DAY, LAST_DAY

pytestmark = [pytest.mark.browser, needs_chromium]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# What plotly draws for a chart's data: line traces and points, bars, heat-map images.
MARKS = (".scatterlayer .trace path.js-line, .scatterlayer .point, .barlayer .point path, "
         ".heatmaplayer image")
CHART_REPORT = """
var marks = arguments[0];
return Array.from(document.querySelectorAll('.chart')).map(function (chart) {
  var images = Array.from(chart.querySelectorAll('.heatmaplayer image'));
  var svg = chart.querySelector('svg.main-svg');
  return {id: chart.id, svg: chart.querySelectorAll('svg.main-svg').length,
          // plotly's own stylesheet applied (a CSP that blocks it stacks the layers wrongly)
          styled: svg !== null && getComputedStyle(svg).position === 'absolute',
          marks: chart.querySelectorAll(marks).length,
          traces: (chart.data || []).length,
          images_drawn: images.filter(function (i) {
            return (i.getAttribute('href') || '').indexOf('data:image/png') === 0; }).length,
          images: images.length};
});
"""
FETCH = """
var done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'}).then(function (r) {
  return r.arrayBuffer().then(function (body) {
    var bytes = new Uint8Array(body), text = '';
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    done({status: r.status, type: r.headers.get('content-type'), body: btoa(text)});
  });
});
"""


@pytest.fixture(scope="module")
def world():
    from spotify_sandbox import SandboxServer

    with SandboxServer(mode="extended", seed=42, users=50) as srv:
        yield srv


@pytest.fixture
def live_dashboard(stored, world, monkeypatch):
    """The web helper on a free loopback port, over the analysed snapshots."""
    from werkzeug.serving import make_server

    from auth_server import create_app

    analyse(stored, FIRST_DAY, LAST_DAY)
    server = make_server("127.0.0.1", 0, lambda environ, start_response: [], threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    configure(monkeypatch, world, base)
    server.app = create_app()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def open_and_check_charts(browser, url: str, expected: set[str]) -> list[dict]:
    """Open a page, wait until its charts say they are drawn, check each has data marks."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 30).until(until.presence_of_element_located(
        (By.CSS_SELECTOR, "body[data-charts-rendered]")))
    charts = browser.execute_script(CHART_REPORT, MARKS)
    assert {c["id"] for c in charts} == expected
    for chart in charts:
        assert chart["svg"] >= 1 and chart["traces"] >= 1 and chart["styled"], chart
        assert chart["marks"] >= 1, chart
        assert chart["images"] == chart["images_drawn"], chart  # heat maps really painted
    return charts


def screenshot(browser, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    chrome = browser.execute_script("return window.outerHeight - window.innerHeight")
    browser.set_window_size(1440, min(height + chrome + 20, 4000))
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    browser.set_window_size(1440, 1000)


def test_a_person_signs_in_and_sees_their_pages_drawn(live_dashboard, browser, stored, world):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import Select, WebDriverWait

    me, other = stored[0], stored[1]
    wait = WebDriverWait(browser, 20)
    browser.get(live_dashboard + "/dashboard/")
    browser.find_element(By.ID, "sign-in").click()
    wait.until(until.presence_of_element_located((By.ID, "approve")))  # Spotify's consent page
    assert browser.current_url.startswith(world.accounts_url + "/authorize?")
    Select(browser.find_element(By.ID, "user_id")).select_by_value(me)
    browser.find_element(By.ID, "approve").click()
    wait.until(until.presence_of_element_located((By.ID, "top-artists")))
    assert browser.current_url == f"{live_dashboard}/dashboard/people/{me}"

    person = f"{live_dashboard}/dashboard/people/{me}"
    open_and_check_charts(browser, person, {"chart-bump", "chart-genres", "chart-clock"})
    assert len(browser.find_elements(By.CSS_SELECTOR, "#top-artists li")) == 10
    assert browser.find_element(By.ID, "lifetime").text
    screenshot(browser, "person")

    browser.find_element(By.CSS_SELECTOR, "a.group-link").click()
    open_and_check_charts(browser, f"{live_dashboard}/dashboard/groups/{GROUP}",
                          {"chart-match", "chart-credits"})
    assert browser.find_element(By.ID, "together").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#mix tbody tr")) == 50
    screenshot(browser, "group")

    year = f"{live_dashboard}/dashboard/people/{me}/year/{LAST_DAY.year}"
    open_and_check_charts(browser, year, {"chart-discoveries"})
    assert browser.find_element(By.ID, "minutes").text.replace(",", "").isdigit()
    screenshot(browser, "year")
    card_url = browser.find_element(By.ID, "download-card").get_attribute("href")
    card = browser.execute_async_script(FETCH, card_url)
    png = base64.b64decode(card["body"])
    assert card["status"] == 200 and card["type"] == "image/png"
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png.endswith(b"IEND\xaeB`\x82")
    (SCREENSHOTS / "year-card.png").write_bytes(png)

    for path, status in ((f"/dashboard/people/{other}", 403),
                         (f"/dashboard/people/{other}/year/{LAST_DAY.year}.png", 403),
                         ("/dashboard/people/no-such-person", 404),
                         ("/dashboard/groups/no-such-group", 404)):
        assert browser.execute_async_script(FETCH, live_dashboard + path)["status"] == status
    browser.get(f"{live_dashboard}/dashboard/people/{other}")
    assert browser.find_element(By.ID, "error").text == "Forbidden"
    assert "someone else's dashboard" in browser.page_source
