"""Shared test setup: payload helpers importable, Airflow in a throwaway home, one data
directory per test."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# Before anything imports Airflow: its config is read once, at first import.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="spotify-etl-airflow-")
for name in ("AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__PLUGINS_FOLDER"):
    os.environ.pop(name, None)
from spotify_etl.airflow_runner import configure_local_airflow  # noqa: E402

configure_local_airflow()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data directory and database for one test (embedded store)."""
    from pipeline_env import use_embedded_store

    return use_embedded_store(monkeypatch, tmp_path / "data")


from browser import CHROMEDRIVER, CHROMIUM  # noqa: E402


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
