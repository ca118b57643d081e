"""Helpers for the sandbox tests: seeded users, tokens, spotipy clients pointed at a server."""

from __future__ import annotations

import datetime as dt

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
