"""`make airflow` for real: Airflow on a free port, the sandbox as Spotify; it listens on
loopback only and keeps its admin password out of the log; headless Chromium logs in, finds the
daily snapshot DAG, a run is triggered, succeeds, and its task logs can be read.

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

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    """Airflow with its own home and data directory, sandbox people connected (one per module)."""
    root = tmp_path_factory.mktemp("make-airflow")
    with pytest.MonkeyPatch.context() as patch:
        # The sandbox settings are written into this process's environment: restore them after.
        for name in ("SPOTIFY_API_BASE_URL", "SPOTIFY_ACCOUNTS_BASE_URL", "SPOTIFY_CLIENT_ID",
                     "SPOTIFY_CLIENT_SECRET", "SPOTIFY_ETL_FERNET_KEY"):
            patch.setenv(name, "")
        for name in ("MONGODB_URI", "AIRFLOW_CONN_MONGO_DEFAULT"):
            patch.delenv(name, raising=False)
        patch.setenv("SPOTIFY_ETL_DATA_DIR", str(root / "data"))
        # Free ports for the log servers too, so that another Airflow on this machine is fine.
        patch.setenv("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", str(_free_port()))
        patch.setenv("AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT", str(_free_port()))
        local = LocalAirflow(port=_free_port(), home=root / "airflow-home", sandbox=True,
                             people=3)
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


def _listening(pids: set[int]) -> list[tuple[str, int]]:
    import psutil

    return sorted({(c.laddr.ip, c.laddr.port) for c in psutil.net_connections(kind="inet")
                   if c.status == psutil.CONN_LISTEN and c.pid in pids})


def _group(airflow: LocalAirflow) -> set[int]:
    """Every process `make airflow` started (each component leads a process group)."""
    import psutil

    leaders = {child.pid for child in airflow.processes.values()}
    return {p.pid for p in psutil.process_iter(["pid"]) if _pgid(p.pid) in leaders}


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def test_make_airflow_listens_on_loopback_only(airflow):
    sockets = _listening(_group(airflow))
    ports = {port for _, port in sockets}
    assert airflow.port in ports
    assert {int(os.environ["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]),
            int(os.environ["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"])} <= ports
    assert all(ip in ("127.0.0.1", "::1") for ip, _ in sockets), sockets


def test_the_admin_password_is_owner_only_and_never_in_the_log(airflow):
    password = airflow.password()
    assert password and len(password) >= 16
    assert airflow.password_path.stat().st_mode & 0o777 == 0o600
    assert airflow.log_path.stat().st_mode & 0o077 == 0
    log = airflow.log_path.read_text(errors="replace")
    assert "scheduler" in log and "api-server" in log  # the components' output is there
    assert password not in log


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
        try:
            answer = requests.get(f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}",
                                  headers=headers, timeout=30)
        except requests.Timeout:
            continue  # a busy two-core machine: the API server answers the next poll
        answer.raise_for_status()
        run = answer.json()
        if run["state"] in ("success", "failed"):
            return run
        time.sleep(3)
    pytest.fail(f"run {run_id} still {run.get('state')} after {RUN_TIMEOUT} s:\n"
                + airflow.log_tail())


@pytest.mark.browser
@needs_chromium
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
    log = requests.get(f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/"
                       "summarize/logs/1", headers={**headers, "Accept": "application/json"},
                       timeout=30)
    assert log.status_code == 200 and "Snapshot" in log.text, log.text[:2000]

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

