"""Read-only views of the store for people at a terminal: users, stats, taste summaries.

Nothing here writes. Plain text tables, no extra dependency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spotify_etl.settings import Settings, load_settings
from spotify_etl.storage import backend_name, open_database

if TYPE_CHECKING:
    from pymongo.database import Database

COLLECTIONS = ("users", "tokens", "artists", "albums", "tracks", "top_items", "plays", "runs")


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Format rows as an aligned text table."""
    cells = [[("" if row.get(c) is None else str(row.get(c))) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def user_rows(settings: Settings | None = None) -> list[dict[str, Any]]:
    """One row per person: id, name, status and why, last snapshot, token expiry."""
    with open_database(settings, write=False) as db:
        users = list(db.users.find({}, projection={"display_name": 1, "status": 1,
                                                   "reauth_reason": 1, "last_snapshot_date": 1,
                                                   "refresh_token_expires_at": 1}).sort("_id", 1))
    return [{"user_id": u["_id"], "display_name": u.get("display_name"),
             "status": u.get("status"), "reason": u.get("reauth_reason"),
             "last_snapshot_date": u.get("last_snapshot_date"),
             "refresh_token_expires": (u["refresh_token_expires_at"].date().isoformat()
                                       if u.get("refresh_token_expires_at") else None)}
            for u in users]


def store_stats(settings: Settings | None = None) -> dict[str, Any]:
    """Count documents per collection, list snapshot dates and people by status."""
    settings = settings or load_settings()
    with open_database(settings, write=False) as db:
        counts = {name: db[name].count_documents({}) for name in COLLECTIONS}
        dates = sorted(db.top_items.distinct("snapshot_date"))
        by_status = {row["_id"]: row["n"] for row in db.users.aggregate(
            [{"$group": {"_id": "$status", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}])}
    where = backend_name(settings)
    if where == "embedded":
        where = f"embedded development store under {settings.data_dir}"
    return {"store": where, "database": settings.database, "collections": counts,
            "snapshot_dates": dates, "users_by_status": by_status}


def top_names(db: Database, user_id: str, snapshot_date: str, kind: str, time_range: str,
              limit: int) -> list[str]:
    """Return the names of a person's top items on a date, best first."""
    cursor = db.top_items.find({"user_id": user_id, "snapshot_date": snapshot_date, "kind": kind,
                                "time_range": time_range, "rank": {"$lte": limit}},
                               projection={"name": 1, "rank": 1}).sort("rank", 1)
    return [document["name"] for document in cursor]
