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
    monkeypatch.setenv("SPOTIFY_ETL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_MONGO_DEFAULT", raising=False)
    return tmp_path / "data"
