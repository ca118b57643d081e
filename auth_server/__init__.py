"""The one-time authorization helper: people connect their Spotify account to the pipeline.

A small Flask app (`create_app`) run by `make auth` on 127.0.0.1:8888. It stores people and their
encrypted refresh tokens through `spotify_etl.people.tokens`; the pipeline does everything else.
"""

from __future__ import annotations

from auth_server.app import create_app
from auth_server.config import ConfigError

__all__ = ["ConfigError", "create_app"]
