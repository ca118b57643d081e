"""Adaptive capture of recently played: read each person when they are due, keep every play.

One read is one page (50, Spotify's most) after the person's cursor. The plays go through the
one write path (the dedupe rule), the catalogue they name is upserted, and the person's
`capture` state says when the next read is due (`schedule.py`). A full page whose oldest play
is newer than the cursor did not reach back: the window between is recorded in `play_gaps`,
never silently skipped. `capture_batch` is what the capture DAG's mapped task calls; a person's
failure never stops the others, and the batch fails at the end only when a retry can help.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from spotify_etl.constants import ACTIVE
from spotify_etl.history import schedule
from spotify_etl.history.coverage import record_gap
from spotify_etl.history.store import (CAPTURE, DAY_MS, PersonBusy, PlayWriter,
                                       index_stored_plays, play_key, to_ms, writing_plays_of)
from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.settings import Settings

log = logging.getLogger(__name__)
PAGE = 50  # recently played's page, and all Spotify keeps
PROFILE_DAYS = 28  # the stored days a new profile is learned from
# Owned by the history room but not read for this long: the capture is not running for them
# (the ceiling is 12 h at most), so the daily snapshot's catch-up reads them.
STALE_AFTER = timedelta(hours=20)


class CaptureIncomplete(RuntimeError):
    """Some people failed in a way a retry may fix."""


@dataclass
class CaptureResult:
    """How one read went."""

    user_id: str
    status: str = "success"  # success | needs_reauth | failed | skipped | busy
    items: int = 0
    new: int = 0
    gap_minutes: float | None = None
    next_due_at: datetime | None = None
    error: str | None = None
    retryable: bool = False
    api_calls: int = 0


@dataclass
class CaptureState:
    """A person's capture state as stored on their `users` document."""

    profile: list[float] = field(default_factory=schedule.empty_profile)
    peak: list[float] = field(default_factory=schedule.empty_profile)
    busiest_day: int = 0  # the most plays seen in one day (stored days and reads)
    first_read_at: datetime | None = None
    last_read_at: datetime | None = None
    next_due_at: datetime | None = None
    reads: int = 0
    full_pages: int = 0
    gaps: int = 0

    @classmethod
    def of(cls, document: dict[str, Any] | None) -> CaptureState:
        """Read the state from a `users` document's `capture` field."""
        raw = dict(document or {})
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})

    def as_document(self) -> dict[str, Any]:
        """Return the state as stored."""
        return {"profile": [round(x, 4) for x in self.profile],
                "peak": [round(x, 2) for x in self.peak], "busiest_day": self.busiest_day,
                "first_read_at": self.first_read_at, "last_read_at": self.last_read_at, "next_due_at": self.next_due_at,
                "reads": self.reads, "full_pages": self.full_pages, "gaps": self.gaps}


def limits_of(settings: Settings) -> schedule.Limits:
    """Return the interval limits the settings ask for."""
    return schedule.Limits(settings.capture_floor_minutes, settings.capture_ceiling_minutes,
                           settings.capture_target_plays)


def seed_profile(db: Database, user_id: str, now: datetime
                 ) -> tuple[list[float], list[float], int]:
    """Learn a first profile, peak and busiest day from the last four weeks' stored plays."""
    days = [(now - timedelta(days=offset)).date() for offset in range(1, PROFILE_DAYS + 1)]
    docs = list(db.listening_days.find(
        {"_id": {"$in": [document_id(user_id, day) for day in days]}}, projection={"plays": 1}))
    ends = [entry[0] for doc in docs for entry in doc.get("plays", [])]
    # averaged over the days stored, not four weeks: a short import must not dilute the rate
    busiest = max((len(doc.get("plays", [])) for doc in docs), default=0)
    return schedule.profile_from_plays(ends, len(docs)), schedule.peak_from_plays(ends), busiest


def cursor_of(db: Database, user_id: str) -> int | None:
    """Return the person's recently-played cursor (Spotify's milliseconds)."""
    user = db.users.find_one({"_id": user_id}, projection={"plays_cursor_ms": 1}) or {}
    return user.get("plays_cursor_ms")


def capture_user(db: Database, user_id: str, source: Any, now: datetime,
                 settings: Settings) -> CaptureResult:
    """Read one page of a person's recently played and store it; schedule the next read.

    `source` answers as Spotify would (`SpotifySource`, or an in-process stand-in). A person
    whose plays another writer (an import) is storing is left for the next run ("busy").
    """
    try:
        with writing_plays_of(db, user_id, "capture"):
            return _capture_user(db, user_id, source, now, settings)
    except PersonBusy as error:
        return CaptureResult(user_id, "busy", error=str(error))
    except ValueError:  # deleted since the batch was planned
        return CaptureResult(user_id, "skipped", error="no longer connected")


def _capture_user(db: Database, user_id: str, source: Any, now: datetime,
                  settings: Settings) -> CaptureResult:
    from spotify_etl.pipeline.load import load_catalogue
    from spotify_etl.pipeline.transform import records, transform_user_day

    result = CaptureResult(user_id)
    index_stored_plays(db, user_id)
    user = db.users.find_one({"_id": user_id}, projection={"capture": 1, "plays_cursor_ms": 1})
    if user is None:
        result.status, result.error = "skipped", "no longer connected"
        return result
    state = CaptureState.of(user.get("capture"))
    if state.reads == 0 and not any(state.profile):
        state.profile, state.peak, state.busiest_day = seed_profile(db, user_id, now)
    cursor = user.get("plays_cursor_ms")
    items, next_cursor = source.recently_played(cursor)
    result.items = len(items)
    day = transform_user_day(user_id, now.date(), {}, items)
    load_catalogue(db, day, now.date())
    plays = records(day.plays)
    for play in plays:
        play["end_ms"] = to_ms(play["played_at"])
        play["precision"] = "millisecond"
        play["key"] = play_key(play)
    written = PlayWriter(db, user_id).write(plays, CAPTURE)
    result.new = written.new
    if written.by_day:
        state.busiest_day = max(state.busiest_day, *_day_counts(db, user_id, written.by_day))
    now_ms = to_ms(now)
    times = sorted(p["end_ms"] for p in plays)
    # The page's own times, null and local items included, tell whether it reached back.
    page_times = sorted(to_ms(datetime.fromisoformat(i["played_at"]))
                        for i in items if isinstance(i, dict) and _instant_ok(i))
    full = len(items) >= PAGE
    if full and cursor is not None and page_times and page_times[0] > cursor:
        gap = record_gap(db, user_id, cursor, page_times[0], detected_at=now)
        result.gap_minutes = gap["minutes"]
        state.gaps += 1
    since = to_ms(state.last_read_at) if state.last_read_at else None
    if since is not None and 0 < now_ms - since <= 2 * DAY_MS:
        state.profile = schedule.learn(state.profile, since, now_ms, times)
        state.peak = schedule.learn_peak(state.peak, since, now_ms, times)
    newest = page_times[-1] if page_times else cursor
    wait = schedule.next_read_in_ms(state.profile, now_ms, full_page=full, newest_play_ms=newest,
                                    session_rate=schedule.session_rate(times),
                                    limits=limits_of(settings), peak=state.peak,
                                    busiest_day=state.busiest_day or None)
    state.reads += 1
    state.full_pages += full
    state.last_read_at = now
    state.first_read_at = state.first_read_at or now
    state.next_due_at = now + timedelta(milliseconds=wait)
    result.next_due_at = state.next_due_at
    update: dict[str, Any] = {"$set": {"capture": state.as_document()}}
    if next_cursor is not None:
        update["$max"] = {"plays_cursor_ms": int(next_cursor)}
    db.users.update_one({"_id": user_id}, update)
    return result


def _day_counts(db: Database, user_id: str, days: dict[str, int]) -> list[int]:
    """Return the stored plays of the days a read added to."""
    return [doc.get("play_count", 0) for doc in db.listening_days.find(
        {"_id": {"$in": [document_id(user_id, day) for day in days]}},
        projection={"play_count": 1})]


def _instant_ok(item: dict[str, Any]) -> bool:
    value = item.get("played_at")
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def due_people(db: Database, now: datetime, user_ids: list[str] | None = None) -> list[str]:
    """Return the active people whose next read is due (or who were never read)."""
    query: dict[str, Any] = {"status": ACTIVE}
    if user_ids:
        query["_id"] = {"$in": list(user_ids)}
    due = []
    for user in db.users.find(query, projection={"capture.next_due_at": 1}):
        next_due = (user.get("capture") or {}).get("next_due_at")
        if next_due is not None and next_due.tzinfo is None:
            next_due = next_due.replace(tzinfo=UTC)
        if next_due is None or next_due <= now:
            due.append(user["_id"])
    return sorted(due)


def stale_people(db: Database, now: datetime, within: timedelta = STALE_AFTER) -> list[str]:
    """Return active people whose plays the history room owns but nobody read for `within`.

    The daily snapshot leaves their recently played to the capture; when the capture DAG is
    not deployed (or paused), these are the people whose plays would otherwise go unread.
    """
    stale = []
    for user in db.users.find({"status": ACTIVE, "plays_owner": "history"},
                              projection={"capture.last_read_at": 1}):
        last = (user.get("capture") or {}).get("last_read_at")
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        if last is None or now - last >= within:
            stale.append(user["_id"])
    return sorted(stale)


def catch_up(now: datetime | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Read, once, everyone `stale_people` names (what the daily snapshot calls after itself)."""
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import open_database

    settings = settings or load_settings()
    now = now or datetime.now(UTC)
    with open_database(settings) as db:
        stale = stale_people(db, now)
    if not stale:
        return {"people": 0}
    log.info("%s people whose plays the capture owns were not read for %s: reading them now",
             len(stale), STALE_AFTER)
    return capture_batch(stale, now=now, settings=settings)


def plan_capture(now: datetime | None = None, settings: Settings | None = None,
                 batch_size: int | None = None) -> list[list[str]]:
    """Split the people due for a read into batches (one mapped task each)."""
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import ensure_indexes, open_database

    settings = settings or load_settings()
    size = batch_size or settings.batch_size
    with open_database(settings) as db:
        ensure_indexes(db)
        due = due_people(db, now or datetime.now(UTC))
    log.info("%s people due for a recently-played read", len(due))
    return [due[i:i + size] for i in range(0, len(due), size)]


def capture_batch(user_ids: list[str], now: datetime | None = None,
                  settings: Settings | None = None) -> dict[str, Any]:
    """Read each due person of a batch once; fail at the end only if a retry could help."""
    from spotipy.exceptions import SpotifyException

    from spotify_etl.pipeline.snapshot import check_configuration
    from spotify_etl.settings import load_settings
    from spotify_etl.spotify.client import (NeedsReauthorization, RateLimited, SpotifySource,
                                            SpotifyUnavailable)
    from spotify_etl.storage import open_database

    settings = settings or load_settings()
    results: list[CaptureResult] = []
    with open_database(settings) as db:
        store = check_configuration(db, settings, user_ids)
        for user_id in user_ids:
            at = now or datetime.now(UTC)
            source = SpotifySource(settings, store.cache_handler(user_id))
            try:
                result = capture_user(db, user_id, source, at, settings)
            except NeedsReauthorization as error:
                store.mark_needs_reauth(user_id, str(error))
                result = CaptureResult(user_id, "needs_reauth", error=str(error))
            except RateLimited:
                raise  # the app's limit: stop the batch, Airflow retries after the wait
            except (SpotifyUnavailable, OSError) as error:
                result = CaptureResult(user_id, "failed", error=str(error) or
                                       type(error).__name__, retryable=True)
            except SpotifyException as error:
                result = CaptureResult(user_id, "failed",
                                       error=f"Spotify answered {error.http_status}",
                                       retryable=error.http_status >= 500)
            result.api_calls = source.api_calls
            results.append(result)
            log.info("%s: %s (%s items, %s new%s)", user_id, result.status, result.items,
                     result.new, f", gap of {result.gap_minutes} min" if result.gap_minutes
                     else "")
    summary = {"people": len(user_ids),
               "by_status": {s: sum(r.status == s for r in results)
                             for s in {r.status for r in results}},
               "new_plays": sum(r.new for r in results),
               "api_calls": sum(r.api_calls for r in results),
               "gaps": sum(r.gap_minutes is not None for r in results)}
    retryable = [r for r in results if r.retryable]
    if retryable:
        raise CaptureIncomplete(f"{len(retryable)} of {len(user_ids)} reads failed and will be "
                                "retried: " + "; ".join(f"{r.user_id}: {r.error}"
                                                        for r in retryable))
    return summary
