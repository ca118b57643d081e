"""What the store holds: documents per collection, snapshot dates, people by status.

Read-only; for `python -m spotify_etl stats` and the demo's summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spotify_etl.storage.backend import EMBEDDED, backend_name
from spotify_etl.storage.definitions import COLLECTIONS

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.settings import Settings


def store_stats(db: Database, settings: Settings) -> dict[str, Any]:
    """Count documents per collection, list snapshot dates and people by status."""
    counts = {name: db[name].count_documents({}) for name in COLLECTIONS}
    dates = sorted(db.top_lists.distinct("snapshot_date"))
    by_status = {row["_id"]: row["n"] for row in db.users.aggregate(
        [{"$group": {"_id": "$status", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}])}
    where = backend_name(settings)
    if where == EMBEDDED:
        where = f"embedded development store under {settings.data_dir}"
    return {"store": where, "database": settings.database, "collections": counts,
            "snapshot_dates": dates, "users_by_status": by_status}
