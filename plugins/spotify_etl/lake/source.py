"""Read one snapshot day from the store, table by table, for the lake export.

Every read is served by an index of `storage.INDEXES` (named at each query) or is an `_id`
lookup. Dates are `date` objects here; stored documents hold YYYY-MM-DD strings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from spotify_etl.lake import tables

if TYPE_CHECKING:
    from pymongo.database import Database

DIFF_KINDS = ("pair", "ranges", "change")
CHUNK = 1000


def _by_ids(db: Database, collection: str, ids: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), CHUNK):
        found.extend(db[collection].find({"_id": {"$in": ids[start:start + CHUNK]}}))
    return found


def top_lists_on(db: Database, snapshot_date: date) -> list[dict[str, Any]]:
    """Return every top list of a date (index `top_lists (snapshot_date, kind, time_range)`)."""
    return list(db.top_lists.find({"snapshot_date": snapshot_date.isoformat()}))


def plays_on(db: Database, snapshot_date: date) -> list[dict[str, Any]]:
    """Return every play of that UTC day (index `plays (played_at desc)`)."""
    return plays_by_day(db, snapshot_date, snapshot_date).get(snapshot_date, [])


def plays_by_day(db: Database, first: date, last: date) -> dict[date, list[dict[str, Any]]]:
    """Return the plays of the UTC days first..last, by day: one range read for many days
    (index `plays (played_at desc)`), so a backfill does not read the plays once per day."""
    start = datetime.combine(first, time(), tzinfo=UTC)
    end = datetime.combine(last, time(), tzinfo=UTC) + timedelta(days=1)
    days: dict[date, list[dict[str, Any]]] = {}
    for play in db.plays.find({"played_at": {"$gte": start, "$lt": end}}).sort("played_at", 1):
        days.setdefault(_utc_day(play["played_at"]), []).append(play)
    return days


def _utc_day(moment: datetime) -> date:
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def day_rows(db: Database, snapshot_date: date, plays: list[dict[str, Any]] | None = None
             ) -> dict[str, list[dict[str, Any]]]:
    """Return the rows of every lake table for one date (its plays, when already read)."""
    top = top_lists_on(db, snapshot_date)
    plays = plays_on(db, snapshot_date) if plays is None else plays
    track_ids = {item["item_id"] for d in top if d["kind"] == "tracks" for item in d.get("items")
                 or []} | {p["track_id"] for p in plays if p.get("track_id")}
    artist_ids = {artist for d in top for item in d.get("items") or []
                  for artist in ([item["item_id"]] if d["kind"] == "artists"
                                 else item.get("artist_ids") or [])}
    artist_ids |= {artist for p in plays for artist in p.get("artist_ids") or []}
    diffs = list(db.diffs.find({"kind": {"$in": list(DIFF_KINDS)},  # (kind, snapshot_date)
                                "snapshot_date": snapshot_date.isoformat()}))
    twins = list(db.taste_twins.find({"snapshot_date": snapshot_date.isoformat()}))
    return {
        "top_lists": tables.top_list_rows(top),
        "plays": tables.play_rows(plays),
        "artists": tables.artist_rows(_by_ids(db, "artists", sorted(artist_ids))),
        "tracks": tables.track_rows(_by_ids(db, "tracks", sorted(track_ids))),
        "diffs": tables.diff_rows(diffs),
        "match_scores": tables.match_rows(diffs, twins),
    }


def _oldest_play(db: Database) -> date | None:
    oldest = list(db.plays.find({}, {"played_at": 1}).sort("played_at", 1).limit(1))
    return oldest[0]["played_at"].date() if oldest else None  # index `plays (played_at)`


def export_dates(db: Database, first: date | None = None, last: date | None = None
                 ) -> list[date]:
    """Return the days within [first, last] that have top lists or plays, oldest first.

    Days of plays without a snapshot (an imported history, the plays before the first
    snapshot) get partitions too, so the lake's plays are all the stored plays.
    """
    snapshots = {date.fromisoformat(d) for d in db.top_lists.distinct("snapshot_date") if d}
    known = [d for d in (min(snapshots, default=None), _oldest_play(db)) if d]
    if not known:
        return []
    start = max(min(known), first) if first else min(known)
    end = last or max([*snapshots, datetime.now(UTC).date()])
    played = {_utc_day(play["played_at"]) for play in db.plays.find(
        {"played_at": {"$gte": datetime.combine(start, time(), tzinfo=UTC),
                       "$lt": datetime.combine(end, time(), tzinfo=UTC) + timedelta(days=1)}},
        {"played_at": 1, "_id": 0})}  # one range read (index `plays (played_at)`), not one a day
    return sorted(day for day in snapshots | played if start <= day <= end)
