"""Shared test setup: payload helpers importable, Airflow in a throwaway home, one data
directory per test, and `snapshots`/`stored`: three sandbox people snapshotted by the real
pipeline on two days a week apart, built once per session, copied fresh for each test; and
`prediction_store`/`predicted`: months of sandbox history with trained models (prediction_env)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).parent))
# Before anything imports Airflow: its config is read once, at first import.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="spotify-etl-airflow-")
for name in ("AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__PLUGINS_FOLDER"):
    os.environ.pop(name, None)
from spotify_etl.local.dag_runner import configure_local_airflow  # noqa: E402

configure_local_airflow()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data directory and database for one test (embedded store)."""
    return use_embedded_store(monkeypatch, tmp_path / "data")


from analytics_helpers import FIRST_DAY as WEEK_START, LAST_DAY as WEEK_END  # noqa: E402
from browser import CHROMEDRIVER, CHROMIUM  # noqa: E402
from pipeline_env import use_copy_of_store, use_embedded_store, use_sandbox  # noqa: E402


@pytest.fixture
def browser(tmp_path):
    """A fresh headless Chromium (Debian's) with its own throwaway profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # Without the background-networking switches Chromium keeps dialling Google's hosts,
    # which this network refuses.
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--window-size=1440,1000", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def snapshots(tmp_path_factory):
    """A data directory holding two days of snapshots of three people, and their ids."""
    from spotify_sandbox import SandboxServer

    from spotify_etl.local.sandbox import seed_users
    from spotify_etl.pipeline.snapshot import snapshot_batch

    root = tmp_path_factory.mktemp("analytics-snapshots")
    key = Fernet.generate_key().decode()
    with pytest.MonkeyPatch.context() as patch, SandboxServer(port=0, users=50, seed=42) as srv:
        use_embedded_store(patch, root / "data", key)
        use_sandbox(patch, srv.url)
        people = [p["id"] for p in seed_users(srv.url, 3)]
        for day in (WEEK_START, WEEK_END):
            snapshot_batch(people, day, run_id=f"test-{day}")
    return {"data_dir": root / "data", "people": people, "key": key}


@pytest.fixture
def stored(snapshots, tmp_path, monkeypatch):
    """A fresh copy of the snapshots for one test; returns the people's ids."""
    use_copy_of_store(monkeypatch, snapshots["data_dir"], tmp_path / "data", snapshots["key"])
    monkeypatch.delenv("SPOTIFY_ETL_TASTE_TWINS", raising=False)
    return list(snapshots["people"])


@pytest.fixture(scope="session")
def prediction_sandbox():
    """A development-mode Spotify sandbox (what every new app gets), for Spotify search."""
    from spotify_sandbox import SandboxServer

    with SandboxServer(port=0, users=50, seed=42, mode="development") as server:
        yield server


@pytest.fixture(scope="session")
def prediction_store(tmp_path_factory, prediction_sandbox):
    """Months of history for two sandbox people with trained models, a week for a third."""
    from prediction_env import build_prediction_store

    with pytest.MonkeyPatch.context() as patch:
        return build_prediction_store(patch, tmp_path_factory.mktemp("prediction"),
                                      prediction_sandbox)


@pytest.fixture
def predicted(prediction_store, prediction_sandbox, tmp_path, monkeypatch):
    """A fresh copy of the prediction store for one test, pointed at the sandbox."""
    use_copy_of_store(monkeypatch, prediction_store["data_dir"], tmp_path / "data",
                      prediction_store["key"])
    use_sandbox(monkeypatch, prediction_sandbox.url)
    return prediction_store


@pytest.fixture
def smtp_inbox(monkeypatch):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that Airflow's SMTP settings point at.

    Yields the list of received envelopes (`mail_from`, `rcpt_tos`, `content`).
    """
    import socket

    from aiosmtpd.controller import Controller

    received: list = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            received.append(envelope)
            return "250 Message accepted"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                        "SMTP_STARTTLS": "False", "SMTP_SSL": "False", "SMTP_RETRY_LIMIT": "0",
                        "SMTP_TIMEOUT": "10",
                        "SMTP_MAIL_FROM": "spotify-etl@example.org"}.items():
        monkeypatch.setenv(f"AIRFLOW__SMTP__{name}", value)
    try:
        yield received
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def ticketmaster():
    """A Ticketmaster sandbox of the same seed as the snapshots (no spike arrest), shared."""
    from ticketmaster_sandbox import TicketmasterSandboxServer

    with TicketmasterSandboxServer(port=0, seed=42, rate_per_second=0) as srv:
        yield srv


@pytest.fixture
def concerts_env(stored, ticketmaster, monkeypatch):
    """The three people's snapshots, with concerts from the Ticketmaster sandbox (fresh day)."""
    from concert_env import fresh_gateway, use_ticketmaster

    fresh_gateway(ticketmaster)
    use_ticketmaster(monkeypatch, ticketmaster.url)
    return stored
