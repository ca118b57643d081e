"""Read stored snapshots for the analytics and write their results (`diffs`, `mixes`).

Every read addresses a top list by its `_id` (user|date|kind|time_range), the one lookup
every store answers without a scan. Writes replace a whole result, so a rerun with the same
inputs leaves identical documents; publishing state lives apart from the computed fields.
Dates are `date` objects here; the stored documents hold them as YYYY-MM-DD strings.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from spotify_etl.constants import KINDS
from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

ITEM_FIELDS = ("item_id", "rank", "name", "artist_ids", "artist_names", "genres")


def top_list(db: Database, user_id: str, snapshot_date: date, kind: str,
             time_range: str) -> list[dict[str, Any]]:
    """Return one of a person's top lists on a date, best first (empty if not stored)."""
    document = db.top_lists.find_one({"_id": document_id(user_id, snapshot_date, kind,
                                                         time_range)})
    items = [{field: item.get(field) for field in ITEM_FIELDS}
             for item in (document or {}).get("items") or []]
    return sorted(items, key=lambda item: item["rank"])


def profile(db: Database, user_id: str, snapshot_date: date, time_range: str
            ) -> dict[str, list[dict[str, Any]]]:
    """Return a person's top artists and tracks for one date and time range."""
    return {kind: top_list(db, user_id, snapshot_date, kind, time_range) for kind in KINDS}


def has_snapshot(db: Database, user_id: str, snapshot_date: date, time_range: str) -> bool:
    """Tell whether a person has a non-empty top list stored for a date and time range."""
    found = db.top_lists.find({"_id": {"$in": [document_id(user_id, snapshot_date, kind,
                                                            time_range) for kind in KINDS]}},
                              projection={"item_count": 1})
    return any(document.get("item_count") for document in found)


def earlier_snapshot(db: Database, user_id: str, snapshot_date: date, days: int,
                     time_range: str, tolerance: int = 2) -> date | None:
    """Find the snapshot `days` before a date, or up to `tolerance` days older; None if none."""
    anchor = snapshot_date - timedelta(days=days)
    for back in range(tolerance + 1):
        candidate = anchor - timedelta(days=back)
        if has_snapshot(db, user_id, candidate, time_range):
            return candidate
    return None


def latest_snapshot_date(db: Database) -> date | None:
    """Return the newest snapshot date of anyone (from `users`, small; else `top_lists`)."""
    dates = [u["last_snapshot_date"] for u in db.users.find({}, {"last_snapshot_date": 1})
             if u.get("last_snapshot_date")]
    if not dates:
        newest = list(db.top_lists.find({}, {"snapshot_date": 1}).sort("snapshot_date", -1)
                      .limit(1))
        dates = [newest[0]["snapshot_date"]] if newest else []
    return date.fromisoformat(max(dates)) if dates else None


def track_details(db: Database, track_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return the catalogue's ISRC and URI of tracks, by id."""
    found = db.tracks.find({"_id": {"$in": list(dict.fromkeys(track_ids))}})
    return {t["_id"]: {"isrc": t.get("isrc"), "uri": t.get("uri")} for t in found}


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


def newest_mix(db: Database, group: str, snapshot_date: date) -> dict[str, Any] | None:
    """Return the group's mix of a date, else its newest mix before it."""
    mix = db.mixes.find_one({"_id": document_id(group, snapshot_date)})
    if mix is None:
        older = list(db.mixes.find({"group": group,
                                    "snapshot_date": {"$lte": snapshot_date.isoformat()}})
                     .sort("snapshot_date", -1).limit(1))
        mix = older[0] if older else None
    return mix


def top_items_on(db: Database, snapshot_date: date, time_range: str) -> list[dict[str, Any]]:
    """Everyone's ranked items of one date and time range, one row per item (for twins)."""
    rows = []
    for document in db.top_lists.find({"snapshot_date": snapshot_date.isoformat(),
                                       "kind": {"$in": list(KINDS)}, "time_range": time_range}):
        rows.extend({**{field: item.get(field) for field in ITEM_FIELDS},
                     "user_id": document["user_id"], "kind": document["kind"]}
                    for item in document.get("items") or [])
    return rows
