"""Store plays from any source exactly once: the dedupe rule applied at the one write path.

Captures and both export formats are written here. Every person-day has a `listening_days`
document (the bucket pattern, one `_id` read per day): the compact list of that day's plays
with their sources, which is what the rule matches against and what coverage reads. Plays keep
natural `_id`s: a capture's is `user|played_at` (as the daily snapshot writes it), an imported
play's `user|end|track`. A matched record adds to the stored play (a finer clock corrects the
time, the extended format adds how it was played) and never makes a second one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pymongo import ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from spotify_etl.history.matching import Candidate, Known, Matcher, name_key
from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

CAPTURE, EXTENDED, ACCOUNT = "capture", "extended", "account"
SOURCES = (CAPTURE, EXTENDED, ACCOUNT)
_CODE = {CAPTURE: "c", EXTENDED: "e", ACCOUNT: "a"}
_FINENESS = {"millisecond": 0, "second": 1, "minute": 2}
DAY_MS = 86_400_000
_EPOCH = date(1970, 1, 1)
# Fields only the extended format knows: added to whatever play it matches.
HOW_PLAYED = ("ms_played", "skipped", "reason_start", "reason_end", "shuffle", "offline",
              "platform", "conn_country")
# Fields that say what and when: taken from the record with the finer clock.
WHAT_AND_WHEN = ("played_at", "precision", "track_id", "track_name", "artist_ids",
                 "artist_names", "album_id", "album_name", "duration_ms")


def day_of(end_ms: int) -> str:
    """Return the UTC day (YYYY-MM-DD) of an instant in epoch milliseconds."""
    return _day_name(end_ms // DAY_MS)


@lru_cache(maxsize=65_536)
def _day_name(day_number: int) -> str:
    return (_EPOCH + timedelta(days=day_number)).isoformat()


def _second_name(end_ms: int) -> str:
    """The UTC second of an instant, as "2024-03-15T18:22:01Z" (what strftime would write)."""
    day, ms = divmod(end_ms, DAY_MS)
    minutes, seconds = divmod(ms // 1000, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{_day_name(day)}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def to_ms(moment: datetime) -> int:
    """Return an aware (or UTC-naive) datetime as epoch milliseconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def play_key(play: dict[str, Any]) -> str:
    """Return the rule's name key of a play document or record."""
    names = play.get("artist_names") or [None]
    return name_key(names[0], play.get("track_name"))


@dataclass
class WriteCounts:
    """What one write did."""

    new: int = 0
    matched: int = 0
    by_day: dict[str, int] = field(default_factory=dict)


def _entry(play_id: str, end_ms: int, precision: str, track_id: str | None, key: str,
           sources: str, ms_played: int | None) -> list[Any]:
    return [end_ms, precision, track_id, key, play_id, sources, ms_played]


def _known(entry: list[Any]) -> Known:
    return Known(play_id=entry[4], end_ms=entry[0], precision=entry[1], track_id=entry[2],
                 key=entry[3])


def day_document(user_id: str, day: str, entries: list[list[Any]],
                 kept: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build a person-day document from its play entries (other kept fields carried over)."""
    entries = sorted(entries, key=lambda e: e[0])
    counts = {source: sum(_CODE[source] in e[5] for e in entries) for source in SOURCES}
    captured = counts[CAPTURE] > 0
    imported = counts[EXTENDED] + counts[ACCOUNT] > 0
    document = {**(kept or {}), "_id": document_id(user_id, day), "user_id": user_id, "day": day,
                "plays": entries, "play_count": len(entries),
                "ms_played": sum(e[6] or 0 for e in entries),
                "from_capture": counts[CAPTURE], "from_extended": counts[EXTENDED],
                "from_account": counts[ACCOUNT],
                "source": ("both" if captured and imported else "capture" if captured
                           else "import" if imported else "none")}
    return document


class PersonBusy(RuntimeError):
    """Another import or capture is writing this person's plays right now."""


LOCK_STALE = timedelta(minutes=30)  # a holder this quiet died: its lock is taken over


@contextlib.contextmanager
def writing_plays_of(db: Database, user_id: str, what: str) -> Iterator[Callable[[], None]]:
    """Hold a person's history lock while writing their plays: one writer at a time.

    The dedupe rule reads a person's days, then writes them back; two writers at once (two
    imports, an import and a capture) could each miss the other's plays and store one twice.
    The lock lives on the `users` document; it yields a function that renews it (a long
    import calls it per batch), and a lock not renewed for `LOCK_STALE` is taken over.
    Raises PersonBusy when another writer holds it.
    """
    holder = f"{what}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    taken = db.users.update_one(
        {"_id": user_id, "$or": [{"history_lock": {"$exists": False}},
                                 {"history_lock.at": {"$lt": now - LOCK_STALE}}]},
        {"$set": {"history_lock": {"holder": holder, "what": what, "at": now}}})
    if taken.matched_count == 0:
        user = db.users.find_one({"_id": user_id}, projection={"history_lock": 1})
        if user is None:
            raise ValueError(f"Unknown user id {user_id!r}")
        lock = user.get("history_lock") or {}
        since = lock.get("at")
        raise PersonBusy(f"{user_id}: another {lock.get('what', 'writer')} is storing their "
                         f"plays (since {since:%Y-%m-%d %H:%M} UTC); try again when it ends"
                         if since else f"{user_id}: another writer is storing their plays")

    def renew() -> None:
        db.users.update_one({"_id": user_id, "history_lock.holder": holder},
                            {"$set": {"history_lock.at": datetime.now(UTC)}})

    try:
        yield renew
    finally:
        db.users.update_one({"_id": user_id, "history_lock.holder": holder},
                            {"$unset": {"history_lock": ""}})


class PlayWriter:
    """Write one person's plays through the dedupe rule, a batch at a time."""

    def __init__(self, db: Database, user_id: str) -> None:
        self.db = db
        self.user_id = user_id

    def _days(self, days: set[str]) -> dict[str, dict[str, Any]]:
        ids = [document_id(self.user_id, day) for day in sorted(days)]
        return {doc["day"]: doc for doc in self.db.listening_days.find({"_id": {"$in": ids}})}

    def write(self, records: list[dict[str, Any]], source: str) -> WriteCounts:
        """Store records of one source (each with `end_ms`, `precision` and play fields)."""
        counts = WriteCounts()
        if not records:
            return counts
        records = sorted(records, key=lambda r: r["end_ms"])
        days = {day_of(records[0]["end_ms"] - DAY_MS), day_of(records[-1]["end_ms"] + DAY_MS)}
        days.update(day_of(r["end_ms"]) for r in records)
        stored = self._days(days)
        entries: dict[str, list[list[Any]]] = {day: list(doc["plays"])
                                               for day, doc in stored.items()}
        where: dict[str, tuple[str, int]] = {}  # play id -> (day, index of its entry)
        for day, day_entries in entries.items():
            for index, entry in enumerate(day_entries):
                where[entry[4]] = (day, index)
        matcher = Matcher([_known(e) for day_entries in entries.values() for e in day_entries])
        # Days with nothing stored: every record is new (the rule never matches a record with
        # a play its own source stored), so the matcher is not asked - a first import's case.
        fresh = not where
        code = _CODE[source]
        ops: list[UpdateOne] = []  # to plays already stored
        new: list[dict[str, Any]] = []  # plays to insert
        touched: set[str] = set()
        for record in records:
            key = record.get("key") or play_key(record)
            # Account rows name tracks, and names are not unique: their resolved id is a
            # guess for storing, never a reason to refuse a match.
            by_id = record["precision"] != "minute"
            known = None if fresh else matcher.match(Candidate(
                record["end_ms"], record["precision"],
                record.get("track_id") if by_id else None, key), source)
            fields = record  # read only: `end_ms` and `key` are never stored
            if known is not None:
                day, index = where[known.play_id]
                entry = entries[day][index]
                finer = _FINENESS[record["precision"]] < _FINENESS[entry[1]]
                if code in entry[5] and not finer:
                    counts.matched += 1  # this source told us already (a re-import): no write
                    continue
                update = {f"from_{source}": True}
                if finer:
                    update.update({k: fields[k] for k in WHAT_AND_WHEN if k in fields})
                    if fields.get("track_id") is None:
                        update.pop("track_id", None)
                    entry[0], entry[1] = record["end_ms"], record["precision"]
                    entry[2] = fields.get("track_id") or entry[2]
                if source == EXTENDED:
                    update.update({k: fields[k] for k in HOW_PLAYED if k in fields})
                    entry[6] = fields.get("ms_played", entry[6])
                if code not in entry[5]:
                    entry[5] += code
                ops.append(UpdateOne({"_id": known.play_id}, {"$set": update}))
                touched.add(day)
                counts.matched += 1
                continue
            play_id = self._new_id(record, source)
            day = day_of(record["end_ms"])
            entry = _entry(play_id, record["end_ms"], record["precision"],
                           record.get("track_id"), key, code,
                           fields.get("ms_played", fields.get("duration_ms")))
            entries.setdefault(day, []).append(entry)
            if not fresh:
                where[play_id] = (day, len(entries[day]) - 1)
                matcher.add(_known(entry), source)
            document = {"_id": play_id, "user_id": self.user_id, **record,
                        f"from_{source}": True}
            del document["end_ms"]
            document.pop("key", None)
            new.append(document)
            touched.add(day)
            counts.new += 1
            counts.by_day[day] = counts.by_day.get(day, 0) + 1
        if new:
            self._insert(new)
        if ops:
            self.db.plays.bulk_write(ops, ordered=False)
        if touched:
            self.db.listening_days.bulk_write(
                [ReplaceOne({"_id": document_id(self.user_id, day)},
                            day_document(self.user_id, day, entries[day], stored.get(day)),
                            upsert=True) for day in sorted(touched)], ordered=False)
        return counts

    def _insert(self, documents: list[dict[str, Any]]) -> None:
        """Insert new plays; where one is stored already, set its fields instead.

        A play is new to the person-day index, but its document may exist: an import stopped
        between writing plays and their days, or another import of the same rows at once.
        """
        try:
            self.db.plays.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            if any(e.get("code") != 11000 for e in error.details.get("writeErrors", ())):
                raise  # not a duplicate key: a real problem
            self.db.plays.bulk_write([
                UpdateOne({"_id": d["_id"]},
                          {"$set": {k: v for k, v in d.items() if k != "_id"}}, upsert=True)
                for d in documents], ordered=False)

    def _new_id(self, record: dict[str, Any], source: str) -> str:
        if source == CAPTURE:  # what the daily snapshot writes for the same play
            return document_id(self.user_id, record["played_at"])
        what = record.get("track_id") or hashlib.sha1(
            (record.get("key") or play_key(record)).encode()).hexdigest()[:12]
        return f"{self.user_id}|{_second_name(record['end_ms'])}|{what}"


def index_stored_plays(db: Database, user_id: str) -> int:
    """Bring plays stored before history took over (daily snapshots) into `listening_days`.

    Once per person; afterwards the capture and the importer own their plays (the daily
    snapshot then leaves recently played to the capture). Returns the plays indexed.
    """
    user = db.users.find_one({"_id": user_id}, projection={
        "plays_owner": 1, "last_snapshot_date": 1, "plays_cursor_ms": 1}) or {}
    if user.get("plays_owner") == "history":
        return 0
    if user.get("last_snapshot_date") is None and user.get("plays_cursor_ms") is None:
        # Outside the history room only the daily snapshot stores plays, and it always sets
        # these: nothing to index (and no query over everyone's plays to find that out).
        db.users.update_one({"_id": user_id}, {"$set": {"plays_owner": "history"}})
        return 0
    by_day: dict[str, list[list[Any]]] = {}
    for play in db.plays.find({"user_id": user_id},
                              projection={"played_at": 1, "track_id": 1, "track_name": 1,
                                          "artist_names": 1, "duration_ms": 1}):
        end_ms = to_ms(play["played_at"])
        by_day.setdefault(day_of(end_ms), []).append(_entry(
            play["_id"], end_ms, "millisecond", play.get("track_id"), play_key(play), "c",
            play.get("duration_ms")))
    existing = {doc["day"]: doc for doc in db.listening_days.find(
        {"_id": {"$in": [document_id(user_id, day) for day in by_day]}})} if by_day else {}
    ops = []
    for day, day_entries in by_day.items():
        known = {e[4] for e in (existing.get(day) or {}).get("plays", [])}
        merged = list((existing.get(day) or {}).get("plays", [])) + [
            e for e in day_entries if e[4] not in known]
        ops.append(ReplaceOne({"_id": document_id(user_id, day)},
                              day_document(user_id, day, merged, existing.get(day)), upsert=True))
    if ops:
        db.listening_days.bulk_write(ops, ordered=False)
    db.users.update_one({"_id": user_id}, {"$set": {"plays_owner": "history"}})
    return sum(len(v) for v in by_day.values())

