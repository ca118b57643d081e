"""The two Spotify conversations of a connection: where to send the browser, and the exchange.

Wraps spotipy's auth managers (built by `spotify_etl.spotify.client.auth_manager`, PKCE when no
client secret is configured) and one `GET /me`. Nothing here touches the database or the session.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
import spotipy
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from spotify_etl.spotify.client import auth_manager

if TYPE_CHECKING:
    from spotify_etl.settings import Settings

log = logging.getLogger(__name__)
# Spotify's development-mode answer for someone not on the app's allowlist.
NOT_REGISTERED_MARKER = "may not be registered"


class ConnectionFailed(RuntimeError):
    """Spotify did not complete the connection; `kind` picks the page that explains it."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}" if detail else kind)


@dataclass(frozen=True)
class Authorization:
    """Where to send the browser, and the PKCE verifier to keep until the callback."""

    url: str
    code_verifier: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Connection:
    """The outcome of a completed consent: who the person is, and their (secret) token."""

    profile: dict[str, Any]
    token_info: dict[str, Any] = field(repr=False)


def _manager(settings: Settings, state: str | None = None) -> spotipy.oauth2.SpotifyAuthBase:
    # A plain session: spotipy's default retries would sleep through a long Retry-After.
    return auth_manager(settings, spotipy.MemoryCacheHandler(), session=requests.Session(),
                        interactive=True, state=state)


def start_authorization(settings: Settings, state: str, *, show_dialog: bool = False
                        ) -> Authorization:
    """Build the consent URL for this state (and a PKCE verifier when there is no secret)."""
    manager = _manager(settings, state)
    if isinstance(manager, spotipy.SpotifyPKCE):
        manager.get_pkce_handshake_parameters()
        url = manager.get_authorize_url(state)
        verifier = manager.code_verifier
    else:
        manager.show_dialog = show_dialog
        url = manager.get_authorize_url(state)
        verifier = None
    if show_dialog and "show_dialog=" not in url:
        # spotipy's PKCE manager has no show_dialog; Spotify accepts it on either flow.
        url += "&show_dialog=true"
    return Authorization(url=url, code_verifier=verifier)


def complete_authorization(settings: Settings, code: str, code_verifier: str | None
                           ) -> Connection:
    """Exchange the code for tokens and read the person's profile with them."""
    cache = spotipy.MemoryCacheHandler()
    manager = auth_manager(settings, cache, session=requests.Session(), interactive=True)
    if isinstance(manager, spotipy.SpotifyPKCE):
        if not code_verifier:
            raise ConnectionFailed("exchange", "no PKCE verifier in this session")
        manager.code_verifier = code_verifier
        manager.code_challenge = manager._get_code_challenge()
    try:
        manager.get_access_token(code, check_cache=False)
    except SpotifyOauthError as error:
        # Only the OAuth error code is kept: descriptions may echo what was sent.
        raise ConnectionFailed("exchange", getattr(error, "error", None) or "oauth error") from None
    except requests.RequestException as error:
        raise ConnectionFailed("unreachable", type(error).__name__) from None
    token_info = cache.get_cached_token()
    if not token_info or not token_info.get("access_token") or not token_info.get("refresh_token"):
        raise ConnectionFailed("exchange", "Spotify returned no refresh token")
    client = spotipy.Spotify(auth=token_info["access_token"], requests_session=requests.Session(),
                             requests_timeout=settings.request_timeout, retries=0,
                             status_retries=0)
    client.prefix = settings.api_base_url
    try:
        profile = client.me()
    except SpotifyException as error:
        if error.http_status == 403 and NOT_REGISTERED_MARKER in str(error.msg):
            raise ConnectionFailed("not_registered") from None
        if error.http_status == 429:
            raise ConnectionFailed("rate_limited") from None
        raise ConnectionFailed("profile", f"HTTP {error.http_status}") from None
    except requests.RequestException as error:
        raise ConnectionFailed("unreachable", type(error).__name__) from None
    if not isinstance(profile, dict) or not profile.get("id"):
        raise ConnectionFailed("profile", "no user id in /me")
    return Connection(profile=profile, token_info=token_info)
