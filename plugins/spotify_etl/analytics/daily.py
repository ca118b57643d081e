"""The daily analytics run after each snapshot: diffs, mixes, publishing, taste twins.

What the `spotify_taste_analytics` DAG, the CLI and the demo call. Each run opens the store
once, reads stored snapshots, computes with the pure modules (`diffs`, `mixes`, `twins`) and
writes results by natural key, so running one twice for the same date leaves the same
documents. Dates are `date` objects; each run returns a small summary (fit for an XCom).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from spotify_etl.analytics import diffs, repository
from spotify_etl.analytics.groups import get_group, group_pairs, list_groups
from spotify_etl.analytics.mixes import DEFAULT_LENGTH, build_mix
from spotify_etl.constants import TIME_RANGES
from spotify_etl.settings import Settings, load_settings
from spotify_etl.storage import document_id, ensure_indexes, open_database

if TYPE_CHECKING:
    from pymongo.database import Database

log = logging.getLogger(__name__)
CHANGE_WINDOWS = (7, 30)
MIX_TIME_RANGE = "short_term"  # a mix is about what the group plays now
TWINS_SWITCH = "SPOTIFY_ETL_TASTE_TWINS"


def parse_date(value: date | str) -> date:
    """Turn an edge's YYYY-MM-DD (a Param, an Asset event, an XCom) into a date."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-11-20") from None


def date_from_asset_events(events: Any) -> date | None:
    """Return the newest snapshot date announced in triggering Asset events, if any."""
    dates = [parse_date(event.extra["snapshot_date"])
             for per_asset in (events or {}).values() for event in per_asset or []
             if isinstance(getattr(event, "extra", None), dict) and event.extra.get("snapshot_date")]
    return max(dates) if dates else None


def date_of_run(params: Any, triggering_asset_events: Any) -> str:
    """The snapshot date a DAG run works on, as YYYY-MM-DD (what its XCom holds).

    The run's `snapshot_date` Param, else the date the triggering snapshot announced, else the
    newest snapshot stored.
    """
    with open_database() as db:
        return resolve_date(db, (params or {}).get("snapshot_date")
                            or date_from_asset_events(triggering_asset_events)).isoformat()


def resolve_date(db: Database, snapshot_date: date | str | None = None) -> date:
    """Return the given snapshot date, or the newest one stored."""
    if snapshot_date:
        return parse_date(snapshot_date)
    newest = repository.latest_snapshot_date(db)
    if newest is None:
        raise LookupError("No snapshot is stored yet: run the daily snapshot first.")
    return newest


# ---------------------------------------------------------------- diffs
def pair_document(db: Database, a: str, b: str, snapshot_date: date,
                  time_range: str) -> dict[str, Any]:
    """Compute the diff of two people for one date and time range (not stored)."""
    a, b = sorted((a, b))
    document = {"_id": document_id("pair", a, b, snapshot_date, time_range), "kind": "pair",
                "users": [a, b], "snapshot_date": snapshot_date.isoformat(),
                "time_range": time_range}
    profile_a = repository.profile(db, a, snapshot_date, time_range)
    profile_b = repository.profile(db, b, snapshot_date, time_range)
    missing = [user for user, p in ((a, profile_a), (b, profile_b)) if not any(p.values())]
    if missing:
        return {**document, "status": "no_snapshot",
                "message": f"No {time_range} snapshot on {snapshot_date} for "
                           f"{', '.join(missing)}."}
    return {**document, "status": "ok", **diffs.pair_diff(profile_a, profile_b)}


def ranges_document(db: Database, user_id: str, snapshot_date: date,
                    from_range: str = "long_term", to_range: str = "short_term") -> dict[str, Any]:
    """Compare one person's two time ranges on a date: what is new now, what was dropped."""
    document = {"_id": document_id("ranges", user_id, snapshot_date, from_range, to_range),
                "kind": "ranges", "users": [user_id], "snapshot_date": snapshot_date.isoformat(),
                "from_range": from_range, "to_range": to_range}
    before = repository.profile(db, user_id, snapshot_date, from_range)
    after = repository.profile(db, user_id, snapshot_date, to_range)
    if not any(before.values()) or not any(after.values()):
        return {**document, "status": "no_snapshot",
                "message": f"No {from_range} and {to_range} snapshot on {snapshot_date} "
                           f"for {user_id}."}
    return {**document, "status": "ok", **diffs.profile_changes(before, after)}


def change_document(db: Database, user_id: str, snapshot_date: date, days: int,
                    time_range: str = "short_term") -> dict[str, Any]:
    """Compare one person's snapshot with the one `days` earlier (entered, left, moved)."""
    document = {"_id": document_id("change", user_id, snapshot_date, f"{days}d", time_range),
                "kind": "change", "users": [user_id], "snapshot_date": snapshot_date.isoformat(),
                "days": days, "time_range": time_range}
    after = repository.profile(db, user_id, snapshot_date, time_range)
    if not any(after.values()):
        return {**document, "status": "no_snapshot", "compared_with": None,
                "message": f"No {time_range} snapshot on {snapshot_date} for {user_id}."}
    earlier = repository.earlier_snapshot(db, user_id, snapshot_date, days, time_range)
    if earlier is None:
        return {**document, "compared_with": None,
                **diffs.not_enough_history(snapshot_date.isoformat(), days)}
    before = repository.profile(db, user_id, earlier, time_range)
    return {**document, "status": "ok", "compared_with": earlier.isoformat(),
            **diffs.profile_changes(before, after)}


def run_diffs(snapshot_date: date | str | None = None,
              settings: Settings | None = None) -> dict[str, Any]:
    """Compute and store every group pair's and every member's diffs for one date."""
    written = {"pair": 0, "ranges": 0, "change": 0}
    with open_database(settings) as db:
        snapshot_date = resolve_date(db, snapshot_date)
        ensure_indexes(db)
        groups = list_groups(db)
        people = sorted({m for g in groups for m in g["members"]})
        for a, b in group_pairs(groups):
            for time_range in TIME_RANGES:
                repository.save_diff(db, pair_document(db, a, b, snapshot_date, time_range))
                written["pair"] += 1
        for user_id in people:
            repository.save_diff(db, ranges_document(db, user_id, snapshot_date))
            written["ranges"] += 1
            for days in CHANGE_WINDOWS:
                for time_range in TIME_RANGES:
                    repository.save_diff(db, change_document(db, user_id, snapshot_date, days,
                                                             time_range))
                    written["change"] += 1
    log.info("Diffs for %s: %s", snapshot_date, written)
    return {"snapshot_date": snapshot_date.isoformat(), "groups": len(groups), "written": written}


# ---------------------------------------------------------------- mixes
def mix_document(db: Database, group: dict[str, Any], snapshot_date: date,
                 length: int = DEFAULT_LENGTH,
                 time_range: str = MIX_TIME_RANGE) -> dict[str, Any]:
    """Compute a group's mix for one date (not stored)."""
    members = list(group["members"])
    lists = {m: repository.top_list(db, m, snapshot_date, "tracks", time_range) for m in members}
    details = repository.track_details(db, [t["item_id"] for ts in lists.values() for t in ts])
    for tracks in lists.values():
        for track in tracks:
            track.update(details.get(track["item_id"]) or {})
    label = f"{time_range.replace('_', '-')} top tracks on {snapshot_date}"
    mix = build_mix(members, lists, length, label=label)
    return {"_id": document_id(group["_id"], snapshot_date), "group": group["_id"],
            "members": members, "owner": group["owner"],
            "snapshot_date": snapshot_date.isoformat(), "time_range": time_range, **mix}


def _groups(db: Database, group_names: list[str] | None) -> list[dict[str, Any]]:
    return [get_group(db, name) for name in group_names] if group_names else list_groups(db)


def run_mixes(snapshot_date: date | str | None = None, length: int = DEFAULT_LENGTH,
              settings: Settings | None = None,
              group_names: list[str] | None = None) -> dict[str, Any]:
    """Compute and store the mix of every group (or the named ones) for one date."""
    lengths = {}
    with open_database(settings) as db:
        snapshot_date = resolve_date(db, snapshot_date)
        ensure_indexes(db)
        for group in _groups(db, group_names):
            mix = mix_document(db, group, snapshot_date, length)
            repository.save_mix(db, mix, publish=bool(group.get("publish")))
            lengths[group["_id"]] = mix["length"]
    log.info("Mixes for %s: %s", snapshot_date, lengths)
    return {"snapshot_date": snapshot_date.isoformat(), "mixes": lengths}


def run_publish(snapshot_date: date | str | None = None, settings: Settings | None = None,
                group_names: list[str] | None = None, *, force: bool = False) -> dict[str, Any]:
    """Publish each publishing group's newest mix up to a date, unless it is already out.

    `force` publishes the named groups now, even when their publishing flag is off or the
    mix is already out (`mix --publish`, the demo).
    """
    from spotify_etl.analytics.publish import publish_mix

    settings = settings or load_settings()
    outcomes = {}
    with open_database(settings) as db:
        snapshot_date = resolve_date(db, snapshot_date)
        for group in _groups(db, group_names):
            if not (group.get("publish") or force):
                continue
            mix = repository.newest_mix(db, group["_id"], snapshot_date)
            if mix is None:
                continue
            done = mix.get("publish") or {}
            if not force and done.get("status") == "published" and done.get(
                    "playlist_id") == group.get("playlist_id"):
                continue  # already out: a rerun does not call Spotify again
            outcomes[group["_id"]] = publish_mix(db, group, mix, settings=settings)["status"]
    log.info("Publishing for %s: %s", snapshot_date, outcomes or "nothing to publish")
    return {"snapshot_date": snapshot_date.isoformat(), "published": outcomes}


# ---------------------------------------------------------------- taste twins
def run_taste_twins(snapshot_date: date | str | None = None, k: int | None = None,
                    time_range: str = "medium_term",
                    settings: Settings | None = None) -> dict[str, Any]:
    """Store every person's k most similar people (scores only) for one date."""
    settings = settings or load_settings()
    if not settings.taste_twins:
        return {"status": "off", "switch": TWINS_SWITCH}
    from pymongo import ReplaceOne

    from spotify_etl.analytics.twins import compute_twins, twins_documents

    k = k or settings.taste_twins_k
    with open_database(settings) as db:
        snapshot_date = resolve_date(db, snapshot_date)
        items = repository.top_items_on(db, snapshot_date, time_range)
        user_ids, indices, scores = compute_twins(items, k)
        documents = twins_documents(user_ids, indices, scores, snapshot_date, time_range)
        ensure_indexes(db)
        if documents:
            db.taste_twins.bulk_write([ReplaceOne({"_id": d["_id"]}, d, upsert=True)
                                       for d in documents], ordered=False)
    return {"status": "done", "snapshot_date": snapshot_date.isoformat(),
            "time_range": time_range, "users": len(user_ids), "k": k}
