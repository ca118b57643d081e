"""Fetch artists' upcoming concerts into the store, at most once per artist per day.

The daily cache: an artist looked up today (`concert_lookups`) is not asked again today, by
anyone; which performer an artist is (`concert_matches`) is kept for
SPOTIFY_ETL_CONCERTS_ATTRACTION_REFRESH_DAYS. Each artist's concerts are stored as soon as they
arrive, so a run stopped by the provider's quota keeps everything it fetched, and the next run
goes on with the artists not yet fetched today (least recently fetched first).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from spotify_etl.concerts import repository
from spotify_etl.concerts.provider import ProviderUnavailable, QuotaExhausted
from spotify_etl.constants import MATCH_NAME

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.concerts.provider import ConcertProvider
    from spotify_etl.settings import Settings

log = logging.getLogger(__name__)
COMPLETE, QUOTA_EXHAUSTED, UNAVAILABLE = "complete", "quota_exhausted", "unavailable"


@dataclass
class FetchReport:
    """What one fetch did; `status` says whether every artist is fetched for the day."""

    day: date
    artists: int = 0
    cached: int = 0
    fetched: int = 0
    no_match: int = 0
    matched_by_name: int = 0
    requests: int = 0
    status: str = COMPLETE
    retry_after: int | None = None
    error: str | None = None
    remaining: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON (an XCom, a CLI line)."""
        return {"day": self.day.isoformat(), "artists": self.artists, "cached": self.cached,
                "fetched": self.fetched, "no_match": self.no_match,
                "matched_by_name": self.matched_by_name, "requests": self.requests,
                "status": self.status, "retry_after": self.retry_after, "error": self.error,
                "remaining": len(self.remaining)}


def window(day: date, horizon_days: int) -> tuple[datetime, datetime]:
    """Return the UTC window asked of the provider for a day's lookups.

    A day wider on each side than the local dates it serves: a concert's local date can be a
    day away from its UTC date (UTC-12 to UTC+14).
    """
    return (datetime.combine(day - timedelta(days=1), time(0), UTC),
            datetime.combine(day + timedelta(days=horizon_days + 1), time(23, 59, 59), UTC))


def fetch_concerts(db: Database, provider: ConcertProvider, artists: list[tuple[str, str]],
                   day: date, settings: Settings) -> FetchReport:
    """Make sure each (artist id, name) has today's lookup; stop cleanly on quota or outage."""
    report = FetchReport(day=day)
    unique = dict(sorted(dict(artists).items()))
    report.artists = len(unique)
    last = repository.last_lookup_days(db, provider.name, list(unique), day)
    todo = [a for a in unique if last.get(a) != day]
    report.cached = report.artists - len(todo)
    # Least recently fetched first, so a quota that runs out rotates fairly over the days.
    todo.sort(key=lambda a: (last.get(a, date.min), a))
    start, end = window(day, settings.concerts_horizon_days)
    for position, artist_id in enumerate(todo):
        before = provider.requests
        try:
            known, match = repository.saved_match(db, provider.name, artist_id, day,
                                                  settings.concerts_attraction_refresh_days)
            if not known:
                match = provider.find_artist(artist_id, unique[artist_id])
                repository.save_match(db, provider.name, artist_id, unique[artist_id], day,
                                      match)
            upcoming = provider.upcoming_events(match.performer_id, start, end) if match else None
        except (QuotaExhausted, ProviderUnavailable) as error:
            report.requests += provider.requests - before
            report.status = QUOTA_EXHAUSTED if isinstance(error, QuotaExhausted) else UNAVAILABLE
            report.retry_after = getattr(error, "retry_after", None)
            report.error = str(error)
            report.remaining = todo[position:]
            log.warning("Concert fetch stopped after %s of %s artists: %s", report.fetched,
                        len(todo), error)
            return report
        used = provider.requests - before
        report.requests += used
        repository.save_lookup(db, provider.name, artist_id, day, match,
                               upcoming.concerts if upcoming else [],
                               upcoming.complete if upcoming else True, used)
        report.fetched += 1
        report.no_match += match is None
        report.matched_by_name += bool(match and match.matched_by == MATCH_NAME)
    return report
