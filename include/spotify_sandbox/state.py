"""The state of one running sandbox: world, mode, clock, tokens, playlists, faults, counters.

One `Sandbox` lives behind each Flask app. It holds everything mutable, guarded by locks so the
threaded server can serve requests concurrently. Nothing here knows HTTP.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from spotify_sandbox.faults import Counters, Faults
from spotify_sandbox.objects import MODES, Objects
from spotify_sandbox.world import World

ACCESS_TOKEN_SECONDS = 3600
CODE_SECONDS = 600
DEV_MODE_MAX_USERS = 5
ALL_SCOPES = frozenset({
    "ugc-image-upload", "user-read-playback-state", "user-modify-playback-state",
    "user-read-currently-playing", "app-remote-control", "streaming", "playlist-read-private",
    "playlist-read-collaborative", "playlist-modify-private", "playlist-modify-public",
    "user-follow-modify", "user-follow-read", "user-read-playback-position", "user-top-read",
    "user-read-recently-played", "user-library-modify", "user-library-read", "user-read-email",
    "user-read-private", "user-personalized"})
DEFAULT_SCOPE = ("user-read-private user-read-email user-top-read user-read-recently-played "
                 "playlist-read-private playlist-modify-private playlist-modify-public")


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day `months` later (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# The only app the Accounts service knows: the sandbox's own, not a secret of anyone's.
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"


@dataclass
class AuthCode:
    """A single-use authorization code."""

    client_id: str
    user: int
    redirect_uri: str
    scope: str
    code_challenge: str | None
    issued: float = field(default_factory=time.time)


@dataclass
class RefreshToken:
    """A refresh token; it expires six months after consent on the sandbox clock."""

    user: int
    client_id: str
    scope: str
    consent_date: dt.date
    public_client: bool  # issued through PKCE: refreshing needs only client_id
    refreshes: int = 0
    revoked: bool = False
    expired: bool = False


@dataclass
class AccessToken:
    """An access token; `user` is None for client-credentials tokens."""

    user: int | None
    client_id: str
    scope: str
    expires_at: float
    force_expired: bool = False


class Sandbox:
    """Everything a running sandbox knows and changes."""

    def __init__(self, *, mode: str = "extended", seed: int = 42, users: int = 50,
                 client_id: str = CLIENT_ID,
                 client_secret: str = CLIENT_SECRET,
                 today: dt.date | None = None, genres: bool = True,
                 world: World | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.seed = seed
        self.client_id = client_id
        self.client_secret = client_secret
        self.genres = genres  # False: artists come without `genres` (see docs/sandbox.md)
        self.world = world or World(seed=seed, users=users)
        self.objects = Objects(self.world, mode, genres=genres)
        self.faults = Faults()
        self.counters = Counters()
        self.lock = threading.RLock()
        self._clock: dt.date | None = today
        self.codes: dict[str, AuthCode] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.playlists: dict[str, dict[str, Any]] = {}
        self.allowlist: list[int] = list(range(min(DEV_MODE_MAX_USERS, self.world.n_users)))

    # ---------------------------------------------------------------- clock
    @property
    def clock(self) -> dt.date:
        """Return the runtime clock date (the real UTC date unless set)."""
        return self._clock or real_today()

    def set_clock(self, day: dt.date | None) -> None:
        """Set the runtime clock (None follows the real UTC date again)."""
        self._clock = day

    @staticmethod
    def now_ms(day: dt.date) -> int:
        """Return "now" for an as-of date: end of that day, or the real time for today."""
        if day == real_today():
            return int(time.time() * 1000)
        epoch_day = day.toordinal() - dt.date(1970, 1, 1).toordinal()
        return (epoch_day + 1) * 86_400_000 - 1

    # ---------------------------------------------------------------- tokens
    def issue_code(self, client_id: str, user: int, redirect_uri: str, scope: str,
                   code_challenge: str | None) -> str:
        """Issue a single-use authorization code."""
        code = secrets.token_urlsafe(48)
        with self.lock:
            self.codes[code] = AuthCode(client_id, user, redirect_uri, scope, code_challenge)
        return code

    def take_code(self, code: str) -> AuthCode | None:
        """Consume a code (single use); None if unknown, used or expired."""
        with self.lock:
            grant = self.codes.pop(code, None)
        if grant is None or time.time() - grant.issued > CODE_SECONDS:
            return None
        return grant

    def issue_tokens(self, user: int, client_id: str, scope: str, *, public_client: bool,
                     today: dt.date) -> tuple[str, str]:
        """Create a consent: return (access token, refresh token)."""
        refresh = secrets.token_urlsafe(96)
        with self.lock:
            self.refresh_tokens[refresh] = RefreshToken(user, client_id, scope, today,
                                                        public_client)
        return self.issue_access(user, client_id, scope), refresh

    def issue_access(self, user: int | None, client_id: str, scope: str) -> str:
        """Create an access token valid for an hour of real time."""
        token = secrets.token_urlsafe(96)
        with self.lock:
            self.access_tokens[token] = AccessToken(user, client_id, scope,
                                                    time.time() + ACCESS_TOKEN_SECONDS)
        return token

    def refresh(self, refresh: str, client_id: str, today: dt.date
                ) -> tuple[str, str | None, RefreshToken] | str:
        """Refresh: return (access, new refresh or None, grant) or an error description."""
        with self.lock:
            grant = self.refresh_tokens.get(refresh)
            if grant is None or grant.client_id != client_id:
                return "Invalid refresh token"
            if grant.revoked:
                return "Refresh token revoked"
            if grant.expired or today >= add_months(grant.consent_date, 6):
                return "Invalid refresh token"
            grant.refreshes += 1
            new_refresh = None
            if self.faults.rotates(grant.refreshes):
                # Spotify used to hand out a new refresh token; the old one then stopped working.
                new_refresh = secrets.token_urlsafe(96)
                del self.refresh_tokens[refresh]
                self.refresh_tokens[new_refresh] = grant
        return self.issue_access(grant.user, grant.client_id, grant.scope), new_refresh, grant

    def access(self, token: str) -> AccessToken | str:
        """Resolve an access token, or return the 401 message."""
        with self.lock:
            grant = self.access_tokens.get(token)
        if grant is None:
            return "Invalid access token"
        if grant.force_expired or time.time() >= grant.expires_at:
            return "The access token expired"
        return grant

    def expire_access_tokens(self) -> int:
        """Expire every access token issued so far; return how many."""
        with self.lock:
            for grant in self.access_tokens.values():
                grant.force_expired = True
            return len(self.access_tokens)

    def user_refresh_tokens(self, user: int) -> list[RefreshToken]:
        """Return a user's refresh tokens."""
        with self.lock:
            return [g for g in self.refresh_tokens.values() if g.user == user]

    def info(self) -> dict[str, Any]:
        """Return the public description (never tokens or the client secret)."""
        return {"sandbox": True, "mode": self.mode, "seed": self.seed,
                "users": self.world.n_users, "artists": self.world.n_artists,
                "tracks": len(self.world.track_ids), "client_id": self.client_id,
                "clock": self.clock.isoformat(), "real_today": real_today().isoformat(),
                "rotate_refresh_every": self.faults.rotate_every, "genres": self.genres,
                "allowlist": [self.world.users[u].id for u in self.allowlist]
                if self.mode == "development" else None}


def real_today() -> dt.date:
    """Return the real UTC date."""
    return dt.datetime.now(dt.timezone.utc).date()
