"""Reads the dashboard needs, each by `_id` or served by an index of `storage.INDEXES`.

Top lists are addressed by `_id` (user|date|kind|time_range) through `analytics.repository`;
a person's snapshot dates come from `runs (user_id, snapshot_date desc)`, their plays from
`plays (user_id, played_at desc)`, a person's groups from `groups.members`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from spotify_etl.constants import PARTIAL, SUCCESS
from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

PLAY_FIELDS = {"played_at": 1, "track_id": 1, "track_name": 1, "artist_ids": 1,
               "artist_names": 1, "duration_ms": 1, "_id": 0}


def person(db: Database, user_id: str) -> dict[str, Any] | None:
    """Return a connected person (no tokens live in `users`), or None."""
    return db.users.find_one({"_id": user_id}, {"display_name": 1, "last_snapshot_date": 1})


def snapshot_dates(db: Database, user_id: str, limit: int = 60) -> list[date]:
    """Return the person's loaded snapshot dates, newest first (at most `limit`)."""
    runs = db.runs.find({"user_id": user_id, "status": {"$in": [SUCCESS, PARTIAL]}},
                        {"snapshot_date": 1}).sort("snapshot_date", -1).limit(limit)
    return [date.fromisoformat(run["snapshot_date"]) for run in runs]


def top_lists(db: Database, user_id: str, dates: list[date], kind: str,
              time_range: str) -> dict[date, list[dict[str, Any]]]:
    """Return the person's top lists of one kind and range on each date (by `_id`)."""
    ids = {document_id(user_id, day, kind, time_range): day for day in dates}
    found = db.top_lists.find({"_id": {"$in": list(ids)}}, {"items": 1})
    lists = {ids[d["_id"]]: sorted(d.get("items") or [], key=lambda i: i["rank"]) for d in found}
    return {day: lists.get(day, []) for day in dates}


def plays(db: Database, user_id: str, since: datetime | None = None,
          until: datetime | None = None) -> list[dict[str, Any]]:
    """Return the person's plays (oldest first) within [since, until)."""
    query: dict[str, Any] = {"user_id": user_id}
    window = {**({"$gte": since} if since else {}), **({"$lt": until} if until else {})}
    if window:
        query["played_at"] = window
    rows = list(db.plays.find(query, PLAY_FIELDS).sort("played_at", -1))
    for row in rows:
        if row["played_at"].tzinfo is None:  # the store's instants are UTC
            row["played_at"] = row["played_at"].replace(tzinfo=UTC)
    return rows[::-1]


def play_totals(db: Database, user_id: str) -> dict[str, Any] | None:
    """Sum up all of a person's stored plays in the database (index `plays (user_id, ...)`):
    count, milliseconds, distinct tracks and artists, first and last; None without plays."""
    match = {"$match": {"user_id": user_id}}
    totals = list(db.plays.aggregate([match, {"$group": {
        "_id": None, "plays": {"$sum": 1}, "ms": {"$sum": "$duration_ms"},
        "first": {"$min": "$played_at"}, "last": {"$max": "$played_at"},
        "tracks": {"$addToSet": "$track_id"}}}]))
    if not totals or not totals[0]["plays"]:  # mongomock groups an empty input, MongoDB not
        return None
    artists = list(db.plays.aggregate([match, {"$unwind": "$artist_ids"},
                                       {"$group": {"_id": "$artist_ids"}},
                                       {"$count": "artists"}]))
    found = totals[0]
    return {"plays": found["plays"], "ms": found["ms"] or 0, "tracks": len(found["tracks"]),
            "artists": artists[0]["artists"] if artists else 0,
            "first": found["first"], "last": found["last"]}


def artist_genres(db: Database, artist_ids: list[str]) -> dict[str, list[str]]:
    """Return the catalogue's genres of artists, by id."""
    found = db.artists.find({"_id": {"$in": sorted(set(artist_ids))}}, {"genres": 1})
    return {a["_id"]: list(a.get("genres") or []) for a in found}


def groups_of(db: Database, user_id: str) -> list[dict[str, Any]]:
    """Return the groups a person belongs to, by name (index `groups.members`)."""
    return list(db.groups.find({"members": user_id}).sort("_id", 1))


def group(db: Database, name: str) -> dict[str, Any] | None:
    """Return one group, or None."""
    return db.groups.find_one({"_id": name})


def pair_diffs(db: Database, members: list[str], snapshot_date: date,
               time_range: str) -> list[dict[str, Any]]:
    """Return the stored diffs of every pair of members on a date (by `_id`)."""
    ordered = sorted(members)
    ids = [document_id("pair", a, b, snapshot_date, time_range)
           for i, a in enumerate(ordered) for b in ordered[i + 1:]]
    return list(db.diffs.find({"_id": {"$in": ids}}))


def change_diff(db: Database, user_id: str, snapshot_date: date, days: int,
                time_range: str) -> dict[str, Any] | None:
    """Return the stored 'what changed in N days' diff of a person (by `_id`)."""
    return db.diffs.find_one({"_id": document_id("change", user_id, snapshot_date, f"{days}d",
                                                 time_range)})


def newest_group_date(db: Database, name: str) -> date | None:
    """Return the newest date the group has a mix for (index `mixes (group, snapshot_date)`)."""
    newest = list(db.mixes.find({"group": name}, {"snapshot_date": 1})
                  .sort("snapshot_date", -1).limit(1))
    return date.fromisoformat(newest[0]["snapshot_date"]) if newest else None
