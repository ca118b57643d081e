"""Coverage: for each day of a person, whether their plays come from capture, import or nowhere.

Read from `listening_days` (one document per person-day, written with the plays) and
`play_gaps` (windows a capture knows it could not read). Days without a document have no plays
stored at all. Nothing here writes except `record_gap`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pymongo import UpdateOne

from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

STATUSES = ("capture", "import", "both", "none")


@dataclass(frozen=True)
class CoverageDay:
    """One day of one person."""

    day: date
    source: str  # capture | import | both | none
    plays: int
    gap: bool  # a capture found a window it could not read (plays lost for good)
    watched: bool = False  # an export or the running capture speaks for the day

    @property
    def hole(self) -> bool:
        """Tell whether plays may be missing on this day.

        A day nobody speaks for (no plays, outside every export and the capture), or a capture
        gap no import filled (an export covers whole days). A day an export or the capture
        watched without plays had none.
        """
        if self.source == "none":
            return self.gap or not self.watched
        return self.gap and self.source == "capture"


def record_gap(db: Database, user_id: str, start_ms: int, end_ms: int, *,
               detected_at: datetime) -> dict[str, Any]:
    """Record a window of plays recently played could no longer reach (idempotent).

    The window runs from the cursor (the newest play stored before) to the oldest play of the
    full page that did not reach back to it. Every day it touches is flagged in
    `listening_days`, so coverage shows the hole.
    """
    start = datetime.fromtimestamp(start_ms / 1000, UTC)
    end = datetime.fromtimestamp(end_ms / 1000, UTC)
    gap = {"_id": document_id(user_id, start, end), "user_id": user_id, "start": start,
           "end": end, "minutes": round((end_ms - start_ms) / 60_000, 1),
           "detected_at": detected_at}
    db.play_gaps.replace_one({"_id": gap["_id"]}, gap, upsert=True)
    day, last = start.date(), end.date()
    ops = []
    while day <= last:
        ops.append(UpdateOne({"_id": document_id(user_id, day)},
                             {"$set": {"gap": True},
                              "$setOnInsert": {"user_id": user_id, "day": day.isoformat(),
                                               "plays": [], "play_count": 0, "ms_played": 0,
                                               "from_capture": 0, "from_extended": 0,
                                               "from_account": 0, "source": "none"}},
                             upsert=True))
        day += timedelta(days=1)
    db.listening_days.bulk_write(ops, ordered=False)
    return gap


def coverage(db: Database, user_id: str, first: date | None = None,
             last: date | None = None) -> list[CoverageDay]:
    """Return every day from `first` to `last` (default: the person's first stored day to
    their last) with where its plays come from."""
    query: dict[str, Any] = {"user_id": user_id}
    if first or last:
        query["day"] = {**({"$gte": first.isoformat()} if first else {}),
                        **({"$lte": last.isoformat()} if last else {})}
    docs = {doc["day"]: doc for doc in db.listening_days.find(
        query, projection={"day": 1, "source": 1, "play_count": 1, "gap": 1})}
    if not docs and (first is None or last is None):
        return []
    watched = _watched_spans(db, user_id)
    first = first or date.fromisoformat(min(docs))
    last = last or date.fromisoformat(max(docs))
    out = []
    day = first
    while day <= last:
        doc = docs.get(day.isoformat()) or {}
        plays = int(doc.get("play_count") or 0)
        source = doc.get("source", "none") if plays else "none"
        name = day.isoformat()
        out.append(CoverageDay(day, source, plays, bool(doc.get("gap")),
                               any(a <= name <= b for a, b in watched)))
        day += timedelta(days=1)
    return out


def _watched_spans(db: Database, user_id: str) -> list[tuple[str, str]]:
    """Return the day spans exports and the capture speak for (YYYY-MM-DD, inclusive)."""
    user = db.users.find_one({"_id": user_id}, projection={
        "history_spans": 1, "capture.first_read_at": 1, "capture.last_read_at": 1}) or {}
    spans = [(a, b) for a, b in user.get("history_spans") or []]
    capture = user.get("capture") or {}
    if capture.get("first_read_at") and capture.get("last_read_at"):
        spans.append((capture["first_read_at"].date().isoformat(),
                      capture["last_read_at"].date().isoformat()))
    return spans


def summarise(days: list[CoverageDay]) -> dict[str, Any]:
    """Count days by source, and list the holes as date ranges."""
    counts = {status: sum(d.source == status for d in days) for status in STATUSES}
    holes: list[tuple[date, date]] = []
    for d in days:
        if not d.hole:
            continue
        if holes and holes[-1][1] == d.day - timedelta(days=1):
            holes[-1] = (holes[-1][0], d.day)
        else:
            holes.append((d.day, d.day))
    return {"days": len(days), **counts, "gap_days": sum(d.gap for d in days),
            "holes": [(a.isoformat(), b.isoformat()) for a, b in holes]}


def by_month(days: list[CoverageDay]) -> list[dict[str, Any]]:
    """Return one row per month: days by source, known gaps and plays."""
    months: dict[str, dict[str, Any]] = {}
    for d in days:
        row = months.setdefault(d.day.strftime("%Y-%m"), {
            "month": d.day.strftime("%Y-%m"), **{s: 0 for s in STATUSES}, "gaps": 0, "plays": 0})
        row[d.source] += 1
        row["gaps"] += d.gap
        row["plays"] += d.plays
    return list(months.values())
