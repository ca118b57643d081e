"""Lifetime figures of one person: what peers show (your_spotify, Stats.fm).

Plays and minutes per day and per ISO week (from `listening_days`), top tracks and artists of
all time and each artist's first and last play (from `plays`), and the skip rate (the extended
format's rows: skipped, or under 30 s). Reads only.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pymongo.database import Database


def per_day(db: Database, user_id: str) -> list[dict[str, Any]]:
    """Return plays and minutes for every day with plays, oldest first."""
    rows = [{"day": doc["day"], "plays": doc.get("play_count", 0),
             "minutes": round((doc.get("ms_played") or 0) / 60_000, 1)}
            for doc in db.listening_days.find({"user_id": user_id},
                                              projection={"day": 1, "play_count": 1,
                                                          "ms_played": 1})
            if doc.get("play_count")]
    return sorted(rows, key=lambda r: r["day"])


def per_week(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold per-day figures into ISO weeks (`2026-W47`)."""
    weeks: dict[str, dict[str, Any]] = {}
    for row in days:
        year, week, _ = date.fromisoformat(row["day"]).isocalendar()
        key = f"{year}-W{week:02d}"
        bucket = weeks.setdefault(key, {"week": key, "plays": 0, "minutes": 0.0})
        bucket["plays"] += row["plays"]
        bucket["minutes"] = round(bucket["minutes"] + row["minutes"], 1)
    return list(weeks.values())


def top_tracks(db: Database, user_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """Return the most played tracks of all time."""
    return list(db.plays.aggregate([
        {"$match": {"user_id": user_id}},
        {"$group": {"_id": {"track": "$track_name", "artist": {"$first": "$artist_names"}},
                    "plays": {"$sum": 1}}},
        {"$sort": {"plays": -1, "_id.track": 1}}, {"$limit": limit},
        {"$project": {"_id": 0, "track": "$_id.track", "artist": "$_id.artist", "plays": 1}}]))


def top_artists(db: Database, user_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """Return the most played artists of all time, with their first and last play."""
    return list(db.plays.aggregate([
        {"$match": {"user_id": user_id}},
        {"$group": {"_id": {"$first": "$artist_names"}, "plays": {"$sum": 1},
                    "first_play": {"$min": "$played_at"}, "last_play": {"$max": "$played_at"}}},
        {"$sort": {"plays": -1, "_id": 1}}, {"$limit": limit},
        {"$project": {"_id": 0, "artist": "$_id", "plays": 1, "first_play": 1,
                      "last_play": 1}}]))


def skip_rate(db: Database, user_id: str) -> float | None:
    """Return the share of extended-format music rows that were skipped (None: no such rows)."""
    rows = skipped = 0
    for doc in db.listening_days.find({"user_id": user_id},
                                      projection={"extended_rows": 1, "extended_skipped": 1}):
        rows += doc.get("extended_rows") or 0
        skipped += doc.get("extended_skipped") or 0
    return round(skipped / rows, 4) if rows else None


def lifetime(db: Database, user_id: str, limit: int = 10) -> dict[str, Any]:
    """Return every lifetime figure of one person."""
    days = per_day(db, user_id)
    plays = sum(d["plays"] for d in days)
    minutes = round(sum(d["minutes"] for d in days), 1)
    weeks = per_week(days)
    return {"user_id": user_id, "days_with_plays": len(days), "plays": plays,
            "minutes": minutes, "first_day": days[0]["day"] if days else None,
            "last_day": days[-1]["day"] if days else None,
            "plays_per_day": round(plays / len(days), 1) if days else 0.0,
            "minutes_per_day": round(minutes / len(days), 1) if days else 0.0,
            "plays_per_week": round(plays / len(weeks), 1) if weeks else 0.0,
            "minutes_per_week": round(minutes / len(weeks), 1) if weeks else 0.0,
            "busiest_week": max(weeks, key=lambda w: w["plays"]) if weeks else None,
            "skip_rate": skip_rate(db, user_id),
            "top_tracks": top_tracks(db, user_id, limit),
            "top_artists": top_artists(db, user_id, limit)}
