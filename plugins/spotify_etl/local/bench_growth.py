"""`make bench` growth figures: a year of daily snapshots for 10 people, and what it costs.

Every person-day goes through the pipeline's own `snapshot_user` (cursor, transform, artist
refresh, bulk upserts, `runs`) into a fresh embedded store; Spotify's answers come in-process
from the sandbox's world (`WorldSource`, the same data the sandbox serves over HTTP), so the
figures measure what grows with the data — the store — and not the network. Reports the
per-person-day cost on days 1, 2, 30, 180 and 365, a small write's latency and the opening
time at one year, documents and bytes per person-day (embedded file, and BSON as MongoDB would
hold it), indexes per collection, and peak memory.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

CHECKPOINTS = (1, 2, 30, 180, 365)
TARGETS = {"day_365_over_day_1": 1.5, "small_write_ms_at_one_year": 50.0,
           "documents_per_person_day_at_most": 57}  # 10x fewer than the ~570 before top_lists
API = "https://api.spotify.com/v1"
OPEN_PROBE = """
import json, sys, time
started = time.perf_counter()
from spotify_etl.storage.embedded import EmbeddedStore
imported = time.perf_counter()
db = EmbeddedStore(sys.argv[1], "spotify_etl").database()
db.users.find_one({"_id": sys.argv[2]})
opened = time.perf_counter()
print(json.dumps({"import_seconds": imported - started, "open_seconds": opened - imported}))
"""


class WorldSource:
    """What Spotify would answer for one sandbox person and day, built in-process.

    Offers the part of `spotify_etl.spotify.client.SpotifySource` the snapshot uses, from the
    sandbox's deterministic world, so a year of days loads in minutes instead of hours.
    """

    def __init__(self, sandbox: Any, user: int, day: date) -> None:
        self.sandbox, self.user, self.day = sandbox, user, day
        self.calls: Counter[str] = Counter()

    @property
    def api_calls(self) -> int:
        return sum(self.calls.values())

    def check_snapshot_date(self, snapshot_date: date) -> None:
        assert snapshot_date == self.day

    def top_items(self, kind: str, time_range: str) -> list[dict[str, Any]]:
        world, objects = self.sandbox.world, self.sandbox.objects
        self.calls[f"GET /v1/me/top/{kind}"] += 1
        if kind == "artists":
            return [objects.artist(i, API) for i in world.top_artists(self.user,
                                                                      self.day.toordinal(),
                                                                      time_range)]
        return [objects.track(i, API) for i in world.top_tracks(self.user, self.day.toordinal(),
                                                                time_range)]

    def recently_played(self, after_ms: int | None) -> tuple[list[dict[str, Any]], int | None]:
        self.calls["GET /v1/me/player/recently-played"] += 1
        reachable = self.sandbox.world.recent_plays(self.user, self.sandbox.now_ms(self.day))
        chosen = [p for p in reachable if after_ms is None or p.played_at_ms > after_ms][-50:]
        items = [self.sandbox.objects.play_history(self.user, p, API) for p in chosen]
        return items, (chosen[0].played_at_ms if chosen else None)

    def artists(self, artist_ids: list[str]) -> list[dict[str, Any]]:
        self.calls["GET /v1/artists"] += -(-len(artist_ids) // 50)
        index = self.sandbox.world.artist_index
        return [self.sandbox.objects.artist(index[a], API) for a in artist_ids if a in index]


def _bson_bytes(db: Any, names: list[str]) -> dict[str, int]:
    import bson

    return {name: sum(len(bson.encode(d)) for d in db[name].find()) for name in names}


def run(people: int = 10, days: int = 365, progress: bool = True) -> dict[str, Any]:
    """Load `days` daily snapshots of `people` sandbox people; return the growth figures."""
    from spotify_sandbox.state import Sandbox

    from spotify_etl.constants import TIME_RANGES
    from spotify_etl.people.tokens import TokenStore
    from spotify_etl.pipeline.snapshot import snapshot_user
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import INDEXES, ensure_definitions
    from spotify_etl.storage.embedded import EmbeddedStore

    sandbox = Sandbox(mode="extended", seed=42, users=max(50, people + 1))
    first = date(2025, 12, 1)
    per_day: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings()
        store_handle = EmbeddedStore(data_dir, "spotify_etl")
        db = store_handle.database()
        ensure_definitions(db)
        # Sandbox users 1..people (user 0 is a light listener); stored as connected people.
        user_ids = [sandbox.world.users[u].id for u in range(1, people + 1)]
        db.users.insert_many([{"_id": uid, "status": "active", "display_name": None}
                              for uid in user_ids])
        tokens = TokenStore(db, settings)
        started = time.monotonic()
        for number in range(1, days + 1):
            day = first + timedelta(days=number - 1)
            day_started = time.perf_counter()
            for offset, user_id in enumerate(user_ids, start=1):
                result = snapshot_user(db, user_id, day, run_id=f"growth-{day}",
                                       time_ranges=list(TIME_RANGES), settings=settings,
                                       store=tokens, source=WorldSource(sandbox, offset, day))
                if result.status != "success":
                    raise RuntimeError(f"day {number}, {user_id}: {result.error}")
            per_day[number] = (time.perf_counter() - day_started) / people
            if progress and (number % 30 == 0 or number == days):
                print(f"bench: growth day {number}/{days} ({per_day[number] * 1000:.0f} ms per "
                      f"person-day, {time.monotonic() - started:.0f} s so far)",
                      file=sys.stderr, flush=True)
        writes = []
        for attempt in range(50):
            write_started = time.perf_counter()
            db.users.update_one({"_id": user_ids[0]}, {"$set": {"probe": attempt}})
            writes.append(time.perf_counter() - write_started)
        probe = subprocess.run([sys.executable, "-c", OPEN_PROBE, data_dir, user_ids[0]],
                               capture_output=True, text=True, check=True,
                               env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        opening = __import__("json").loads(probe.stdout.strip().splitlines()[-1])
        names = [n for n in db.list_collection_names() if not n.startswith("system.")]
        documents = {name: db[name].count_documents({}) for name in names}
        bson_bytes = _bson_bytes(db, names)
        file_bytes = sum(f.stat().st_size for f in Path(data_dir).rglob("*") if f.is_file())
        store_handle.close()
    person_days = people * days
    at = {f"day_{n}_ms": round(per_day[n] * 1000, 1) for n in CHECKPOINTS if n in per_day}
    last = per_day[days]
    figures = {
        "people": people, "days": days,
        "per_person_day_cost": at,
        "day_365_over_day_1": round(last / per_day[1], 2),
        "day_365_over_day_2": round(last / per_day[min(2, days)], 2),
        "small_write_ms_at_one_year": {"median": round(statistics.median(writes) * 1000, 2),
                                       "max": round(max(writes) * 1000, 2)},
        "opening_at_one_year_ms": {"open_and_first_id_lookup": round(
            opening["open_seconds"] * 1000, 1), "python_imports": round(
            opening["import_seconds"] * 1000, 1)},
        "documents": sum(documents.values()),
        "documents_per_person_day": round(sum(documents.values()) / person_days, 1),
        "documents_per_collection": documents,
        "embedded_file_bytes_per_person_day": round(file_bytes / person_days),
        "mongodb_bson_bytes_per_person_day": round(sum(bson_bytes.values()) / person_days),
        "mongodb_bson_bytes_per_collection_per_person_day": {
            name: round(size / person_days) for name, size in sorted(bson_bytes.items())},
        "indexes_per_collection": {name: len(keys) + 1 for name, keys in INDEXES.items()},
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    figures["targets"] = {
        "day_365_over_day_1 <= 1.5": figures["day_365_over_day_1"] <= 1.5,
        "small_write_ms < 50": figures["small_write_ms_at_one_year"]["median"] < 50,
        "documents_per_person_day <= 57 (10x fewer than ~570)":
            figures["documents_per_person_day"] <= 57,
    }
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
