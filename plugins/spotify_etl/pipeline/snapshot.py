"""Take the daily snapshot for a batch of people: extract, transform, load, record the run.

This is what a mapped Airflow task calls. Each person is handled on their own: a revoked
token marks that person `needs_reauth`, any other failure is recorded in `runs`, and the
others still load. The batch fails at the end (so Airflow retries) only for failures a retry
can fix; a retry skips the people that already succeeded in the same run. A batch opens the
store once and hands that one database handle to everything it calls.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import requests
from spotipy.exceptions import SpotifyException

from spotify_etl.pipeline.extract import artists_to_refresh, extract_user_day, play_cursor_ms
from spotify_etl.pipeline.load import load_user_day
from spotify_etl.constants import ACTIVE, PARTIAL, SUCCESS, TIME_RANGES
from spotify_etl.settings import Settings, load_settings
from spotify_etl.spotify.client import (NeedsReauthorization, RateLimited, SnapshotDateError,
                                        SpotifySource, SpotifyUnavailable)
from spotify_etl.storage import document_id, ensure_definitions, open_database
from spotify_etl.storage.migrations import pending as pending_migration
from spotify_etl.people.directory import list_users
from spotify_etl.people.tokens import TokenStore, TokenStoreError
from spotify_etl.pipeline.transform import artists_frame, transform_user_day

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pymongo.database import Database

log = logging.getLogger(__name__)
LOADED = (SUCCESS, PARTIAL)  # the person's data for the date is stored


class BatchIncomplete(RuntimeError):
    """Some people in the batch failed in a way a retry may fix."""


class ConfigurationError(ValueError):
    """The pipeline is not configured to snapshot anyone; named once, not per person."""


class NobodyLoaded(RuntimeError):
    """A run ended without loading anyone: it must not pass for a success."""


@dataclass
class UserResult:
    """How one person's snapshot went."""

    user_id: str
    status: str  # success | needs_reauth | failed | rate_limited | skipped
    counts: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    api_calls: dict[str, int] = field(default_factory=dict)
    duration_seconds: float = 0.0
    transform_load_seconds: float = 0.0
    error: str | None = None
    retryable: bool = False


def snapshot_date_for(context: Mapping[str, Any]) -> date:
    """Derive the snapshot date from an Airflow run: the day its data interval covers."""
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is not None and end is not None and end > start:
        return pd.Timestamp(start).tz_convert("UTC").date()
    # Manual runs without an interval: the last complete day before the run is due (a run
    # without a logical date has only its dag_run's run_after).
    anchor = (context.get("logical_date") or getattr(context.get("dag_run"), "run_after", None)
              or context.get("run_after") or datetime.now(UTC))
    return pd.Timestamp(anchor).tz_convert("UTC").date() - timedelta(days=1)


def plan_batches(settings: Settings | None = None, user_ids: list[str] | None = None,
                 batch_size: int | None = None) -> list[list[str]]:
    """Split the active people (or the requested ones) into batches for mapped tasks."""
    settings = settings or load_settings()
    size = batch_size or settings.batch_size
    with open_database(settings) as db:
        ensure_definitions(db)
        if pending_migration(db):
            log.warning("This store still holds top lists in the old per-rank shape "
                        "(top_items): run `python -m spotify_etl migrate` to fold them into "
                        "top_lists; the analytics read top_lists only.")
        users = list_users(db, user_ids=user_ids or None)
    known = {user["_id"] for user in users}
    unknown = sorted(set(user_ids or []) - known)
    if unknown:
        raise ValueError(f"Unknown user id(s): {', '.join(unknown)}. "
                         "List people with `python -m spotify_etl users`.")
    active = [user["_id"] for user in users if user.get("status") == ACTIVE]
    skipped = len(users) - len(active)
    log.info("%s active people in %s batch(es); %s skipped (need re-authorization)",
             len(active), -(-len(active) // size) if active else 0, skipped)
    return [active[i:i + size] for i in range(0, len(active), size)]


def check_snapshot_date(snapshot_date: date, *, today: date | None = None) -> None:
    """Refuse a date no source can answer for (the future), before any side effect."""
    today = today or datetime.now(UTC).date()
    if snapshot_date > today:
        raise SnapshotDateError(f"{snapshot_date} is in the future (today is {today}, UTC): "
                                "a snapshot can only be taken of a day that has begun.")


def check_configuration(db: Database, settings: Settings,
                        user_ids: list[str]) -> TokenStore:
    """Check what every person's snapshot needs, once; return the token store to use.

    A missing Spotify app, a missing or malformed encryption key, or a key that opens none of
    the stored tokens is the operator's problem, not each person's: it is raised once as a
    `ConfigurationError` before anyone is touched.
    """
    if not settings.client_id:
        raise ConfigurationError("SPOTIFY_CLIENT_ID is not set: the pipeline has no Spotify app "
                                 "to act for anyone (see .env.example).")
    store = TokenStore(db, settings)
    try:
        store.fernet  # noqa: B018 - resolves and validates the key
    except TokenStoreError as error:
        raise ConfigurationError(str(error)) from None
    readable = store.readable(user_ids)
    if user_ids and readable and not any(readable.values()):
        raise ConfigurationError(
            "SPOTIFY_ETL_FERNET_KEY opens none of the stored tokens: it is not the key they "
            "were stored with. Restore that key (or have people reconnect); nothing was changed.")
    return store


def snapshot_batch(user_ids: list[str], snapshot_date: date, *, run_id: str,
                   time_ranges: list[str] | None = None,
                   settings: Settings | None = None) -> dict[str, Any]:
    """Snapshot each person of a batch; fail at the end only if a retry could help."""
    settings = settings or load_settings()
    time_ranges = list(time_ranges or TIME_RANGES)
    invalid = sorted(set(time_ranges) - set(TIME_RANGES))
    if invalid:
        raise ValueError(f"Unknown time range(s) {invalid}; use {', '.join(TIME_RANGES)}")
    check_snapshot_date(snapshot_date)
    with open_database(settings) as db:
        store = check_configuration(db, settings, user_ids)
        return _snapshot_batch(db, store, user_ids, snapshot_date, run_id, time_ranges,
                               settings)


def _snapshot_batch(db: Database, store: TokenStore, user_ids: list[str], snapshot_date: date,
                    run_id: str, time_ranges: list[str], settings: Settings) -> dict[str, Any]:
    done = {run["user_id"] for run in db.runs.find(
        {"_id": {"$in": [document_id(user_id, snapshot_date) for user_id in user_ids]},
         "run_id": run_id, "status": {"$in": list(LOADED)}}, projection={"user_id": 1})}
    artists_fetched: set[str] = set()
    results: list[UserResult] = []
    for position, user_id in enumerate(user_ids, start=1):
        if user_id in done:
            log.info("[%s/%s] %s already succeeded in this run; skipped", position,
                     len(user_ids), user_id)
            results.append(UserResult(user_id, "skipped"))
            continue
        result = snapshot_user(db, user_id, snapshot_date, run_id=run_id,
                               time_ranges=time_ranges, settings=settings, store=store,
                               artists_fetched=artists_fetched)
        results.append(result)
        log.info("[%s/%s] %s: %s (%s API calls, %.2f s)%s", position, len(user_ids), user_id,
                 result.status, sum(result.api_calls.values()), result.duration_seconds,
                 f": {result.error}" if result.error else "")
    summary = {
        "snapshot_date": snapshot_date.isoformat(), "users": len(user_ids),
        "by_status": _count(r.status for r in results),
        "documents": sum(r.counts.get("documents", 0) for r in results),
        "api_calls": sum(sum(r.api_calls.values()) for r in results),
    }
    retryable = [r for r in results if r.retryable]
    if retryable:
        details = "; ".join(f"{r.user_id}: {r.error}" for r in retryable)
        raise BatchIncomplete(f"{len(retryable)} of {len(user_ids)} people failed and will be "
                              f"retried: {details}")
    return summary


def summarize(snapshot_date: date, run_id: str,
              settings: Settings | None = None) -> dict[str, Any]:
    """Sum one run up from the `runs` collection (small enough for an XCom).

    Counts each person by this run's own attempt (`last_attempt`); `loaded` is how many people
    this run stored data for. Raises `NobodyLoaded` when that is nobody.
    """
    with open_database(settings) as db:
        runs = list(db.runs.find({"snapshot_date": snapshot_date.isoformat(),
                                  "last_attempt.run_id": run_id},
                                 projection={"status": 1, "run_id": 1, "counts": 1,
                                             "api_call_total": 1, "last_attempt": 1}))
    mine = [run for run in runs if run.get("run_id") == run_id and run["status"] in LOADED]
    total = {"snapshot_date": snapshot_date.isoformat(), "run_id": run_id, "users": len(runs),
             "by_status": _count(run["last_attempt"]["status"] for run in runs),
             "loaded": len(mine),
             "documents": sum((run.get("counts") or {}).get("documents", 0) for run in mine),
             "api_calls": sum(run.get("api_call_total", 0) for run in mine)}
    log.info("Snapshot %s: %s people, %s loaded, %s documents, %s API calls, by status %s",
             total["snapshot_date"], total["users"], total["loaded"], total["documents"],
             total["api_calls"], total["by_status"])
    if not total["loaded"]:
        reason = (f"by status {total['by_status']}" if runs else
                  "nobody was attempted (no active people: connect someone with `make auth`)")
        raise NobodyLoaded(f"Snapshot {total['snapshot_date']} loaded nobody: {reason}.")
    return total


def access_expiry_check(today: date | None = None,
                        settings: Settings | None = None) -> dict[str, Any]:
    """Whose Spotify access ends within two weeks: logged, e-mailed (SMTP), in the summary.

    Part of the daily run's summary; never fails it (a broken check is logged).
    """
    from spotify_etl.people.expiry import access_ending, describe, send_reminders

    settings = settings or load_settings()
    try:
        with open_database(settings) as db:
            people = access_ending(db, today or datetime.now(UTC).date())
            for person in people:
                log.warning(describe(person))
            reminded = send_reminders(TokenStore(db, settings), people)
    except Exception:  # noqa: BLE001 - the snapshot is done; this check only informs
        log.exception("The access expiry check failed")
        return {"access_ending": [], "reminded": []}
    return {"access_ending": people, "reminded": reminded}


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def snapshot_user(db: Database, user_id: str, snapshot_date: date, *, run_id: str,
                  time_ranges: list[str], settings: Settings, store: TokenStore,
                  artists_fetched: set[str] | None = None,
                  source: SpotifySource | None = None) -> UserResult:
    """Snapshot one person into an open database; never raises for a problem of theirs alone.

    `source` answers as Spotify would (default: Spotify's Web API as this person, through
    their stored token); the growth benchmark passes one that answers in-process.
    """
    started, started_at = time.monotonic(), datetime.now(UTC)
    artists_fetched = artists_fetched if artists_fetched is not None else set()
    result = UserResult(user_id, "failed")
    try:
        user = db.users.find_one({"_id": user_id}, projection={"status": 1, "plays_owner": 1})
        after_ms = play_cursor_ms(db, user_id, snapshot_date)
        if user is None:  # deleted since the batch was planned: nothing to do, nothing to record
            result.status, result.error = "skipped", "no longer connected"
            return result
        if user.get("status") != ACTIVE:
            result.status, result.error = "skipped", f"status is {user.get('status')}"
            return result
        source = source or SpotifySource(settings, store.cache_handler(user_id),
                                         as_of=snapshot_date)
        # Once the history room owns a person's plays (capture, import), every play goes
        # through its dedupe rule: the daily snapshot then reads only the top lists.
        raw = extract_user_day(source, snapshot_date, time_ranges, after_ms,
                               read_plays=user.get("plays_owner") != "history")
        transform_started = time.monotonic()
        day = transform_user_day(user_id, snapshot_date, raw.top, raw.plays)
        needed = day.artist_ids_needing_details() - artists_fetched
        stale = artists_to_refresh(db, needed, snapshot_date, settings.artist_refresh_days)
        lookup_started = time.monotonic()
        if stale:
            day.artists = pd.concat([day.artists, artists_frame(
                [a for a in source.artists(stale) if isinstance(a, dict) and a.get("id")])],
                ignore_index=True).drop_duplicates("_id")
            artists_fetched.update(stale)
        load_started = time.monotonic()
        if db.users.find_one({"_id": user_id}, projection={"_id": 1}) is None:
            result.status, result.error = "skipped", "deleted during the snapshot"
            return result  # deleted while we read Spotify: store nothing of theirs
        result.counts = load_user_day(db, user_id, snapshot_date, day, set(raw.top))
        progress: dict[str, Any] = {"last_snapshot_date": snapshot_date.isoformat()}
        if raw.plays_cursor_ms is not None:
            progress["plays_cursor_ms"] = raw.plays_cursor_ms
        db.users.update_one({"_id": user_id}, {"$max": progress})
        result.transform_load_seconds = ((lookup_started - transform_started)
                                         + (time.monotonic() - load_started))
        result.dropped = dict(day.dropped)
        result.status = PARTIAL if day.quarantined else SUCCESS
        _record(result, user_id, snapshot_date, run_id, started, started_at, source, db)
        return result
    except NeedsReauthorization as error:
        result.status, result.error = "needs_reauth", str(error)
        store.mark_needs_reauth(user_id, str(error))
    except RateLimited as error:
        result.status, result.error, result.retryable = "rate_limited", str(error), True
        _record_apart(result, user_id, snapshot_date, run_id, started, started_at, source, db)
        raise  # the limit is the app's, not this person's: stop the batch, retry later
    except SnapshotDateError:
        raise
    except (SpotifyUnavailable, OSError, requests.exceptions.JSONDecodeError) as error:
        # JSONDecodeError: a garbled body (a proxy's error page) is worth another try.
        result.error, result.retryable = str(error) or type(error).__name__, True
    except SpotifyException as error:
        result.error = f"Spotify answered {error.http_status}: {_last_line(error.msg)}"
        result.retryable = error.http_status >= 500 or error.http_status == 429
    except TokenStoreError as error:  # this person's stored token: a retry cannot help
        result.error = str(error)
    except Exception as error:  # noqa: BLE001 - one person's surprise must not stop the others
        log.exception("Snapshot of %s failed", user_id)
        result.error = f"{type(error).__name__}: {_last_line(str(error))}"
        result.retryable = not isinstance(error, (ValueError, KeyError))
    _record_apart(result, user_id, snapshot_date, run_id, started, started_at, source, db)
    return result


def _last_line(text: str) -> str:
    return (text or "").strip().splitlines()[-1].strip() if text else ""


def _record(result: UserResult, user_id: str, snapshot_date: date, run_id: str, started: float,
            started_at: datetime, source: SpotifySource | None, db: Database) -> None:
    """Write the person's run document (one per person and snapshot date).

    The document keeps the best outcome for the date: a failed attempt after a success is
    kept as `last_attempt` only, never overwriting the success; `attempts` counts them all.
    """
    result.duration_seconds = round(time.monotonic() - started, 3)
    result.api_calls = dict(source.calls) if source else {}
    key = document_id(user_id, snapshot_date)
    attempt = {"run_id": run_id, "status": result.status, "error": result.error,
               "at": datetime.now(UTC)}
    if result.status not in LOADED:
        kept = db.runs.update_one({"_id": key, "status": {"$in": list(LOADED)}},
                                  {"$set": {"last_attempt": attempt}, "$inc": {"attempts": 1}})
        if kept.matched_count:
            return
    document = {
        "user_id": user_id, "snapshot_date": snapshot_date.isoformat(), "run_id": run_id,
        "status": result.status, "counts": result.counts, "dropped": result.dropped,
        "api_calls": result.api_calls,
        "api_call_total": sum(n for k, n in result.api_calls.items() if k != "POST /api/token"),
        "duration_seconds": result.duration_seconds,
        "transform_load_seconds": round(result.transform_load_seconds, 4),
        "started_at": started_at,
        "finished_at": datetime.now(UTC), "error": result.error,
    }
    db.runs.update_one({"_id": key}, {"$set": {**document, "last_attempt": attempt},
                                      "$inc": {"attempts": 1}}, upsert=True)


def _record_apart(result: UserResult, user_id: str, snapshot_date: date, run_id: str,
                  started: float, started_at: datetime, source: SpotifySource | None,
                  db: Database) -> None:
    """Record a failed run, never letting a failed write hide the person's own outcome."""
    try:
        _record(result, user_id, snapshot_date, run_id, started, started_at, source, db)
    except Exception:  # noqa: BLE001
        log.exception("Could not record the run of %s", user_id)
