"""Months or years of listening history for sandbox people, loaded through the real pipeline.

Every day's plays are the ones a daily read of recently played would have captured (at most
the 50 newest, none under 30 s), built in-process from the sandbox's world with Spotify's
shapes (`bench_growth.WorldSource`), and go through the pipeline's own transform and loader a
week at a time, with that week's top lists: the stored history is what daily snapshots would
have kept, without a year of separate runs. Used by the demo, the prediction benchmark and the
tests.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from spotify_etl.constants import KINDS, TIME_RANGES
from spotify_etl.local.bench_growth import API, WorldSource

MIN_LISTED_MS = 30_000  # Spotify lists no play under 30 s
REACHABLE_PLAYS = 50  # only the ~50 most recent plays are reachable

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pymongo.database import Database


def world_sandbox(mode: str = "development", users: int = 50) -> Any:
    """The sandbox world the sandbox process serves by default (same seed, same people)."""
    from spotify_sandbox.state import Sandbox

    from spotify_etl.local.sandbox import SANDBOX_SEED

    return Sandbox(mode=mode, seed=SANDBOX_SEED, users=users)


def captured_plays(sandbox: Any, index: int, day: date) -> list[dict[str, Any]]:
    """The play-history items a daily read at the end of `day` gets (at most 50, newest first)."""
    world = sandbox.world
    listed = [p for p in world.plays_on(index, day.toordinal())
              if p.ms_played >= MIN_LISTED_MS][-REACHABLE_PLAYS:]
    return [sandbox.objects.play_history(index, p, API) for p in reversed(listed)]


def load_history(db: Database, sandbox: Any, user_ids: Iterable[str], first: date, last: date,
                 *, days_per_load: int = 7, progress: bool = False) -> dict[str, int]:
    """Store the plays of every day from `first` to `last`, and top lists once per load.

    People must already be in `users`. Each load is the pipeline's own transform and loader
    (`transform_user_day`, artist lookups for new artists, `load_user_day`) over
    `days_per_load` days of captured plays and the top lists of the load's last day, as an
    import would write them; people whose plays the history room owns get top lists only.
    Returns the number of plays stored per person.
    """
    from spotify_etl.pipeline.extract import artists_to_refresh
    from spotify_etl.pipeline.load import load_user_day
    from spotify_etl.pipeline.transform import artists_frame, transform_user_day
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import ensure_indexes

    import pandas as pd

    settings = load_settings()
    ensure_indexes(db)
    indexes = {user_id: sandbox.world.user_index[user_id] for user_id in user_ids}
    # People whose plays the history room owns (an imported export, the capture) get their top
    # lists only: their plays come through its write path, each play once (docs/history.md).
    owned = {user["_id"] for user in db.users.find(
        {"_id": {"$in": list(indexes)}, "plays_owner": "history"}, projection={"_id": 1})}
    started = time.monotonic()
    chunk_start = first
    while chunk_start <= last:
        chunk_end = min(last, chunk_start + timedelta(days=days_per_load - 1))
        for user_id, index in indexes.items():
            source = WorldSource(sandbox, index, chunk_end)
            top = {(kind, time_range): source.top_items(kind, time_range)
                   for kind in KINDS for time_range in TIME_RANGES}
            plays: list[dict[str, Any]] = []
            offsets = [] if user_id in owned else range((chunk_end - chunk_start).days, -1, -1)
            for offset in offsets:
                plays.extend(captured_plays(sandbox, index, chunk_start + timedelta(offset)))
            day = transform_user_day(user_id, chunk_end, top, plays)
            stale = artists_to_refresh(db, day.artist_ids_needing_details(), chunk_end,
                                       settings.artist_refresh_days)
            if stale:
                day.artists = pd.concat([day.artists, artists_frame(source.artists(stale))],
                                        ignore_index=True).drop_duplicates("_id")
            load_user_day(db, user_id, chunk_end, day, set(top))
            db.users.update_one({"_id": user_id},
                                {"$max": {"last_snapshot_date": chunk_end.isoformat()}})
        if progress and (chunk_end - first).days // 90 != (chunk_start - first).days // 90:
            print(f"  history: {chunk_end} ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr, flush=True)
        chunk_start = chunk_end + timedelta(days=1)
    return {user_id: db.plays.count_documents({"user_id": user_id}) for user_id in indexes}
