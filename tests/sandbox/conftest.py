"""Fixtures for the sandbox tests: one real server per API shape, seeded users, spotipy clients.

Servers run in-process on a free loopback port, with the clock pinned to a fixed date so every
answer is reproducible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import requests
import spotipy

from spotify_sandbox import SandboxServer

TODAY = dt.date(2026, 11, 20)
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
REDIRECT_URI = "http://127.0.0.1:8888/callback"


def seed_users(srv: SandboxServer, count: int = 1, **extra: object) -> list[dict]:
    """Pre-authorise the first `count` users through the control endpoint."""
    answer = requests.post(f"{srv.url}/__sandbox/authorize", json={"count": count, **extra},
                           timeout=10)
    answer.raise_for_status()
    return answer.json()["users"]


def refresh(srv: SandboxServer, refresh_token: str, **headers: str) -> requests.Response:
    """Refresh a token with HTTP Basic client authentication."""
    return requests.post(f"{srv.accounts_url}/api/token", auth=(CLIENT_ID, CLIENT_SECRET),
                         data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                         headers=headers, timeout=10)


def access_token(srv: SandboxServer, user: int = 0) -> str:
    """Return a fresh access token for the user at this index."""
    users = requests.post(f"{srv.url}/__sandbox/authorize",
                          json={"user_ids": [srv.world.users[user].id]}, timeout=10).json()
    answer = refresh(srv, users["users"][0]["refresh_token"])
    answer.raise_for_status()
    return answer.json()["access_token"]


def client(srv: SandboxServer, token: str) -> spotipy.Spotify:
    """Return a spotipy client pointed at the sandbox, with retries off so faults surface.

    retries=0 alone is not enough: urllib3 still turns a 429/5xx in spotipy's status_forcelist
    into a RetryError, which spotipy reports as a 429 without headers. A plain session avoids it.
    """
    sp = spotipy.Spotify(auth=token, retries=0, status_retries=0, requests_timeout=10)
    sp._session = requests.Session()
    sp.prefix = srv.api_url
    return sp


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
