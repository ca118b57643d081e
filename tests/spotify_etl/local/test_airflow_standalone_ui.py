"""`make airflow` in a real browser: Airflow standalone on a free port, the sandbox as Spotify,
headless Chromium logs in, finds the daily snapshot DAG, a run is triggered and succeeds.

Slow (about two to three minutes on two cores): it starts every Airflow component for real.
Saves a screenshot of the successful run under the test's tmp directory; with
SPOTIFY_ETL_UPDATE_SCREENSHOT=1 it replaces docs/images/airflow-ui.png (the README's picture).
"""

from __future__ import annotations

import os

import socket
import time

import pytest
from browser import needs_chromium
import requests

from spotify_etl.local.airflow_standalone import LocalAirflow
from spotify_etl.settings import PROJECT_ROOT

DOCS_SCREENSHOT = PROJECT_ROOT / "docs" / "images" / "airflow-ui.png"
DAG_ID = "spotify_daily_snapshot"
RUN_TIMEOUT = 360  # seconds for the triggered run to finish

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.timeout(900),
    needs_chromium,
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def airflow(tmp_path, monkeypatch):
    """Airflow standalone with its own home and data directory, sandbox people connected."""
    # The sandbox settings are written into this process's environment: restore them after.
    for name in ("SPOTIFY_API_BASE_URL", "SPOTIFY_ACCOUNTS_BASE_URL", "SPOTIFY_CLIENT_ID",
                 "SPOTIFY_CLIENT_SECRET", "SPOTIFY_ETL_FERNET_KEY"):
        monkeypatch.setenv(name, "")
    for name in ("MONGODB_URI", "AIRFLOW_CONN_MONGO_DEFAULT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPOTIFY_ETL_DATA_DIR", str(tmp_path / "data"))
    local = LocalAirflow(port=_free_port(), home=tmp_path / "airflow-home", sandbox=True, people=3)
    started = time.monotonic()
    try:
        local.start(timeout=300)
        print(f"Airflow healthy after {time.monotonic() - started:.0f} s")
        yield local
    finally:
        stopping = time.monotonic()
        local.stop()
        print(f"Airflow stopped in {time.monotonic() - stopping:.0f} s")
    assert local.process is None


def _log_in(browser, airflow: LocalAirflow) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(airflow.url + "/")
    wait = WebDriverWait(browser, 60)
    wait.until(until.presence_of_element_located((By.CSS_SELECTOR, "input[name=username]")))
    browser.find_element(By.CSS_SELECTOR, "input[name=username]").send_keys("admin")
    browser.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(airflow.password())
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # Back on Airflow's own UI, logged in (the login page lives under /auth/).
    wait.until(lambda driver: "/auth/" not in driver.current_url
               and driver.get_cookie("_token") is not None)


def _wait_for_run(airflow: LocalAirflow, headers: dict, run_id: str) -> dict:
    deadline = time.monotonic() + RUN_TIMEOUT
    run: dict = {}
    while time.monotonic() < deadline:
        answer = requests.get(f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}",
                              headers=headers, timeout=10)
        answer.raise_for_status()
        run = answer.json()
        if run["state"] in ("success", "failed"):
            return run
        time.sleep(3)
    pytest.fail(f"run {run_id} still {run.get('state')} after {RUN_TIMEOUT} s:\n"
                + airflow.log_tail())


def test_the_ui_shows_a_triggered_snapshot_run_succeed(airflow, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    _log_in(browser, airflow)

    # The DAG list shows the project's DAG (parsed from dags/ by the DAG processor).
    browser.get(airflow.url + "/dags")
    dag_link = (By.CSS_SELECTOR, f"a[href$='/dags/{DAG_ID}']")
    WebDriverWait(browser, 120).until(until.presence_of_element_located(dag_link))
    assert DAG_ID in browser.page_source

    # Unpause and trigger through REST API v2 with the same admin login.
    headers = {"Authorization": f"Bearer {airflow.api_token()}"}
    unpaused = requests.patch(f"{airflow.url}/api/v2/dags/{DAG_ID}", headers=headers,
                              json={"is_paused": False}, timeout=10)
    assert unpaused.status_code == 200, unpaused.text
    assert unpaused.json()["is_paused"] is False
    triggered = requests.post(f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns", headers=headers,
                              json={"logical_date": None, "conf": {}}, timeout=10)
    assert triggered.status_code == 200, triggered.text
    run_id = triggered.json()["dag_run_id"]

    run = _wait_for_run(airflow, headers, run_id)
    tasks = requests.get(f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances",
                         headers=headers, timeout=10).json()["task_instances"]
    states = {(task["task_id"], task["map_index"]): task["state"] for task in tasks}
    assert run["state"] == "success", f"{states}\n{airflow.log_tail()}"
    assert states[("plan_batches", -1)] == "success"
    assert states[("summarize", -1)] == "success"
    assert any(task_id == "snapshot_batch" and state == "success"
               for (task_id, _), state in states.items())

    # The run's page in the UI shows it succeeded; keep a picture of it for the docs.
    browser.get(f"{airflow.url}/dags/{DAG_ID}/runs/{run_id}")
    WebDriverWait(browser, 60).until(
        lambda driver: "success" in driver.find_element(By.TAG_NAME, "body").text.lower())
    body = browser.find_element(By.TAG_NAME, "body").text
    assert DAG_ID in body
    time.sleep(2)  # let the grid finish drawing
    screenshot = (DOCS_SCREENSHOT if os.environ.get("SPOTIFY_ETL_UPDATE_SCREENSHOT") == "1"
                  else tmp_path / "airflow-ui.png")
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000

