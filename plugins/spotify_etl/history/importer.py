"""Import a person's Spotify data export: check it all, then store it once, in batches.

`import_export` scans every file first (a malformed or foreign file imports nothing), then
streams the rows file by file in batches through the one play writer (the dedupe rule), so a
re-import or an export overlapping what the capture stored changes nothing. Music of 30 s or
more becomes plays (what Spotify counts as a stream, and what recently played lists); shorter
rows and skips are counted per day for the skip rate; podcasts and audiobooks go to
`spoken_plays`. Account rows, which carry names only, are resolved to track ids through the
export's own extended rows and the stored catalogue; the rest is counted as unresolved.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import UpdateOne

from spotify_etl.history import exports
from spotify_etl.history.matching import name_key, normalise
from spotify_etl.history.store import (ACCOUNT, EXTENDED, PlayWriter, day_of,
                                       index_stored_plays, writing_plays_of)
from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from pathlib import Path

    from pymongo.database import Database

log = logging.getLogger(__name__)
BATCH_ROWS = 10_000
DAYS_PER_WRITE = 366  # the per-day counts are written a year at a time (bounded memory)
MIN_STREAM_MS = 30_000  # Spotify counts a stream from 30 s; recently played lists no less


@dataclass
class ImportReport:
    """What an import found and did."""

    user_id: str
    files: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    plays_new: int = 0
    plays_matched: int = 0  # rows that were a play already stored (capture or earlier import)
    short_rows: int = 0  # under 30 s: counted for the skip rate, not stored as plays
    local_or_empty: int = 0  # music rows without a Spotify track (local files, null tracks)
    spoken: int = 0  # podcast episodes and audiobook chapters
    unresolved: int = 0  # account rows whose names match no known track
    resolved: int = 0
    first_day: str | None = None
    last_day: str | None = None
    ignored_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as plain data."""
        return asdict(self)


def _catalogue_by_name(db: Database, names: set[str]) -> dict[str, str]:
    """Map name keys to stored track ids, for the track names an export mentions."""
    if not names:
        return {}
    found: dict[str, str] = {}
    for track in db.tracks.find({"name": {"$in": sorted(names)}},
                                projection={"name": 1, "artist_names": 1}):
        artists = track.get("artist_names") or [None]
        found.setdefault(name_key(artists[0], track["name"]), track["_id"])
    return found


def _artists_of(db: Database, track_ids: set[str]) -> dict[str, dict[str, Any]]:
    if not track_ids:
        return {}
    return {t["_id"]: t for t in db.tracks.find(
        {"_id": {"$in": sorted(track_ids)}},
        projection={"artist_ids": 1, "artist_names": 1, "album_id": 1, "duration_ms": 1})}


def _music_record(row: dict[str, Any], track_id: str | None,
                  known: dict[str, Any] | None, key: str) -> dict[str, Any]:
    record = {"end_ms": row["end_ms"], "precision": row["precision"],
              "played_at": datetime.fromtimestamp(row["end_ms"] / 1000, UTC),
              "track_id": track_id, "track_name": row["track_name"],
              "artist_ids": list((known or {}).get("artist_ids") or []),
              "artist_names": list((known or {}).get("artist_names") or [row["artist_name"]]),
              "album_name": row.get("album_name"), "ms_played": row["ms_played"], "key": key}
    if known:  # what only the catalogue knows (fields left out rather than stored empty)
        record.update(album_id=known.get("album_id"), duration_ms=known.get("duration_ms"))
    if row["format"] == EXTENDED:
        record.update({k: row[k] for k in ("skipped", "reason_start", "reason_end", "shuffle",
                                           "offline", "platform", "conn_country")})
    return record


def _spoken_op(user_id: str, row: dict[str, Any]) -> UpdateOne:
    """Upsert a podcast episode or audiobook chapter, keyed by end minute and title."""
    minute = datetime.fromtimestamp(row["end_ms"] // 60_000 * 60, UTC)
    key = document_id(user_id, minute.strftime("%Y-%m-%dT%H:%MZ"), row["kind"],
                      normalise(row.get("title")))
    fields = {"user_id": user_id, "kind": row["kind"], "title": row.get("title"),
              "show": row.get("show"), "ms_played": row["ms_played"],
              "ended_at": datetime.fromtimestamp(row["end_ms"] / 1000, UTC),
              f"from_{row['format']}": True}
    if row["format"] == EXTENDED:
        fields.update(uri=row.get("uri"), audiobook_uri=row.get("audiobook_uri"),
                      platform=row.get("platform"))
    else:
        fields.pop("ended_at")
        fields["ended_minute"] = minute
    return UpdateOne({"_id": key}, {"$set": fields}, upsert=True)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk import.

    An import leaves hundreds of thousands of long-lived objects (rows, documents in the
    store's cache); each full collection walks them all, which made a ten-year import three
    times slower. Rows and batches are freed by reference counting all the same.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_export(db: Database, user_id: str, path: str | Path, *,
                  progress: Callable[[int], None] | None = None,
                  on_scanned: Callable[[exports.ExportSummary], None] | None = None
                  ) -> ImportReport:
    """Import an export (zip, folder or file) for one connected person.

    :param progress: called with the number of rows done since the last call.
    :param on_scanned: called once the whole export passed its checks (with what it holds).
    :raises PersonBusy: another import or capture is storing this person's plays.
    """
    if db.users.find_one({"_id": user_id}, projection={"_id": 1}) is None:
        raise ValueError(f"Unknown user id {user_id!r}: only connected people's history can be "
                         "imported (list them with `python -m spotify_etl users`).")
    summary = exports.scan(path)  # raises ExportError before anything is written
    if on_scanned is not None:
        on_scanned(summary)
    with writing_plays_of(db, user_id, "import") as renew, _collector_paused():
        return _import(db, user_id, path, summary, progress, renew)


def _import(db: Database, user_id: str, path: str | Path, summary: exports.ExportSummary,
            progress: Callable[[int], None] | None, renew: Callable[[], None]) -> ImportReport:
    report = ImportReport(user_id=user_id, ignored_files=summary.ignored,
                          files=dict(summary.files))
    index_stored_plays(db, user_id)
    writer = PlayWriter(db, user_id)
    by_name: dict[str, str] = {}  # name key -> track id, from this export's extended rows
    day_stats: dict[str, list[int]] = {}  # day -> [extended rows, skipped, account short rows]
    for file, parsed in exports.rows(path):
        if file.format == ACCOUNT:
            wanted = {r["track_name"] for r in parsed if r["kind"] == exports.MUSIC
                      and name_key(r["artist_name"], r["track_name"]) not in by_name}
            for key, track_id in _catalogue_by_name(db, wanted).items():
                by_name.setdefault(key, track_id)
        for start in range(0, len(parsed), BATCH_ROWS):
            batch = parsed[start:start + BATCH_ROWS]
            _import_batch(db, writer, user_id, batch, by_name, day_stats, report)
            renew()
            if progress is not None:
                progress(len(batch))
    if day_stats:
        days = sorted(day_stats)
        for start in range(0, len(days), DAYS_PER_WRITE):  # a year of days at a time
            db.listening_days.bulk_write([
                UpdateOne({"_id": document_id(user_id, day)},
                          {"$max": {"extended_rows": day_stats[day][0],
                                    "extended_skipped": day_stats[day][1],
                                    "account_short_rows": day_stats[day][2]},
                           "$setOnInsert": {"user_id": user_id, "day": day, "plays": [],
                                            "play_count": 0, "ms_played": 0, "from_capture": 0,
                                            "from_extended": 0, "from_account": 0,
                                            "source": "none"}}, upsert=True)
                for day in days[start:start + DAYS_PER_WRITE]], ordered=False)
        report.first_day, report.last_day = days[0], days[-1]
    update: dict[str, Any] = {"$set": {"history_import": {
        "at": datetime.now(UTC), "rows": report.rows, "first_day": report.first_day,
        "last_day": report.last_day}}}
    if report.first_day:  # the days the export speaks for: a day in them without plays had none
        update["$addToSet"] = {"history_spans": [report.first_day, report.last_day]}
    db.users.update_one({"_id": user_id}, update)
    log.info("Imported %s rows for %s: %s new plays, %s already stored, %s unresolved",
             report.rows, user_id, report.plays_new, report.plays_matched, report.unresolved)
    return report


def _import_batch(db: Database, writer: PlayWriter, user_id: str, batch: list[dict[str, Any]],
                  by_name: dict[str, str], day_stats: dict[str, list[int]],
                  report: ImportReport) -> None:
    records: dict[str, list[dict[str, Any]]] = {EXTENDED: [], ACCOUNT: []}
    spoken: list[UpdateOne] = []
    pending: list[tuple[dict[str, Any], str | None, str]] = []
    for row in batch:
        report.rows += 1
        stats = day_stats.setdefault(day_of(row["end_ms"]), [0, 0, 0])
        if row["format"] == EXTENDED and row["kind"] == exports.MUSIC:
            stats[0] += 1
            stats[1] += bool(row.get("skipped")) or (row["kind"] == exports.MUSIC
                                                     and row["ms_played"] < MIN_STREAM_MS)
        if row["kind"] != exports.MUSIC:
            spoken.append(_spoken_op(user_id, row))
            report.spoken += 1
            continue
        if row["ms_played"] < MIN_STREAM_MS:
            report.short_rows += 1
            if row["format"] == ACCOUNT:
                stats[2] += 1
            continue
        if row["format"] == EXTENDED and row["track_id"] is None:
            report.local_or_empty += 1  # a local file or a null track: not a Spotify track
            continue
        key = name_key(row["artist_name"], row["track_name"])
        if row["format"] == EXTENDED:
            by_name.setdefault(key, row["track_id"])
            pending.append((row, row["track_id"], key))
        else:
            track_id = by_name.get(key)
            report.resolved += track_id is not None
            report.unresolved += track_id is None
            pending.append((row, track_id, key))
    known = _artists_of(db, {t for _, t, _ in pending if t})
    for row, track_id, key in pending:
        records[row["format"]].append(_music_record(row, track_id, known.get(track_id or ""),
                                                    key))
    for source, source_records in records.items():
        done = writer.write(source_records, source)
        report.plays_new += done.new
        report.plays_matched += done.matched
    if spoken:
        db.spoken_plays.bulk_write(spoken, ordered=False)
