"""Fixtures for the sandbox tests: one real server per API shape, seeded users, spotipy clients.

Servers run in-process on a free loopback port, with the clock pinned to a fixed date so every
answer is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import spotipy

from spotify_sandbox import SandboxServer

from sandbox_helpers import TODAY, access_token, client  # noqa: E402


@pytest.fixture(scope="session")
def ext() -> Iterator[SandboxServer]:
    """An extended-quota sandbox."""
    with SandboxServer(mode="extended", seed=42, users=50, today=TODAY) as srv:
        yield srv


@pytest.fixture(scope="session")
def dev() -> Iterator[SandboxServer]:
    """A development-mode sandbox."""
    with SandboxServer(mode="development", seed=42, users=50, today=TODAY) as srv:
        yield srv


@pytest.fixture(params=["extended", "development"])
def srv(request: pytest.FixtureRequest, ext: SandboxServer, dev: SandboxServer
        ) -> SandboxServer:
    """Each API shape in turn."""
    return ext if request.param == "extended" else dev


@pytest.fixture
def sp_for() -> Callable[[SandboxServer, int], spotipy.Spotify]:
    """Build a spotipy client for (server, user index)."""
    return lambda server, user=1: client(server, access_token(server, user))


@pytest.fixture
def fresh() -> Iterator[SandboxServer]:
    """A private extended sandbox for tests that arm faults or change state."""
    with SandboxServer(mode="extended", seed=42, users=20, today=TODAY) as srv:
        yield srv
