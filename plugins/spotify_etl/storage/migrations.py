"""Bring a store written by an older version up to today's shape; safe to run again.

`migrate_top_items` folds the per-rank `top_items` documents (one per rank, before the bucket
pattern) into `top_lists` (one document per person, date, kind and time range). Each list is
written before its old rows are deleted, so a migration stopped at any point loses nothing and
simply continues when run again; a list that already exists in `top_lists` (written by the
new pipeline) is kept as it is, and its old rows are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pymongo import DeleteMany, InsertOne

from spotify_etl.storage.keys import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

log = logging.getLogger(__name__)
LEGACY = "top_items"
ITEM_FIELDS = ("rank", "item_id", "name", "artist_ids", "artist_names", "genres")
CHUNK = 500  # lists per write


def pending(db: Database) -> int:
    """How many old per-rank documents still wait for `migrate_top_items`."""
    if LEGACY not in db.list_collection_names():
        return 0
    return db[LEGACY].count_documents({})


def _bucket(key: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    items = sorted(({field: row[field] for field in ITEM_FIELDS
                     if field in row and not (field == "genres" and key["kind"] == "tracks")}
                    for row in rows), key=lambda item: item["rank"])
    return {"_id": document_id(key["user_id"], key["snapshot_date"], key["kind"],
                               key["time_range"]),
            **key, "item_count": len(items), "items": items}


def migrate_top_items(db: Database,
                      progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Fold `top_items` into `top_lists`; return lists written, lists kept, rows removed.

    `progress(n)` is called with the number of old rows handled after every chunk.
    """
    done = {"lists_written": 0, "lists_kept": 0, "rows_removed": 0}
    if not pending(db):
        return done
    groups = db[LEGACY].aggregate([
        {"$group": {"_id": {"user_id": "$user_id", "snapshot_date": "$snapshot_date",
                            "kind": "$kind", "time_range": "$time_range"},
                    "rows": {"$push": "$$ROOT"}}},
    ])  # MongoDB 6+ spills a large $group to disk by default (allowDiskUseByDefault)
    batch: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for group in groups:
        batch.append((group["_id"], group["rows"]))
        if len(batch) >= CHUNK:
            _migrate_chunk(db, batch, done, progress)
            batch = []
    if batch:
        _migrate_chunk(db, batch, done, progress)
    if not db[LEGACY].count_documents({}):
        db.drop_collection(LEGACY)
    log.info("top_items migrated: %s", done)
    return done


def _migrate_chunk(db: Database, batch: list[tuple[dict[str, Any], list[dict[str, Any]]]],
                   done: dict[str, int], progress: Callable[[int], None] | None) -> None:
    buckets = [_bucket(key, rows) for key, rows in batch]
    existing = {document["_id"] for document in db.top_lists.find(
        {"_id": {"$in": [bucket["_id"] for bucket in buckets]}}, projection={"_id": 1})}
    new = [InsertOne(bucket) for bucket in buckets if bucket["_id"] not in existing]
    if new:
        db.top_lists.bulk_write(new, ordered=False)
    # Only once the lists are stored do their old rows go.
    old_ids = [row["_id"] for _, rows in batch for row in rows]
    removed = db[LEGACY].bulk_write([DeleteMany({"_id": {"$in": old_ids}})]).deleted_count
    done["lists_written"] += len(new)
    done["lists_kept"] += len(buckets) - len(new)
    done["rows_removed"] += removed
    if progress:
        progress(len(old_ids))
