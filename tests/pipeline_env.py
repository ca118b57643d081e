"""Point this process at a data directory and at a sandbox, the way tests need it.

Each function takes a `pytest.MonkeyPatch` (the `monkeypatch` fixture, or
`pytest.MonkeyPatch.context()` in session-scoped fixtures) so every change is undone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def use_embedded_store(patch: pytest.MonkeyPatch, data_dir: Path, key: str | None = None) -> Path:
    """Store into the embedded store under `data_dir` (never a MongoDB someone configured)."""
    patch.setenv("SPOTIFY_ETL_DATA_DIR", str(data_dir))
    patch.delenv("MONGODB_URI", raising=False)
    patch.delenv("AIRFLOW_CONN_MONGO_DEFAULT", raising=False)
    if key is not None:
        patch.setenv("SPOTIFY_ETL_FERNET_KEY", key)
    return data_dir


def use_sandbox(patch: pytest.MonkeyPatch, url: str) -> None:
    """Talk to the sandbox at `url` as Spotify (what local.sandbox.point_at_sandbox does, undoably)."""
    from spotify_etl.local.sandbox import sandbox_environment

    for name, value in sandbox_environment(url).items():
        patch.setenv(name, value)


def use_copy_of_store(patch: pytest.MonkeyPatch, source: Path, target: Path, key: str) -> Path:
    """Work on a fresh copy of a prepared embedded store."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.lock"))
    return use_embedded_store(patch, target, key)


def connect_sandbox_people(patch: pytest.MonkeyPatch, sandbox, user_ids: list[str]) -> list[str]:
    """Point this process at `sandbox`, clear its faults, connect these people (a fresh
    encryption key, tokens stored through the real token store) and reset its counters."""
    import requests
    from cryptography.fernet import Fernet

    from spotify_etl.people.tokens import TokenStore
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import database

    patch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    use_sandbox(patch, sandbox.url)
    requests.delete(f"{sandbox.url}/__sandbox/faults", timeout=5)
    answer = requests.post(f"{sandbox.url}/__sandbox/authorize", json={"user_ids": user_ids},
                           timeout=10)
    answer.raise_for_status()
    store = TokenStore(database(), load_settings())
    for person in answer.json()["users"]:
        store.save_user({"id": person["id"], "display_name": person.get("display_name")},
                        {"refresh_token": person["refresh_token"], "expires_at": 0,
                         "scope": person["scope"]})
    requests.delete(f"{sandbox.url}/__sandbox/counters", timeout=5)
    return list(user_ids)

