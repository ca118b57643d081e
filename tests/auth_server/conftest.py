"""Fixtures for the authorization helper: a real sandbox, a configured app, a consent robot.

The helper runs in Flask's test client; the sandbox is a real HTTP server, and its consent form
is filled in with `requests`, as a browser would.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet

from spotify_sandbox import SandboxServer

# `python -m auth_server` runs from the repo root; tests import it the same way.
REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TODAY = dt.date(2026, 11, 20)
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
BASE_URL = "http://127.0.0.1:8888"
REDIRECT_URI = f"{BASE_URL}/callback"
SESSION_SECRET = "test-session-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def ext_sandbox() -> Iterator[SandboxServer]:
    """An extended-quota sandbox shared by the module's tests (codes are single use anyway)."""
    with SandboxServer(mode="extended", seed=42, users=20, today=TODAY) as srv:
        yield srv


@pytest.fixture(scope="session")
def dev_sandbox() -> Iterator[SandboxServer]:
    """A development-mode sandbox: only the first five users are allowlisted."""
    with SandboxServer(mode="development", seed=42, users=20, today=TODAY) as srv:
        yield srv


def point_at(monkeypatch: pytest.MonkeyPatch, srv: SandboxServer, *, secret: bool = True,
             redirect_uri: str = REDIRECT_URI) -> None:
    """Configure the environment the way `.env` would, against this sandbox."""
    monkeypatch.setenv("SPOTIFY_API_BASE_URL", srv.api_url)
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE_URL", srv.accounts_url)
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", CLIENT_ID)
    if secret:
        monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET)
    else:
        monkeypatch.delenv("SPOTIFY_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("SPOTIFY_REDIRECT_URI", redirect_uri)


@pytest.fixture
def env(data_dir, monkeypatch, ext_sandbox) -> SandboxServer:
    """Every setting the helper needs, against the extended sandbox, with an empty store."""
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("AUTH_SERVER_SECRET_KEY", SESSION_SECRET)
    monkeypatch.delenv("SPOTIFY_APP_MODE", raising=False)
    point_at(monkeypatch, ext_sandbox)
    return ext_sandbox


@pytest.fixture
def make_client(env):
    """Build a fresh app (from the current environment) and a test client on 127.0.0.1:8888."""
    from auth_server import create_app

    def build():
        app = create_app()
        app.testing = True
        # Requests go to the redirect URI's host, as a browser's would.
        app.config["SERVER_NAME"] = urlsplit(BASE_URL).netloc
        return app.test_client()

    return build


@pytest.fixture
def client(make_client):
    """A test client of a helper configured against the extended sandbox."""
    return make_client()


def consent_page_options(page: str) -> list[tuple[str, str]]:
    """Return (user id, label) pairs offered on the sandbox consent page."""
    return [(html.unescape(value), html.unescape(label)) for value, label in
            re.findall(r'<option value="([^"]*)">([^<]*)</option>', page)]


def consent(client, *, decision: str = "approve", user_id: str | None = None,
            login_path: str = "/login") -> dict[str, str]:
    """Start at the helper, decide on the sandbox consent page; return the callback query."""
    start = client.get(login_path)
    assert start.status_code == 302, start.get_data(as_text=True)
    return decide(start.headers["Location"], decision=decision, user_id=user_id)


def decide(authorize_url: str, *, decision: str = "approve", user_id: str | None = None
           ) -> dict[str, str]:
    """Answer the sandbox consent page of this authorize URL; return the callback query."""
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    hidden = {html.unescape(name): html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text)}
    chosen = user_id or consent_page_options(page.text)[0][0]
    form = {**hidden, "user_id": chosen, "decision": decision}
    action = urlsplit(authorize_url)
    answer = requests.post(f"{action.scheme}://{action.netloc}/authorize", data=form,
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT_URI
    return {key: values[0] for key, values in parse_qs(back.query).items()}


def callback_path(query: dict[str, str]) -> str:
    """Build the callback request the browser would make."""
    from urllib.parse import urlencode

    return "/callback?" + urlencode(query)


@pytest.fixture
def robot():
    """The consent helpers, as a fixture (test modules here import nothing from conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(consent=consent, decide=decide, callback_path=callback_path,
                           options=consent_page_options, point_at=point_at)
