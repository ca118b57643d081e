"""What an answer must be told with: the history a comparison lacks.

`new_in_top10` compares a snapshot with the one `days` earlier; without that earlier snapshot
every artist counts as new. `caveat` says so, and which `days` would work. Read-only.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from pymongo.database import Database


def _no_earlier_snapshot(db: Database, params: dict[str, Any]) -> str | None:
    snapshot = date.fromisoformat(params["snapshot_date"])
    before = (snapshot - timedelta(days=params["days"])).isoformat()
    key = {"user_id": params["user_id"], "kind": "artists", "time_range": params["time_range"]}
    if db.top_lists.find_one({**key, "snapshot_date": before}, projection={"_id": 1}):
        return None
    earlier = sorted(d for d in db.top_lists.distinct("snapshot_date", key)
                     if d < params["snapshot_date"])
    hint = (f" Their earliest snapshot is {earlier[0]}: try -p days="
            f"{(snapshot - date.fromisoformat(earlier[0])).days}." if earlier
            else " There is no earlier snapshot of them yet.")
    return (f"Warning: no snapshot of {params['user_id']} on {before} ({params['days']} days "
            f"before {snapshot}), so every artist in their top 10 counts as new.{hint}")


CAVEATS: dict[str, Callable[[Database, dict[str, Any]], str | None]] = {
    "new_in_top10": _no_earlier_snapshot,
}


def caveat(db: Database, name: str, params: dict[str, Any]) -> str | None:
    """Say what the answer to question `name` with these parameters lacks, or None."""
    check = CAVEATS.get(name)
    return check(db, params) if check else None
