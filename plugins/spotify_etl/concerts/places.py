"""Where people want concerts: an opted-in person's saved home location (`concert_places`).

Saving a home is the opt-in for the daily refresh; removing it (or delete-me, which removes
every document with the person's `user_id`) opts out. A home is personal: analysts do not get
this collection, nor `concert_bins`, which are for a place too (docker/mongo/create-users.js).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from spotify_etl.concerts.geo import Point, checked_point
from spotify_etl.concerts.parameters import check_radius
from spotify_etl.constants import DEFAULT_RADIUS_KM

if TYPE_CHECKING:
    from pymongo.database import Database


def save_home(db: Database, user_id: str, point: Point, *, radius_km: float = DEFAULT_RADIUS_KM,
              label: str | None = None) -> dict[str, Any]:
    """Opt a connected person in with their home location; return the stored document."""
    if db.users.find_one({"_id": user_id}, {"_id": 1}) is None:
        raise LookupError(f"Unknown user id {user_id!r}: only connected people can opt in "
                          "(list them with `python -m spotify_etl users`).")
    point = checked_point(point.latitude, point.longitude)
    radius_km = check_radius(radius_km)
    now = datetime.now(UTC)
    previous = db.concert_places.find_one({"_id": user_id}) or {}
    document = {"_id": user_id, "user_id": user_id, "latitude": point.latitude,
                "longitude": point.longitude, "radius_km": radius_km, "label": label,
                "opted_in_at": previous.get("opted_in_at") or now, "updated_at": now}
    db.concert_places.replace_one({"_id": user_id}, document, upsert=True)
    return document


def home_of(db: Database, user_id: str) -> dict[str, Any] | None:
    """Return a person's saved home, or None."""
    return db.concert_places.find_one({"_id": user_id})


def remove_home(db: Database, user_id: str) -> bool:
    """Opt a person out: forget their home; return True if there was one."""
    return db.concert_places.delete_one({"_id": user_id}).deleted_count > 0


def opted_in(db: Database) -> list[dict[str, Any]]:
    """Return every saved home of a connected person, by user id."""
    homes = list(db.concert_places.find({}).sort("_id", 1))
    known = {u["_id"] for u in db.users.find({"_id": {"$in": [h["_id"] for h in homes]}},
                                             {"_id": 1})}
    return [home for home in homes if home["_id"] in known]

