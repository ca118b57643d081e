"""Write one person-day into MongoDB: bulk upserts on natural keys, so a rerun changes nothing.

One `bulk_write` per collection. Catalogue documents (artists, tracks, albums) keep the latest
metadata; each top list is one document (user, date, kind, time range) replaced as a whole, so a
rerun leaves no stale rank; plays are keyed by (user, played_at).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pymongo import ReplaceOne, UpdateOne

from spotify_etl.pipeline.transform import records, top_list_documents
from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from datetime import date

    from pymongo.database import Database

    from spotify_etl.pipeline.transform import UserDay


def _catalogue_ops(frame, snapshot_date: str, *, details: bool = False) -> list[UpdateOne]:
    ops = []
    for document in records(frame):
        key = document.pop("_id")
        update: dict[str, Any] = {"$set": document, "$max": {"last_seen_date": snapshot_date}}
        if details:
            update["$max"]["details_as_of"] = snapshot_date
        ops.append(UpdateOne({"_id": key}, update, upsert=True))
    return ops


def _artist_name_ops(day: UserDay, snapshot_date: str) -> list[UpdateOne]:
    """Make sure every artist a track names exists, without erasing fuller details."""
    names: dict[str, str] = {}
    for frame in (day.tracks, day.plays):
        for ids, artist_names in zip(frame["artist_ids"], frame["artist_names"]):
            names.update(zip(ids, artist_names))
    full = set(day.artists["_id"])
    return [UpdateOne({"_id": artist_id},
                      {"$set": {"name": name, "uri": f"spotify:artist:{artist_id}"},
                       "$max": {"last_seen_date": snapshot_date}}, upsert=True)
            for artist_id, name in names.items() if artist_id not in full]


def load_catalogue(db: Database, day: UserDay, snapshot_date: date) -> None:
    """Upsert the artists (names at least), albums and tracks a person-day mentions."""
    when = snapshot_date.isoformat()
    for collection, ops in (("artists", _catalogue_ops(day.artists, when, details=True)
                             + _artist_name_ops(day, when)),
                            ("albums", _catalogue_ops(day.albums, when)),
                            ("tracks", _catalogue_ops(day.tracks, when))):
        if ops:
            db[collection].bulk_write(ops, ordered=False)


def quarantine_documents(user_id: str, snapshot_date: date,
                         day: UserDay) -> list[dict[str, Any]]:
    """Keep what Spotify sent but could not be used, raw, with where it was and why."""
    when = snapshot_date.isoformat()
    return [{"_id": document_id(user_id, when, entry["source"], entry["position"]),
             "user_id": user_id, "snapshot_date": when, **entry} for entry in day.quarantined]


def load_user_day(db: Database, user_id: str, snapshot_date: date, day: UserDay,
                  fetched: set[tuple[str, str]]) -> dict[str, int]:
    """Upsert one person-day; `fetched` names the (kind, time_range) lists that were read."""
    when = snapshot_date.isoformat()
    counts: dict[str, int] = {}

    def write(collection: str, ops: list) -> None:
        if ops:
            result = db[collection].bulk_write(ops, ordered=False)
            counts[collection] = (result.upserted_count + result.modified_count
                                  + result.deleted_count)
        else:
            counts[collection] = 0

    write("artists", _catalogue_ops(day.artists, when, details=True) + _artist_name_ops(day, when))
    write("albums", _catalogue_ops(day.albums, when))
    write("tracks", _catalogue_ops(day.tracks, when))

    write("top_lists", [ReplaceOne({"_id": document["_id"]}, document, upsert=True)
                        for document in top_list_documents(user_id, snapshot_date,
                                                           day.top_items, fetched)])
    write("plays", [UpdateOne({"_id": document_id(user_id, document["played_at"])},
                              {"$set": document}, upsert=True)
                    for document in records(day.plays)])
    write("quarantine", [ReplaceOne({"_id": document["_id"]}, document, upsert=True)
                         for document in quarantine_documents(user_id, snapshot_date, day)])
    counts["quarantined"] = len(day.quarantined)
    counts["documents"] = (len(day.artists) + len(day.albums) + len(day.tracks)
                           + len(fetched) + len(day.plays) + len(day.quarantined))
    return counts
