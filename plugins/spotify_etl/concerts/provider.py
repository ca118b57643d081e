"""What a concert provider offers, whoever it is: find an artist, list its upcoming concerts.

Ticketmaster is the one provider today (`ticketmaster.py`); another source (Bandsintown, a
venue feed) implements the same two methods and raises the same errors. Concerts come back
provider-neutral (`Concert` below), so storage and bins never see a provider's shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from spotify_etl.concerts.geo import Point

# A concert, provider-neutral (what `upcoming_events` returns and `repository` stores):
#   event_id, name, url, status ("onsale", "canceled", ...), local_date "YYYY-MM-DD",
#   local_time "HH:MM:SS" or None (to be announced), starts_at (UTC datetime or None), timezone,
#   venue {id, name, city, state, country, country_code, address, latitude, longitude},
#   performers [{id, name, spotify_artist_id or None}]
Concert = dict[str, Any]


@dataclass(frozen=True)
class ArtistMatch:
    """The provider's performer for a Spotify artist, and how it was recognised."""

    performer_id: str
    name: str
    matched_by: str  # constants.MATCH_SPOTIFY_LINK, or MATCH_NAME (flagged as a fallback)


@dataclass(frozen=True)
class Upcoming:
    """A performer's concerts in a window; `complete` is False when paging stopped early."""

    concerts: list[Concert] = field(default_factory=list)
    complete: bool = True


class ConcertProvider(Protocol):
    """A source of concerts."""

    name: str
    requests: int  # requests made so far (for the runs' bookkeeping and the benchmark)

    def find_artist(self, artist_id: str, name: str) -> ArtistMatch | None:
        """Find the performer who is this Spotify artist, or None."""

    def upcoming_events(self, performer_id: str, start: datetime, end: datetime, *,
                        near: Point | None = None, radius_km: float | None = None) -> Upcoming:
        """List a performer's concerts starting in [start, end] (UTC), optionally near a point."""


class ProviderError(RuntimeError):
    """The provider could not answer; the message never contains a credential."""


class ProviderNotConfigured(ProviderError):
    """No provider is configured (no API key)."""


class ProviderRefused(ProviderError):
    """The provider refused our credentials: a retry cannot fix it."""


class ProviderUnavailable(ProviderError):
    """The provider kept failing (5xx, network, rate limit) after our retries."""


class QuotaExhausted(ProviderError):
    """The day's request quota is spent; `retry_after` seconds until it resets."""

    def __init__(self, retry_after: int, detail: str = "") -> None:
        self.retry_after = max(0, int(retry_after))
        super().__init__(f"concert provider quota exhausted, resets in {self.retry_after} s"
                         + (f" ({detail})" if detail else ""))
