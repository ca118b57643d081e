"""A sandbox shared by a module's history tests (helpers: tests/history_exports.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sandbox():
    """An extended-quota sandbox, shared by a module's tests."""
    from spotify_sandbox import SandboxServer

    with SandboxServer(port=0, users=50, seed=42, mode="extended") as server:
        yield server
