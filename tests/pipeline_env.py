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
