"""Shared test setup: payload helpers importable, each test on its own data directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty data directory and database for one test (embedded store)."""
    monkeypatch.setenv("SPOTIFY_ETL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_MONGO_DEFAULT", raising=False)
    return tmp_path / "data"
