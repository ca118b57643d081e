"""Ticketmaster Discovery API v2 as a concert provider: attraction lookup and events, politely.

Matches a Spotify artist by the Spotify link on its attraction (exact), by its name only as a
flagged fallback; lists an attraction's music events in a window, page by page. Requests are
spaced to stay under Ticketmaster's per-second limit, 5xx and spike-arrest 429s are retried
with back-off, a spent daily quota raises `QuotaExhausted` with the time until it resets. The
API key travels as the `apikey` parameter Ticketmaster requires and appears in no message or
log line. Nothing here touches the database.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests

from spotify_etl.concerts.provider import (ArtistMatch, Concert, ProviderError,
                                           ProviderNotConfigured, ProviderRefused,
                                           ProviderUnavailable, QuotaExhausted, Upcoming)
from spotify_etl.constants import MATCH_NAME, MATCH_SPOTIFY_LINK

if TYPE_CHECKING:
    from collections.abc import Callable

    from spotify_etl.concerts.geo import Point
    from spotify_etl.settings import Settings

log = logging.getLogger(__name__)
PAGE_SIZE = 200  # Ticketmaster's largest page
MAX_DEPTH = 1000  # and its deepest: (page * size) must stay under 1,000
ATTRACTION_CANDIDATES = 50
RATE_LIMIT_ATTEMPTS = 4
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_SPOTIFY_ARTIST = re.compile(r"(?:open\.spotify\.com/(?:[\w-]+/)?artist/|spotify:artist:)"
                             r"([0-9A-Za-z]{22})")
_APIKEY_IN_TEXT = re.compile(r"(apikey=)[^&\s\"']+", re.IGNORECASE)


class _RedactApiKey(logging.Filter):
    """urllib3 logs request lines (with the query string) at DEBUG: take the key out."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not a leak
            return True
        cleaned = _APIKEY_IN_TEXT.sub(r"\1[redacted]", message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _install_redaction() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactApiKey) for f in logger.filters):
        logger.addFilter(_RedactApiKey())


def spotify_artist_id(url: str | None) -> str | None:
    """Return the Spotify artist id in an open.spotify.com link or a spotify: URI."""
    found = _SPOTIFY_ARTIST.search(url or "")
    return found.group(1) if found else None


def _normal_name(name: str) -> str:
    return " ".join(str(name).casefold().split())


def _spotify_links(attraction: dict[str, Any]) -> set[str]:
    links = (attraction.get("externalLinks") or {}).get("spotify") or []
    return {found for link in links if isinstance(link, dict)
            for found in [spotify_artist_id(link.get("url"))] if found}


def match_attraction(artist_id: str, name: str, attractions: list[dict[str, Any]]
                     ) -> ArtistMatch | None:
    """Pick the attraction that is this artist: its Spotify link, else a lone unlinked namesake.

    An attraction linked to another Spotify artist is someone else with the same name, so the
    name fallback considers only attractions without any Spotify link, and only when exactly
    one of them has the name.
    """
    for attraction in attractions:
        if artist_id in _spotify_links(attraction):
            return ArtistMatch(str(attraction["id"]), str(attraction.get("name")),
                               MATCH_SPOTIFY_LINK)
    wanted = _normal_name(name)
    namesakes = [a for a in attractions
                 if _normal_name(a.get("name", "")) == wanted and not _spotify_links(a)]
    if len(namesakes) == 1:
        return ArtistMatch(str(namesakes[0]["id"]), str(namesakes[0].get("name")), MATCH_NAME)
    return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_event(event: dict[str, Any]) -> Concert | None:
    """Turn one Ticketmaster event into a provider-neutral concert (None if it has no date)."""
    dates = event.get("dates") or {}
    start = dates.get("start") or {}
    local_date = start.get("localDate")
    if not local_date or not event.get("id"):
        return None
    embedded = event.get("_embedded") or {}
    venue = (embedded.get("venues") or [{}])[0]
    location = venue.get("location") or {}
    starts_at = None
    if start.get("dateTime"):
        try:
            starts_at = datetime.strptime(start["dateTime"], DATETIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            starts_at = None
    return {
        "event_id": str(event["id"]), "name": event.get("name"), "url": event.get("url"),
        "status": (dates.get("status") or {}).get("code"),
        "local_date": local_date, "local_time": start.get("localTime"), "starts_at": starts_at,
        "timezone": dates.get("timezone") or venue.get("timezone"),
        "venue": {"id": venue.get("id"), "name": venue.get("name"),
                  "city": (venue.get("city") or {}).get("name"),
                  "state": (venue.get("state") or {}).get("name"),
                  "country": (venue.get("country") or {}).get("name"),
                  "country_code": (venue.get("country") or {}).get("countryCode"),
                  "address": (venue.get("address") or {}).get("line1"),
                  # Ticketmaster sends coordinates as strings
                  "latitude": _float(location.get("latitude")),
                  "longitude": _float(location.get("longitude"))},
        "performers": [{"id": a.get("id"), "name": a.get("name"),
                        "spotify_artist_id": next(iter(sorted(_spotify_links(a))), None)}
                       for a in embedded.get("attractions") or []],
    }


class TicketmasterProvider:
    """The Discovery API v2 at TICKETMASTER_API_BASE_URL, with TICKETMASTER_API_KEY."""

    name = "ticketmaster"

    def __init__(self, settings: Settings, *, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], float] = time.time) -> None:
        if not settings.ticketmaster_api_key:
            raise ProviderNotConfigured(
                "TICKETMASTER_API_KEY is not set: register at developer.ticketmaster.com for a "
                "Discovery API key (see docs/concerts.md).")
        self._key = settings.ticketmaster_api_key
        self.base_url = settings.ticketmaster_api_base_url
        self.timeout = settings.request_timeout
        self.retries = settings.server_error_retries
        rate = settings.ticketmaster_requests_per_second
        self.min_interval = 1.0 / rate if rate > 0 else 0.0
        self.session = session or requests.Session()
        self._sleep, self._clock, self._now = sleep, clock, now
        self._last_request = float("-inf")
        self.requests = 0
        self.calls: Counter[str] = Counter()
        self.quota_available: int | None = None
        self._quota_reset_ms: int | None = None
        _install_redaction()

    def __repr__(self) -> str:
        return f"TicketmasterProvider(base_url={self.base_url!r})"

    # ---------------------------------------------------------------- requests
    def _redact(self, text: str) -> str:
        return str(text).replace(self._key, "[redacted]")

    def _seconds_to_reset(self) -> int:
        if self._quota_reset_ms:
            return max(0, int(self._quota_reset_ms / 1000 - self._now()) + 1)
        now = datetime.fromtimestamp(self._now(), UTC)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        return int((midnight - now).total_seconds()) + 1

    def _throttle(self) -> None:
        wait = self._last_request + self.min_interval - self._clock()
        if wait > 0:
            self._sleep(wait)
        self._last_request = self._clock()

    def _note_quota(self, headers: Any) -> None:
        available, reset = headers.get("Rate-Limit-Available"), headers.get("Rate-Limit-Reset")
        if available is not None and str(available).strip().lstrip("-").isdigit():
            self.quota_available = int(available)
        if reset is not None and str(reset).strip().isdigit():
            self._quota_reset_ms = int(reset)

    def _get(self, resource: str, params: dict[str, str]) -> dict[str, Any]:
        """GET one Discovery resource, retrying what a retry can fix."""
        failures = 0
        for attempt in range(1, self.retries + RATE_LIMIT_ATTEMPTS + 2):
            if self.quota_available is not None and self.quota_available <= 0:
                raise QuotaExhausted(self._seconds_to_reset(), "Ticketmaster's daily quota")
            self._throttle()
            try:
                response = self.session.get(self.base_url + resource, timeout=self.timeout,
                                            params={**params, "apikey": self._key})
            except requests.RequestException as error:
                failures += 1
                if failures > self.retries:
                    # The exception's text holds the URL, and so the key: not shown.
                    raise ProviderUnavailable(f"cannot reach Ticketmaster "
                                              f"({type(error).__name__})") from None
                self._sleep(0.5 * 2 ** (failures - 1))
                continue
            self.requests += 1
            self.calls[f"GET {resource}"] += 1
            self._note_quota(response.headers)
            if response.status_code == 200:
                return response.json()
            try:
                body = response.json()
            except ValueError:
                body = {}
            fault = (body.get("fault") or {}) if isinstance(body, dict) else {}
            errorcode = str((fault.get("detail") or {}).get("errorcode", ""))
            if response.status_code == 429:
                if "QuotaViolation" in errorcode:
                    self.quota_available = 0
                    raise QuotaExhausted(self._seconds_to_reset(), "Ticketmaster's daily quota")
                if attempt >= RATE_LIMIT_ATTEMPTS:
                    raise ProviderUnavailable("Ticketmaster kept refusing requests as too fast "
                                              "(429 spike arrest)")
                log.info("Ticketmaster asked us to slow down; waiting %s s", attempt)
                self._sleep(float(attempt))
                continue
            if response.status_code in (401, 403):
                raise ProviderRefused(f"Ticketmaster refused the API key (TICKETMASTER_API_KEY): "
                                      f"HTTP {response.status_code} {errorcode or ''}".strip())
            if response.status_code >= 500:
                failures += 1
                if failures > self.retries:
                    raise ProviderUnavailable(f"Ticketmaster kept failing (HTTP "
                                              f"{response.status_code} after {self.retries} "
                                              "retries)")
                self._sleep(0.5 * 2 ** (failures - 1))
                continue
            errors = body.get("errors") if isinstance(body, dict) else None
            detail = (errors[0].get("detail") if errors and isinstance(errors[0], dict)
                      else "") or ""
            raise ProviderError(self._redact(f"Ticketmaster answered HTTP {response.status_code}"
                                             f" for {resource}: {detail}".rstrip(": ")))
        raise ProviderUnavailable("Ticketmaster kept failing")

    # ---------------------------------------------------------------- the provider
    def find_artist(self, artist_id: str, name: str) -> ArtistMatch | None:
        """Search attractions by the artist's name; match by Spotify link, else by name."""
        page = self._get("attractions.json", {"keyword": name, "classificationName": "music",
                                              "size": str(ATTRACTION_CANDIDATES)})
        return match_attraction(artist_id, name,
                                (page.get("_embedded") or {}).get("attractions") or [])

    def upcoming_events(self, performer_id: str, start: datetime, end: datetime, *,
                        near: Point | None = None, radius_km: float | None = None) -> Upcoming:
        """List an attraction's music events starting in [start, end], all pages."""
        params = {"attractionId": performer_id, "classificationName": "music",
                  "startDateTime": start.astimezone(UTC).strftime(DATETIME_FORMAT),
                  "endDateTime": end.astimezone(UTC).strftime(DATETIME_FORMAT),
                  "sort": "date,asc", "size": str(PAGE_SIZE)}
        if near is not None:
            params.update(latlong=f"{near.latitude:.4f},{near.longitude:.4f}",
                          radius=str(max(1, round(radius_km or 25))), unit="km")
        concerts: list[Concert] = []
        number = 0
        while True:
            page = self._get("events.json", {**params, "page": str(number)})
            for event in (page.get("_embedded") or {}).get("events") or []:
                concert = parse_event(event)
                if concert is not None:
                    concerts.append(concert)
            pages = int((page.get("page") or {}).get("totalPages") or 0)
            number += 1
            if number >= pages:
                return Upcoming(concerts, complete=True)
            if number * PAGE_SIZE >= MAX_DEPTH:
                return Upcoming(concerts, complete=False)
