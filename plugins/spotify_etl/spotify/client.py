"""Talk to Spotify (or anything that answers like it) through spotipy, politely.

One `SpotifySource` per person: spotipy with base URLs from settings, tokens from the token
store, 5xx retried with back-off, 429 handled here (short waits absorbed, long ones turned into a
clear failure so Airflow retries later), every request counted. Nothing here touches MongoDB
except through the token cache handler.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import requests
import spotipy
from requests.adapters import HTTPAdapter
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from urllib3.util.retry import Retry

from spotify_etl.constants import SCOPES, TOP_LIMIT
from spotify_etl.spotify.capabilities import BATCH_LOOKUPS, ApiMemory

if TYPE_CHECKING:
    from collections.abc import Callable

    from spotipy.cache_handler import CacheHandler

    from spotify_etl.settings import Settings

log = logging.getLogger(__name__)
# spotipy logs request headers (bearer tokens) at DEBUG, and every HTTP error at ERROR even
# when we expect and handle it (a refused batch lookup, a 429 we wait out). We log failures
# ourselves, with context, so spotipy stays quiet.
logging.getLogger("spotipy").setLevel(logging.CRITICAL)

# A source that can answer "as of" another day says so in this response header; real Spotify
# never does, so against it only today and yesterday can be snapshotted.
AS_OF_REQUEST_HEADER = "X-Sandbox-Date"
AS_OF_RESPONSE_HEADER = "X-Sandbox-Clock"
# An instant (epoch milliseconds) a time-travelling source answers recently played as of;
# real Spotify ignores it. The capture tests and benchmark replay days through it.
AT_REQUEST_HEADER = "X-Sandbox-Now"
RATE_LIMIT_ATTEMPTS = 4
TOKEN_RELOADS = 2  # times a rejected refresh token is swapped for one another run stored
ARTIST_BATCH = 50
SEARCH_LIMIT = 10  # development mode allows at most 10 results per search
_ID_SEGMENT = re.compile(r"^[0-9A-Za-z]{22}$")


class RateLimited(RuntimeError):
    """Spotify asked us to wait longer than a task should sleep."""

    def __init__(self, retry_after: int, reason: str | None = None) -> None:
        self.retry_after = retry_after
        self.reason = reason
        detail = f" ({reason})" if reason else ""
        super().__init__(f"rate limited, retry after {retry_after} s{detail}")


def retry_after_in(message: str | None) -> int | None:
    """Read the wait back out of a RateLimited message (as stored in a run's `error`)."""
    found = re.search(r"rate limited, retry after (\d+) s", message or "")
    return int(found.group(1)) if found else None


class SpotifyUnavailable(RuntimeError):
    """Spotify kept failing (5xx or network) after our retries."""


class NeedsReauthorization(RuntimeError):
    """The person's refresh token no longer works; they must connect again."""


class SnapshotDateError(ValueError):
    """The source cannot answer for the requested snapshot date."""


class _NoInteractiveLogin:
    """Refuse spotipy's interactive fallback: a worker must never wait for a browser."""

    def get_auth_response(self, *args: Any, **kwargs: Any) -> str:
        raise NeedsReauthorization("no usable stored token (missing, or granted fewer scopes)")


class PipelineOAuth(_NoInteractiveLogin, spotipy.SpotifyOAuth):
    """Authorization Code flow with a client secret, non-interactive."""


class PipelinePKCE(_NoInteractiveLogin, spotipy.SpotifyPKCE):
    """Authorization Code flow with PKCE (no client secret), non-interactive."""


def _session(settings: Settings) -> requests.Session:
    # 5xx are retried with back-off by urllib3; 429 is left to `SpotifySource.call`, and
    # POST is never retried blindly (it may create a playlist twice).
    retry = Retry(total=settings.server_error_retries, connect=settings.server_error_retries,
                  read=settings.server_error_retries, status=settings.server_error_retries,
                  backoff_factor=0.5, status_forcelist=(500, 502, 503, 504),
                  allowed_methods=frozenset({"GET", "PUT", "DELETE"}),
                  respect_retry_after_header=False)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def auth_manager(settings: Settings, cache_handler: CacheHandler | None = None,
                 *, session: requests.Session | None = None, interactive: bool = False,
                 state: str | None = None) -> spotipy.oauth2.SpotifyAuthBase:
    """Build spotipy's auth manager for our settings (PKCE when there is no client secret)."""
    if not settings.client_id:
        raise ValueError("SPOTIFY_CLIENT_ID is not set")
    scope = " ".join(SCOPES)
    common = dict(client_id=settings.client_id, redirect_uri=settings.redirect_uri, scope=scope,
                  cache_handler=cache_handler or spotipy.MemoryCacheHandler(), state=state,
                  open_browser=False, requests_timeout=settings.request_timeout)
    if session is not None:
        common["requests_session"] = session
    if settings.client_secret:
        cls = spotipy.SpotifyOAuth if interactive else PipelineOAuth
        manager = cls(client_secret=settings.client_secret, **common)
    else:
        cls = spotipy.SpotifyPKCE if interactive else PipelinePKCE
        manager = cls(**common)
    # spotipy reads these through `self`, so the instance decides where Accounts is.
    manager.OAUTH_TOKEN_URL = settings.token_url
    manager.OAUTH_AUTHORIZE_URL = settings.authorize_url
    return manager


class SpotifySource:
    """One person's view of the Spotify Web API, with our retry and counting policy."""

    def __init__(self, settings: Settings, cache_handler: CacheHandler,
                 *, as_of: date | None = None, at: datetime | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.calls: Counter[str] = Counter()
        self.declared_as_of: str | None = None
        self._sleep = sleep
        self.session = _session(settings)
        self.session.hooks["response"].append(self._observe)
        if as_of is not None:
            self.session.headers[AS_OF_REQUEST_HEADER] = as_of.isoformat()
        if at is not None:
            self.session.headers[AT_REQUEST_HEADER] = str(int(at.timestamp() * 1000))
        # Tokens are refreshed now, whatever date the data is read as of: the Accounts
        # service gets a session of its own, without the as-of header.
        accounts = _session(settings)
        accounts.hooks["response"].append(self._observe)
        self.client = spotipy.Spotify(
            auth_manager=auth_manager(settings, cache_handler, session=accounts),
            requests_session=self.session, requests_timeout=settings.request_timeout)
        self.client.prefix = settings.api_base_url

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        path = urlparse(response.url).path
        if response.url.startswith(self.settings.token_url):
            self.calls["POST /api/token"] += 1
            return
        segments = ["{id}" if _ID_SEGMENT.match(part) else part
                    for part in path.rstrip("/").split("/")]
        self.calls[f"{response.request.method} {'/'.join(segments)}"] += 1
        clock = response.headers.get(AS_OF_RESPONSE_HEADER)
        if clock:
            self.declared_as_of = clock

    @property
    def api_calls(self) -> int:
        """Web API requests made so far (token refreshes not included)."""
        return sum(n for endpoint, n in self.calls.items() if endpoint != "POST /api/token")

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a spotipy method, absorbing short 429 waits and naming every other failure."""
        refreshed = False
        reloads = 0
        for attempt in range(1, RATE_LIMIT_ATTEMPTS + 1):
            try:
                return method(*args, **kwargs)
            except SpotifyOauthError as error:
                if error.error != "invalid_grant":
                    raise
                # Another run of this person may have just rotated the token: use theirs.
                if reloads < TOKEN_RELOADS and self._token_changed_elsewhere(reloads):
                    reloads += 1
                    continue
                raise NeedsReauthorization(
                    error.error_description or "refresh token rejected") from None
            except SpotifyException as error:
                headers = error.headers or {}
                if error.http_status == 401 and not refreshed:
                    # The access token died before its time (revoked session, clock skew):
                    # refresh once and try again.
                    self._expire_cached_access_token()
                    refreshed = True
                    continue
                if error.http_status == 429 and not _retries_exhausted(error):
                    wait = _retry_after(headers.get("Retry-After", "60"))
                    if wait > self.settings.rate_limit_max_wait or attempt == RATE_LIMIT_ATTEMPTS:
                        raise RateLimited(wait, error.reason) from None
                    log.warning("Rate limited by Spotify; waiting %s s (attempt %s)", wait, attempt)
                    self._sleep(wait)
                    continue
                if error.http_status == 429:  # spotipy's "Max Retries": our 5xx retries ran out
                    raise SpotifyUnavailable(
                        f"Spotify kept failing after {self.settings.server_error_retries} retries"
                        f" ({error.msg.splitlines()[0].strip()})") from None
                raise
            except requests.exceptions.RequestException as error:
                raise SpotifyUnavailable(f"cannot reach Spotify: {type(error).__name__}") from None
        raise AssertionError("unreachable")

    def _token_changed_elsewhere(self, reloads: int) -> bool:
        """Wait a moment for a concurrent refresh to be saved; tell whether it was."""
        reload = getattr(self.client.auth_manager.cache_handler, "reload", None)
        if reload is None:
            return False
        for _ in range(3):
            if reload():
                return True
            self._sleep(0.3 * (reloads + 1))
        return False

    def _expire_cached_access_token(self) -> None:
        handler = self.client.auth_manager.cache_handler
        token_info = handler.get_cached_token()
        if token_info:
            handler.save_token_to_cache({**token_info, "expires_at": 0})

    def check_snapshot_date(self, snapshot_date: date, *, today: date | None = None) -> None:
        """Refuse to file data under a date the source cannot answer for."""
        if self.declared_as_of == snapshot_date.isoformat():
            return
        if self.declared_as_of is not None:
            raise SnapshotDateError(
                f"The source answered as of {self.declared_as_of}, not {snapshot_date}.")
        today = today or datetime.now(UTC).date()
        if snapshot_date not in (today, today - timedelta(days=1)):
            raise SnapshotDateError(
                f"Cannot snapshot {snapshot_date}: Spotify only tells today's taste, so a "
                f"snapshot can be taken for today ({today}) or yesterday only. Older dates "
                "cannot be backfilled from Spotify.")

    def top_items(self, kind: str, time_range: str) -> list[Any]:
        """Fetch the user's top artists or tracks for one time range (Spotify's maximum, 50)."""
        method = (self.client.current_user_top_artists if kind == "artists"
                  else self.client.current_user_top_tracks)
        page = self.call(method, limit=TOP_LIMIT, offset=0, time_range=time_range)
        return list((page or {}).get("items") or [])

    def recently_played(self, after_ms: int | None) -> tuple[list[Any], int | None]:
        """Fetch plays after a cursor (only the ~50 most recent are ever reachable).

        Returns the items and Spotify's own next cursor (`cursors.after`, the newest play's
        time in milliseconds), or None when the page is empty.
        """
        page = self.call(self.client.current_user_recently_played, limit=50, after=after_ms)
        cursor = ((page or {}).get("cursors") or {}).get("after")
        try:
            cursor_ms = int(cursor) if cursor is not None else None
        except (TypeError, ValueError):
            cursor_ms = None
        return list((page or {}).get("items") or []), cursor_ms

    def track(self, track_id: str) -> dict[str, Any] | None:
        """Fetch one full track (both API shapes), or None if Spotify does not know it."""
        try:
            return self.call(self.client.track, track_id)
        except SpotifyException as error:
            if error.http_status in (400, 404):
                return None
            raise

    def search_tracks(self, song: str, artist: str | None = None,
                      limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
        """Search Spotify's catalogue for a song (by an artist); best matches first.

        `limit` stays within development mode's maximum of 10.
        """
        query = f'track:"{_quoted(song)}"' + (f' artist:"{_quoted(artist)}"' if artist else "")
        page = self.call(self.client.search, q=query, type="track", limit=min(limit, 10))
        return [t for t in ((page or {}).get("tracks") or {}).get("items") or []
                if isinstance(t, dict) and t.get("id")]

    def artists(self, artist_ids: list[str]) -> list[dict[str, Any]]:
        """Fetch full artists: batch lookups where the API has them, one by one where not."""
        found: list[dict[str, Any]] = []
        remaining = list(artist_ids)
        base = self.settings.api_base_url
        # Development mode refuses batch lookups: asked once, remembered across processes.
        memory = ApiMemory(self.settings.data_dir)
        while remaining and not memory.refused(base, BATCH_LOOKUPS):
            chunk, remaining = remaining[:ARTIST_BATCH], remaining[ARTIST_BATCH:]
            try:
                page = self.call(self.client.artists, chunk)
            except SpotifyException as error:
                if error.http_status not in (403, 404):
                    raise
                log.info("Batch artist lookups refused (%s): fetching artists one at a time",
                         error.http_status)
                memory.remember_refused(base, BATCH_LOOKUPS)
                remaining = chunk + remaining
                break
            found.extend(artist for artist in (page or {}).get("artists") or [] if artist)
        for artist_id in remaining:
            try:
                artist = self.call(self.client.artist, artist_id)
            except SpotifyException as error:
                if error.http_status in (400, 404):
                    log.info("Artist %s is unknown to Spotify; skipped", artist_id)
                    continue
                raise
            if artist:
                found.append(artist)
        return found


def _quoted(text: str) -> str:
    """Keep a search term one phrase: Spotify's query syntax has no escape for quotes."""
    return " ".join(text.replace('"', " ").split())


def _retries_exhausted(error: SpotifyException) -> bool:
    """Tell spotipy's own "Max Retries" 429 (our 5xx retries ran out) from Spotify's 429."""
    return "Max Retries" in (error.msg or "")


def _retry_after(value: str) -> int:
    try:
        return max(0, int(float(value)))
    except ValueError:
        return 60
