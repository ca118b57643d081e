"""What the authorization helper needs before it may start, checked in one place.

Reads the pipeline's `Settings` plus the helper's own variables (`AUTH_SERVER_SECRET_KEY`,
`SPOTIFY_APP_MODE`). Nothing here talks to Spotify or the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from spotify_etl.people.tokens import TokenStoreError, make_fernet, resolve_fernet_key

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

    from spotify_etl.settings import Settings

APP_MODES = ("development", "extended")
# Spotify's development mode: at most five people, all on the app's allowlist.
SECRET_KEY_VARIABLE = "AUTH_SERVER_SECRET_KEY"
APP_MODE_VARIABLE = "SPOTIFY_APP_MODE"
MIN_SECRET_KEY_LENGTH = 16


class ConfigError(RuntimeError):
    """A setting the helper cannot start without is missing or wrong."""


@dataclass(frozen=True)
class AuthConfig:
    """The checked configuration of one helper instance."""

    settings: Settings
    secret_key: str = field(repr=False)
    fernet: Fernet = field(repr=False)
    app_mode: str | None = None

    @property
    def uses_pkce(self) -> bool:
        return not self.settings.client_secret

    @property
    def redirect_path(self) -> str:
        return urlsplit(self.settings.redirect_uri).path or "/callback"

    @property
    def redirect_host(self) -> str:
        return urlsplit(self.settings.redirect_uri).hostname or "127.0.0.1"


def load_config(settings: Settings, environ: dict[str, str] | None = None) -> AuthConfig:
    """Check every setting the helper needs; raise ConfigError naming the first one missing."""
    environ = os.environ if environ is None else environ
    if not settings.client_id:
        raise ConfigError(
            "SPOTIFY_CLIENT_ID is not set: copy the Client ID of your app from "
            "developer.spotify.com/dashboard into .env (see docs/authorization.md).")
    try:
        fernet = make_fernet(resolve_fernet_key(settings))
    except TokenStoreError as error:
        raise ConfigError(str(error)) from None
    secret_key = (environ.get(SECRET_KEY_VARIABLE) or "").strip()
    if not secret_key:
        raise ConfigError(
            f"{SECRET_KEY_VARIABLE} is not set: it signs the browser session. Generate one with "
            "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"`.")
    if len(secret_key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(f"{SECRET_KEY_VARIABLE} is too short to be a secret "
                          f"(at least {MIN_SECRET_KEY_LENGTH} characters).")
    app_mode = (environ.get(APP_MODE_VARIABLE) or "").strip().lower() or None
    if app_mode is not None and app_mode not in APP_MODES:
        raise ConfigError(f"{APP_MODE_VARIABLE} must be one of {', '.join(APP_MODES)}, "
                          f"got {app_mode!r}.")
    redirect = urlsplit(settings.redirect_uri)
    if redirect.scheme == "http" and redirect.hostname not in ("127.0.0.1", "::1"):
        # Spotify refuses plain-http redirect URIs except on loopback addresses.
        raise ConfigError(
            "SPOTIFY_REDIRECT_URI must be https, or http on 127.0.0.1 / [::1] "
            f"(Spotify refuses 'localhost'), got {settings.redirect_uri!r}.")
    return AuthConfig(settings=settings, secret_key=secret_key, fernet=fernet, app_mode=app_mode)
