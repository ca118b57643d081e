"""A store the dashboard can show, a sandbox of the same world to sign in through, and a
signed-in test client (imported by the dashboard tests; fixtures live in the test modules)."""

from __future__ import annotations

from urllib.parse import urlsplit

SESSION_SECRET = "dashboard-test-session-secret-0123456789"
GROUP = "trio"


def analyse(people: list[str], first, last) -> None:
    """Make the three people a group and run the daily analytics, as the DAG would."""
    from spotify_etl.analytics import daily
    from spotify_etl.analytics.groups import add_group
    from spotify_etl.storage import open_database

    with open_database() as db:
        add_group(db, GROUP, people)
    for day in (first, last):
        daily.run_mixes(day)
    daily.run_diffs(last)
    daily.run_taste_twins(last, k=2)


def configure(monkeypatch, sandbox, base_url: str) -> None:
    """Point the helper at the sandbox with its redirect URI on `base_url`."""
    monkeypatch.setenv("AUTH_SERVER_SECRET_KEY", SESSION_SECRET)
    monkeypatch.delenv("SPOTIFY_APP_MODE", raising=False)
    monkeypatch.setenv("SPOTIFY_API_BASE_URL", sandbox.api_url)
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_BASE_URL", sandbox.accounts_url)
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "sandbox-client-id")
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", "sandbox-client-secret")
    monkeypatch.setenv("SPOTIFY_REDIRECT_URI", f"{base_url}/callback")


def dashboard_client(base_url: str = "http://127.0.0.1:8888"):
    from auth_server import create_app

    app = create_app()
    app.testing = True
    app.config["SERVER_NAME"] = urlsplit(base_url).netloc
    return app.test_client()
