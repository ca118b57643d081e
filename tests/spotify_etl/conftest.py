"""Stored snapshots built by the real pipeline against the sandbox, shared by the package's tests.

* `dataset`: four sandbox people snapshotted on eight consecutive days (the last one with a
  revoked person and a failed run), built once per session; `store` is a standalone in-memory
  copy (mongomock) of it, `stored_env` a fresh embedded store holding it.
The analytics' `snapshots` and `stored` fixtures live in tests/conftest.py (the DAG tests use
them too).
"""

from __future__ import annotations

import pytest
import requests
from cryptography.fernet import Fernet

from analyst_data import COLLECTIONS, DAYS, LAST_DAY, load_into
from pipeline_env import use_copy_of_store, use_embedded_store, use_sandbox


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    """Run the real pipeline against the sandbox; return the data directory, people, documents."""
    from spotify_sandbox import SandboxServer

    from spotify_etl.local.sandbox import seed_users
    from spotify_etl.pipeline.snapshot import BatchIncomplete, snapshot_batch
    from spotify_etl.storage import open_database

    root = tmp_path_factory.mktemp("analyst-data")
    key = Fernet.generate_key().decode()
    with pytest.MonkeyPatch.context() as patch, \
            SandboxServer(port=0, users=50, seed=42, mode="extended") as sandbox:
        use_embedded_store(patch, root / "data", key)
        use_sandbox(patch, sandbox.url)
        people = sorted(p["id"] for p in seed_users(sandbox.url, 4))
        for day in DAYS[:-1]:
            snapshot_batch(people, day, run_id=f"scheduled__{day}")
        # The last day: one person revoked access, another hits persistent server errors.
        revoked, failing = people[-1], people[-2]
        requests.post(f"{sandbox.url}/__sandbox/users/{revoked}/revoke",
                      timeout=5).raise_for_status()
        snapshot_batch(people[:2], LAST_DAY, run_id=f"scheduled__{LAST_DAY}")
        # Only a refresh notices the revocation: make the cached access token stale first.
        requests.post(f"{sandbox.url}/__sandbox/faults", json={"expire_access_tokens": True},
                      timeout=5).raise_for_status()
        snapshot_batch([revoked], LAST_DAY, run_id=f"scheduled__{LAST_DAY}")
        requests.post(f"{sandbox.url}/__sandbox/faults",
                      json={"server_errors": {"count": 50, "status": 502}},
                      timeout=5).raise_for_status()
        with pytest.raises(BatchIncomplete):
            snapshot_batch([failing], LAST_DAY, run_id=f"scheduled__{LAST_DAY}")
        with open_database() as db:
            documents = {name: list(db[name].find()) for name in COLLECTIONS}
    return {"data_dir": root / "data", "key": key, "people": people, "revoked": revoked,
            "failing": failing, "documents": documents}


@pytest.fixture(scope="session")
def store(dataset):
    """A standalone in-memory database with the dataset and every index (read-only use)."""
    import mongomock_ng as mongomock

    from spotify_etl.storage import ensure_indexes

    db = mongomock.MongoClient(tz_aware=True)["spotify_etl"]
    load_into(db, dataset["documents"])
    ensure_indexes(db)
    return db


@pytest.fixture
def stored_env(dataset, tmp_path, monkeypatch):
    """Point `open_database` at a fresh copy of the dataset's embedded store."""
    return use_copy_of_store(monkeypatch, dataset["data_dir"], tmp_path / "data", dataset["key"])
