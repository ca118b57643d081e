"""Realistic snapshots for the analytics tests: three sandbox people, snapshotted on two days
a week apart, built once per module and copied into a fresh data directory for each test."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from cryptography.fernet import Fernet

FIRST_DAY, LAST_DAY = date(2026, 11, 13), date(2026, 11, 20)


def sandbox_env(monkeypatch, url: str) -> None:
    """Point this process at a sandbox (what demo.point_at_sandbox does, undone after a test)."""
    from spotify_etl.demo import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

    monkeypatch.setenv("SPOTIFY_API_BASE_URL", f"{url}/v1/")
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE_URL", url)
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", SANDBOX_CLIENT_ID)
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", SANDBOX_CLIENT_SECRET)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    """A data directory holding two days of snapshots of three people, and their ids."""
    from spotify_sandbox import SandboxServer

    from spotify_etl.demo import seed_users
    from spotify_etl.snapshot import snapshot_batch

    root = tmp_path_factory.mktemp("analytics-snapshots")
    key = Fernet.generate_key().decode()
    with pytest.MonkeyPatch.context() as patch, SandboxServer(port=0, users=50, seed=42) as srv:
        patch.setenv("SPOTIFY_ETL_DATA_DIR", str(root / "data"))
        patch.setenv("SPOTIFY_ETL_FERNET_KEY", key)
        patch.delenv("MONGODB_URI", raising=False)
        patch.delenv("AIRFLOW_CONN_MONGO_DEFAULT", raising=False)
        sandbox_env(patch, srv.url)
        people = [p["id"] for p in seed_users(srv.url, 3)]
        for day in (FIRST_DAY, LAST_DAY):
            snapshot_batch(people, day, run_id=f"test-{day}")
    return {"data_dir": root / "data", "people": people, "key": key}


@pytest.fixture
def stored(snapshots, tmp_path, monkeypatch):
    """A fresh copy of the snapshots for one test; returns the people's ids."""
    target = tmp_path / "data"
    shutil.copytree(snapshots["data_dir"], target, ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.setenv("SPOTIFY_ETL_DATA_DIR", str(target))
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", snapshots["key"])
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_MONGO_DEFAULT", raising=False)
    monkeypatch.delenv("SPOTIFY_ETL_TASTE_TWINS", raising=False)
    return list(snapshots["people"])
