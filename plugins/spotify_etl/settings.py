"""Settings from the environment (and Airflow, where it has them).

Every knob the pipeline reads lives here, with its default; `.env.example` documents them.
Nothing here opens a connection.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPOTIFY_API_BASE_URL = "https://api.spotify.com/v1/"
SPOTIFY_ACCOUNTS_BASE_URL = "https://accounts.spotify.com"
TICKETMASTER_API_BASE_URL = "https://app.ticketmaster.com/discovery/v2/"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
RATE_LIMIT_RETRY_MAX_WAIT = "SPOTIFY_ETL_RATE_LIMIT_RETRY_MAX_WAIT"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _number(name: str, default: float, cast: type, what: str) -> Any:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return cast(raw)
    except ValueError:
        raise ValueError(f"{name} must be {what}, got {raw!r}") from None


def _int(name: str, default: int) -> int:
    return _number(name, default, int, "a whole number")


def _float(name: str, default: float) -> float:
    return _number(name, default, float, "a number")


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
    # the Parquet lake (docs/lake.md): a folder, s3://bucket/prefix or any fsspec URL;
    # None: <data_dir>/lake. May carry credentials (?access_key=...): never shown whole.
    lake_url: str | None = field(default=None, repr=False)
    fernet_key: str | None = field(default=None, repr=False)
    batch_size: int = 50
    rate_limit_max_wait: int = 60
    # The longest Retry-After an Airflow retry waits for; longer fails the task at once.
    # None: any (capped at 12 h). Local runs (`run`, the demo) set 0: they never wait.
    rate_limit_retry_max_wait: int | None = None
    request_timeout: int = 10
    server_error_retries: int = 3
    retry_delay: int = 120
    artist_refresh_days: int = 30
    taste_twins: bool = True
    taste_twins_k: int = 10
    # concerts (docs/concerts.md): Ticketmaster Discovery v2, or anything that answers like it
    ticketmaster_api_key: str | None = field(default=None, repr=False)
    ticketmaster_api_base_url: str = TICKETMASTER_API_BASE_URL
    ticketmaster_requests_per_second: float = 4.0  # Ticketmaster allows 5
    concerts_horizon_days: int = 365
    concerts_attraction_refresh_days: int = 30
    # adaptive capture of recently played (docs/history.md)
    capture_floor_minutes: int = 10  # never sooner (the capture DAG's schedule)
    capture_ceiling_minutes: int = 720  # never later, however quiet the person
    capture_target_plays: int = 35  # read before this many plays are expected (Spotify keeps 50)

    @property
    def token_url(self) -> str:
        return self.accounts_base_url.rstrip("/") + "/api/token"

    @property
    def authorize_url(self) -> str:
        return self.accounts_base_url.rstrip("/") + "/authorize"


def command(*args: str, executable: str | None = None) -> str:
    """How to run `python -m spotify_etl ARGS` from the project root with this interpreter.

    `python` alone is often not the one with the project installed: inside the project's venv
    this gives `.venv/bin/python -m spotify_etl ...`, elsewhere the interpreter's full path,
    and plain `python` only when that is the interpreter on PATH (a container, an active venv).
    """
    import shutil

    interpreter = Path(executable or sys.executable).absolute()
    if interpreter.is_relative_to(PROJECT_ROOT):
        shown = str(interpreter.relative_to(PROJECT_ROOT))
    elif shutil.which("python") and Path(shutil.which("python")).absolute() == interpreter:
        shown = "python"
    else:
        shown = str(interpreter)
    return " ".join([shown, "-m", "spotify_etl", *args])


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
        lake_url=_env("SPOTIFY_ETL_LAKE_URL"),
        fernet_key=_env("SPOTIFY_ETL_FERNET_KEY"),
        batch_size=_int("SPOTIFY_ETL_BATCH_SIZE", 50),
        rate_limit_max_wait=_int("SPOTIFY_ETL_RATE_LIMIT_MAX_WAIT", 60),
        rate_limit_retry_max_wait=(_int(RATE_LIMIT_RETRY_MAX_WAIT, 0)
                                   if _env(RATE_LIMIT_RETRY_MAX_WAIT) else None),
        request_timeout=_int("SPOTIFY_ETL_REQUEST_TIMEOUT", 10),
        server_error_retries=_int("SPOTIFY_ETL_SERVER_ERROR_RETRIES", 3),
        retry_delay=_int("SPOTIFY_ETL_RETRY_DELAY", 120),
        artist_refresh_days=_int("SPOTIFY_ETL_ARTIST_REFRESH_DAYS", 30),
        taste_twins=(_env("SPOTIFY_ETL_TASTE_TWINS", "on").lower()
                     not in ("off", "0", "false", "no")),
        taste_twins_k=_int("SPOTIFY_ETL_TASTE_TWINS_K", 10),
        ticketmaster_api_key=_env("TICKETMASTER_API_KEY"),
        ticketmaster_api_base_url=_base_url(_env("TICKETMASTER_API_BASE_URL",
                                                 TICKETMASTER_API_BASE_URL)),
        ticketmaster_requests_per_second=_float("TICKETMASTER_REQUESTS_PER_SECOND", 4.0),
        concerts_horizon_days=_int("SPOTIFY_ETL_CONCERTS_HORIZON_DAYS", 365),
        concerts_attraction_refresh_days=_int("SPOTIFY_ETL_CONCERTS_ATTRACTION_REFRESH_DAYS", 30),
        capture_floor_minutes=_int("SPOTIFY_ETL_CAPTURE_FLOOR_MINUTES", 10),
        capture_ceiling_minutes=_int("SPOTIFY_ETL_CAPTURE_CEILING_MINUTES", 720),
        capture_target_plays=_int("SPOTIFY_ETL_CAPTURE_TARGET_PLAYS", 35),
    )


def _base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"
