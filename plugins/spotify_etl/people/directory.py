"""Who is connected: list people with their status and when their access ends (never tokens).

People live in `users` (no secrets: analysts may read it). Read-only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pymongo.database import Database


def list_users(db: Database, *, status: str | None = None,
               user_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """List people (never their tokens), optionally by status or id."""
    query: dict[str, Any] = {}
    if status:
        query["status"] = status
    if user_ids:
        query["_id"] = {"$in": list(user_ids)}
    return list(db.users.find(query).sort("_id", 1))


def user_rows(db: Database, today: date | None = None) -> list[dict[str, Any]]:
    """One row per person: id, name, status and why, consent, end of access, last snapshot."""
    from spotify_etl.people.expiry import access_dates

    today = today or datetime.now(UTC).date()
    users = db.users.find({}, projection={"display_name": 1, "status": 1, "reauth_reason": 1,
                                          "last_snapshot_date": 1, "consented_at": 1,
                                          "refresh_token_expires_at": 1}).sort("_id", 1)
    return [{"user_id": u["_id"], "display_name": u.get("display_name"),
             "status": u.get("status"), "reason": u.get("reauth_reason"),
             **access_dates(u, today), "last_snapshot_date": u.get("last_snapshot_date")}
            for u in users]


def display_names(db: Database, user_ids: list[str]) -> dict[str, str]:
    """Return how to show people: their display name, else their id.

    Names that two of them share get the id added ("Mateo López (finn15913)"), so that every
    label in a table stands for one person.
    """
    found = {u["_id"]: u.get("display_name") for u in db.users.find({"_id": {"$in": user_ids}})}
    names = {user_id: found.get(user_id) or user_id for user_id in user_ids}
    shared = {name for name in names.values() if list(names.values()).count(name) > 1}
    return {user_id: f"{name} ({user_id})" if name in shared and name != user_id else name
            for user_id, name in names.items()}
