"""Realistic snapshots for the analytics tests: three sandbox people, snapshotted on two days
a week apart, built once per module and copied into a fresh data directory for each test."""

from __future__ import annotations


import pytest
from cryptography.fernet import Fernet

from pipeline_env import use_copy_of_store, use_embedded_store, use_sandbox

from helpers import FIRST_DAY, LAST_DAY  # noqa: E402,F401


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    """A data directory holding two days of snapshots of three people, and their ids."""
    from spotify_sandbox import SandboxServer

    from spotify_etl.demo import seed_users
    from spotify_etl.snapshot import snapshot_batch

    root = tmp_path_factory.mktemp("analytics-snapshots")
    key = Fernet.generate_key().decode()
    with pytest.MonkeyPatch.context() as patch, SandboxServer(port=0, users=50, seed=42) as srv:
        use_embedded_store(patch, root / "data", key)
        use_sandbox(patch, srv.url)
        people = [p["id"] for p in seed_users(srv.url, 3)]
        for day in (FIRST_DAY, LAST_DAY):
            snapshot_batch(people, day, run_id=f"test-{day}")
    return {"data_dir": root / "data", "people": people, "key": key}


@pytest.fixture
def stored(snapshots, tmp_path, monkeypatch):
    """A fresh copy of the snapshots for one test; returns the people's ids."""
    use_copy_of_store(monkeypatch, snapshots["data_dir"], tmp_path / "data", snapshots["key"])
    monkeypatch.delenv("SPOTIFY_ETL_TASTE_TWINS", raising=False)
    return list(snapshots["people"])
