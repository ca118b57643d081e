"""Read snapshots for the analytics and write their results (`diffs`, `mixes`) by natural key.

Every read addresses `top_items` by `_id` (user|date|kind|time_range|rank), the one lookup
every store answers without a scan. Writes replace a whole result, so a rerun with the same
inputs leaves identical documents; publishing state lives apart from the computed fields.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from spotify_etl.settings import KINDS, TOP_LIMIT as MAX_RANK
from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

ITEM_FIELDS = ("item_id", "rank", "name", "artist_ids", "artist_names", "genres")


def top_list(db: Database, user_id: str, snapshot_date: str, kind: str,
             time_range: str) -> list[dict[str, Any]]:
    """Return one of a person's top lists on a date, best first (empty if not stored)."""
    ids = [document_id(user_id, snapshot_date, kind, time_range, rank)
           for rank in range(1, MAX_RANK + 1)]
    found = db.top_items.find({"_id": {"$in": ids}})
    items = [{field: document.get(field) for field in ITEM_FIELDS} for document in found]
    return sorted(items, key=lambda item: item["rank"])


def profile(db: Database, user_id: str, snapshot_date: str, time_range: str
            ) -> dict[str, list[dict[str, Any]]]:
    """Return a person's top artists and tracks for one date and time range."""
    return {kind: top_list(db, user_id, snapshot_date, kind, time_range) for kind in KINDS}


def has_snapshot(db: Database, user_id: str, snapshot_date: str, time_range: str) -> bool:
    """Tell whether a person has any top item stored for a date and time range."""
    return any(db.top_items.find_one({"_id": document_id(user_id, snapshot_date, kind,
                                                         time_range, 1)}, projection={"_id": 1})
               for kind in KINDS)


def earlier_snapshot(db: Database, user_id: str, snapshot_date: str, days: int,
                     time_range: str, tolerance: int = 2) -> str | None:
    """Find the snapshot `days` before a date, or up to `tolerance` days older; None if none."""
    anchor = date.fromisoformat(snapshot_date) - timedelta(days=days)
    for back in range(tolerance + 1):
        candidate = (anchor - timedelta(days=back)).isoformat()
        if has_snapshot(db, user_id, candidate, time_range):
            return candidate
    return None


def latest_snapshot_date(db: Database) -> str | None:
    """Return the newest snapshot date of anyone (from `users`, small; else `top_items`)."""
    dates = [u["last_snapshot_date"] for u in db.users.find({}, {"last_snapshot_date": 1})
             if u.get("last_snapshot_date")]
    if dates:
        return max(dates)
    newest = list(db.top_items.find({}, {"snapshot_date": 1}).sort("snapshot_date", -1).limit(1))
    return newest[0]["snapshot_date"] if newest else None


def track_details(db: Database, track_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return the catalogue's ISRC and URI of tracks, by id."""
    found = db.tracks.find({"_id": {"$in": list(dict.fromkeys(track_ids))}})
    return {t["_id"]: {"isrc": t.get("isrc"), "uri": t.get("uri")} for t in found}


def display_names(db: Database, user_ids: list[str]) -> dict[str, str]:
    """Return people's display names (their id when they have none)."""
    found = {u["_id"]: u.get("display_name") for u in db.users.find({"_id": {"$in": user_ids}})}
    return {user_id: found.get(user_id) or user_id for user_id in user_ids}


def save_diff(db: Database, diff: dict[str, Any]) -> None:
    """Store a diff under its natural key, replacing the previous result."""
    db.diffs.replace_one({"_id": diff["_id"]}, diff, upsert=True)


def save_mix(db: Database, mix: dict[str, Any], *, publish: bool = False) -> bool:
    """Store a computed mix, keeping its publishing state; return True when it changed."""
    previous = db.mixes.find_one({"_id": mix["_id"]})
    computed = {key: value for key, value in mix.items() if key != "_id"}
    if previous is not None and {k: v for k, v in previous.items()
                                 if k not in ("_id", "publish")} == computed:
        return False
    update: dict[str, Any] = {"$set": computed}
    if previous is None or previous.get("tracks") != computed.get("tracks"):
        # A new or different mix needs publishing (again); an identical rerun does not.
        update["$set"] = {**computed, "publish": {"status": "pending" if publish else "off",
                                                  "attempts": 0}}
    db.mixes.update_one({"_id": mix["_id"]}, update, upsert=True)
    return True
