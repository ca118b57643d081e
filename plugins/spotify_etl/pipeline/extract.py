"""Read one person's day from Spotify: top items for each time range and recent plays.

About seven requests a person a day: six top lists (two kinds by three time ranges, 50 items
each, Spotify's maximum) and one page of recently played after the last cursor. Artist
details are looked up separately, only for artists the store lacks or holds stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING, Any

from spotify_etl.constants import KINDS

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.spotify.client import SpotifySource


@dataclass
class RawUserDay:
    """Spotify's payloads for one person and day, untouched."""

    top: dict[tuple[str, str], list[Any]]
    plays: list[Any]
    plays_cursor_ms: int | None = None  # Spotify's cursor after these plays


def extract_user_day(source: SpotifySource, snapshot_date: date, time_ranges: list[str],
                     after_ms: int | None, *, read_plays: bool = True) -> RawUserDay:
    """Fetch the top lists and the recent plays; refuse dates the source cannot answer for.

    `read_plays` False: the adaptive capture reads this person's plays (docs/history.md).
    """
    top: dict[tuple[str, str], list[Any]] = {}
    for kind in KINDS:
        for time_range in time_ranges:
            top[(kind, time_range)] = source.top_items(kind, time_range)
            if len(top) == 1:  # the first answer says whether the source can time-travel
                source.check_snapshot_date(snapshot_date)
    if not read_plays:
        return RawUserDay(top=top, plays=[], plays_cursor_ms=None)
    plays, cursor_ms = source.recently_played(after_ms)
    return RawUserDay(top=top, plays=plays, plays_cursor_ms=cursor_ms)


def artists_to_refresh(db: Database, artist_ids: set[str], snapshot_date: date,
                       refresh_days: int) -> list[str]:
    """Pick the artists whose details are missing or older than `refresh_days`."""
    if not artist_ids:
        return []
    fresh_after = (snapshot_date - timedelta(days=refresh_days)).isoformat()
    fresh = {document["_id"] for document in db.artists.find(
        {"_id": {"$in": sorted(artist_ids)}, "details_as_of": {"$gt": fresh_after}},
        projection={"_id": 1})}
    return sorted(artist_ids - fresh)


def play_cursor_ms(db: Database, user_id: str, snapshot_date: date) -> int | None:
    """Return where the recently-played read for a date starts, in Spotify's milliseconds.

    Going forward: the cursor Spotify returned last time (kept on the person, one `_id`
    read). For a date older than one already snapshotted (a backfill out of order): none, so
    the read gets that day's most recent plays, including those a later day's page could not
    reach (plays are upserted by time: the overlap is stored once). For stores from before the
    cursor was kept: the newest stored play.
    """
    user = db.users.find_one({"_id": user_id},
                             projection={"plays_cursor_ms": 1, "last_snapshot_date": 1}) or {}
    last = user.get("last_snapshot_date")
    if last and snapshot_date.isoformat() < last:
        return None
    if user.get("plays_cursor_ms") is not None:
        return int(user["plays_cursor_ms"])
    return newest_play_ms(db, user_id)


def newest_play_ms(db: Database, user_id: str) -> int | None:
    """Return the newest stored play of the user as Spotify's millisecond cursor."""
    newest = db.plays.find_one({"user_id": user_id}, sort=[("played_at", -1)],
                               projection={"played_at": 1})
    if newest is None:
        return None
    played_at = newest["played_at"]
    if played_at.tzinfo is None:  # a client without tz_aware: MongoDB stores UTC
        played_at = played_at.replace(tzinfo=UTC)
    return int(played_at.timestamp() * 1000)
