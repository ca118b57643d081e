"""Settings from the environment (and Airflow, where it has them).

Every knob the pipeline reads lives here, with its default; `.env.example` documents them.
Nothing here opens a connection.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SPOTIFY_API_BASE_URL = "https://api.spotify.com/v1/"
SPOTIFY_ACCOUNTS_BASE_URL = "https://accounts.spotify.com"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """What the pipeline is configured with."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    redirect_uri: str = "http://127.0.0.1:8888/callback"
    api_base_url: str = SPOTIFY_API_BASE_URL
    accounts_base_url: str = SPOTIFY_ACCOUNTS_BASE_URL
    mongodb_uri: str | None = field(default=None, repr=False)
    mongo_conn_id: str = "mongo_default"
    mongo_timeout_ms: int = 10_000
    database: str = "spotify_etl"
    data_dir: Path = PROJECT_ROOT / "data"
    fernet_key: str | None = field(default=None, repr=False)
    batch_size: int = 50
    rate_limit_max_wait: int = 60
    request_timeout: int = 10
    server_error_retries: int = 3
    retry_delay: int = 120
    artist_refresh_days: int = 30
    taste_twins: bool = True
    taste_twins_k: int = 10

    @property
    def token_url(self) -> str:
        return self.accounts_base_url.rstrip("/") + "/api/token"

    @property
    def authorize_url(self) -> str:
        return self.accounts_base_url.rstrip("/") + "/authorize"


def load_settings() -> Settings:
    """Read the settings from the environment."""
    api = _env("SPOTIFY_API_BASE_URL", SPOTIFY_API_BASE_URL)
    return Settings(
        client_id=_env("SPOTIFY_CLIENT_ID"),
        client_secret=_env("SPOTIFY_CLIENT_SECRET"),
        redirect_uri=_env("SPOTIFY_REDIRECT_URI", "http://127.0.0.1:8888/callback"),
        api_base_url=api if api.endswith("/") else api + "/",
        accounts_base_url=_env("SPOTIFY_ACCOUNTS_BASE_URL", SPOTIFY_ACCOUNTS_BASE_URL),
        mongodb_uri=_env("MONGODB_URI"),
        mongo_conn_id=_env("SPOTIFY_ETL_MONGO_CONN_ID", "mongo_default"),
        mongo_timeout_ms=_int("SPOTIFY_ETL_MONGO_TIMEOUT_MS", 10_000),
        database=_env("SPOTIFY_ETL_DATABASE", "spotify_etl"),
        data_dir=Path(_env("SPOTIFY_ETL_DATA_DIR", str(PROJECT_ROOT / "data"))),
        fernet_key=_env("SPOTIFY_ETL_FERNET_KEY"),
        batch_size=_int("SPOTIFY_ETL_BATCH_SIZE", 50),
        rate_limit_max_wait=_int("SPOTIFY_ETL_RATE_LIMIT_MAX_WAIT", 60),
        request_timeout=_int("SPOTIFY_ETL_REQUEST_TIMEOUT", 10),
        server_error_retries=_int("SPOTIFY_ETL_SERVER_ERROR_RETRIES", 3),
        retry_delay=_int("SPOTIFY_ETL_RETRY_DELAY", 120),
        artist_refresh_days=_int("SPOTIFY_ETL_ARTIST_REFRESH_DAYS", 30),
        taste_twins=(_env("SPOTIFY_ETL_TASTE_TWINS", "on").lower()
                     not in ("off", "0", "false", "no")),
        taste_twins_k=_int("SPOTIFY_ETL_TASTE_TWINS_K", 10),
    )
