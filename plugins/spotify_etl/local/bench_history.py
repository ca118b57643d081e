"""Every play kept, measured: capture against the sandbox's ground truth, and import speed.

* Capture: sandbox people (light, regular, heavy, with burst days) over a simulated week.
  Plays captured (of the catalogue plays recently played lists) and requests per person-day
  against the floor (6 top lists + the fewest pages that could hold the day's plays), side by
  side for one read a day (the daily snapshot before), hourly reads, reads every 120 s (as
  your_spotify polls) and the adaptive capture, with the ceiling in force and with a 3-hour
  one. The adaptive one runs the real code (`history.capture.capture_user` into an embedded
  store) after a warm-up week it learns from; the fixed ones are replayed against the same
  world (they need no learning).
* Import: a 10-year extended streaming history of heavy listeners (about a million rows),
  imported into a fresh embedded store in a child process: seconds, rows per second, and the
  child's peak memory.

`python -m spotify_etl bench --history [--quick]` prints these alone.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

API = "https://api.spotify.com/v1"
TOP_LISTS = 6
DAY_MS = 86_400_000
TARGETS = {"plays_captured": "100%", "requests_over_floor": "at most 1.5",
           "import_million_rows_seconds": "under 60, memory bounded"}
IMPORT_PROBE = """
import json, resource, sys, time
from spotify_etl.storage.embedded import EmbeddedStore
from spotify_etl.history.importer import import_export
db = EmbeddedStore(sys.argv[1], "bench").database()
users = sys.argv[3:]
db.users.insert_many([{"_id": u, "status": "active"} for u in users])
started, cpu, rows = time.perf_counter(), time.process_time(), 0
for user, path in zip(users, sys.argv[2].split(",")):
    rows += import_export(db, user, path).rows
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
again = time.perf_counter()
import_export(db, users[0], sys.argv[2].split(",")[0])
print(json.dumps({"rows": rows, "seconds": seconds, "cpu_seconds": cpu, "reimport_seconds": time.perf_counter() - again,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "plays": db.plays.count_documents({})}))
"""


class WorldRecentlyPlayed:
    """Recently played as Spotify would answer for a sandbox person at one instant."""

    def __init__(self, sandbox: Any, user: int) -> None:
        self.sandbox, self.user = sandbox, user
        self.now_ms = 0
        self.calls: Counter[str] = Counter()

    @property
    def api_calls(self) -> int:
        return sum(self.calls.values())

    def recently_played(self, after_ms: int | None) -> tuple[list[dict[str, Any]], int | None]:
        self.calls["GET /v1/me/player/recently-played"] += 1
        chosen = _page(self.sandbox.world, self.user, self.now_ms, after_ms)
        items = [self.sandbox.objects.play_history(self.user, p, API) for p in chosen]
        return items, (chosen[0].played_at_ms if chosen else None)


def _page(world: Any, u: int, now_ms: int, after_ms: int | None) -> list:
    reachable = world.recent_plays(u, now_ms)
    return [p for p in reachable if after_ms is None or p.played_at_ms > after_ms][-50:]


def _people(world: Any, count: int) -> list[int]:
    """A mix: a light listener, regular ones and heavy ones (heavy days exceed 50 plays)."""
    light = [u.index for u in world.users if u.light][:1]
    heavy = [u.index for u in world.users if u.heavy][: max(1, count // 3)]
    regular = [u.index for u in world.users if not u.light and not u.heavy]
    return (light + heavy + regular)[:count]


def _truth(world: Any, u: int, start_ms: int, end_ms: int) -> dict[int, list]:
    """Catalogue plays recently played lists, by day index from start."""
    out: dict[int, list] = {}
    for play in world.listed_plays_between(u, start_ms, end_ms):
        if play.track >= 0:
            out.setdefault((play.played_at_ms - start_ms) // DAY_MS, []).append(play)
    return out


def _fixed(world: Any, u: int, start_ms: int, end_ms: int, every_ms: int) -> tuple[set, int]:
    """Replay reads at a fixed interval; return the captured play times and the reads."""
    captured: set[int] = set()
    cursor, reads, now = None, -1, start_ms  # the read at the start is the day before's
    while True:
        page = _page(world, u, now, cursor)
        reads += 1
        captured.update(p.played_at_ms for p in page if p.track >= 0)
        if page:
            cursor = max(cursor or 0, page[0].played_at_ms)
        if now >= end_ms:
            return captured, reads
        now = min(now + every_ms, end_ms)


def _adaptive(world: Any, sandbox: Any, u: int, warm_ms: int, start_ms: int, end_ms: int,
              db: Any, settings: Any) -> tuple[set, int, int]:
    """Run the real capture from the warm-up on; return captured times, reads, gaps."""
    from spotify_etl.history.capture import capture_user

    user_id = world.users[u].id
    db.users.insert_one({"_id": user_id, "status": "active"})
    source = WorldRecentlyPlayed(sandbox, u)
    now, reads, gaps = warm_ms, 0, 0
    while True:
        source.now_ms = now
        result = capture_user(db, user_id, source, datetime.fromtimestamp(now / 1000, UTC),
                              settings)
        if now > start_ms:
            reads += 1
            gaps += result.gap_minutes is not None
            if result.gap_minutes and os.environ.get("BENCH_HISTORY_DEBUG"):
                print(f"gap: user {u} at {datetime.fromtimestamp(now / 1000, UTC)}: "
                      f"{result.gap_minutes} min", file=sys.stderr)
        if now >= end_ms:
            break
        now = min(int(result.next_due_at.timestamp() * 1000), end_ms)
    captured = {int(p["played_at"].replace(tzinfo=UTC).timestamp() * 1000)
                for p in db.plays.find({"user_id": user_id}, projection={"played_at": 1})}
    return captured, reads, gaps


def capture_figures(people: int = 8, days: int = 7, warm_up_days: int = 7,
                    first: date = date(2026, 10, 5)) -> dict[str, Any]:
    """Compare the capture strategies over `days` simulated days."""
    from spotify_sandbox.state import Sandbox

    from spotify_etl.settings import load_settings
    from spotify_etl.storage.embedded import EmbeddedStore

    sandbox = Sandbox(mode="extended", seed=42, users=50)
    world = sandbox.world
    start_ms = int(datetime.combine(first, datetime.min.time(), UTC).timestamp() * 1000)
    end_ms = start_ms + days * DAY_MS
    chosen = _people(world, people)
    strategies: dict[str, dict[str, float]] = {}
    floors = plays_total = 0
    per_person_days = len(chosen) * days
    truth_all: dict[int, set[int]] = {}
    for u in chosen:
        truth = _truth(world, u, start_ms, end_ms)
        truth_all[u] = {p.played_at_ms for day in truth.values() for p in day}
        plays_total += len(truth_all[u])
        floors += sum(TOP_LISTS + max(1, math.ceil(len(truth.get(d, [])) / 50))
                      for d in range(days))
    for name, every in (("once_a_day", DAY_MS), ("hourly", 3_600_000), ("every_120_s", 120_000)):
        got = reads = 0
        for u in chosen:
            captured, n = _fixed(world, u, start_ms, end_ms, every)
            got += len(truth_all[u] & captured)
            reads += n
        strategies[name] = {"reads": reads, "captured": got}
    settings = load_settings()
    variants = {"adaptive": settings,  # the settings in force (default ceiling 12 h)
                "adaptive_ceiling_3h": replace(settings, capture_ceiling_minutes=180)}
    for name, variant in variants.items():
        with tempfile.TemporaryDirectory() as data_dir:
            db = EmbeddedStore(data_dir, "bench").database()
            got = reads = gaps = 0
            started = time.perf_counter()
            for u in chosen:
                captured, n, g = _adaptive(world, sandbox, u, start_ms - warm_up_days * DAY_MS,
                                           start_ms, end_ms, db, variant)
                got += len(truth_all[u] & captured)
                reads += n
                gaps += g
            strategies[name] = {"reads": reads, "captured": got, "gaps_recorded": gaps,
                                "ceiling_minutes": variant.capture_ceiling_minutes,
                                "seconds": round(time.perf_counter() - started, 1)}
    floor_per_day = floors / per_person_days
    out: dict[str, Any] = {
        "people": len(chosen), "days": days, "warm_up_days": warm_up_days,
        "kinds": {"light": sum(world.users[u].light for u in chosen),
                  "heavy": sum(world.users[u].heavy for u in chosen)},
        "plays": plays_total,
        "person_days_over_50_plays": sum(
            len(v) > 50 for u in chosen for v in _truth(world, u, start_ms, end_ms).values()),
        "floor_requests_per_person_day": round(floor_per_day, 2)}
    for name, figures in strategies.items():
        per_day = TOP_LISTS + figures["reads"] / per_person_days
        out[name] = {**figures,
                     "plays_captured": f"{100 * figures['captured'] / plays_total:.2f}%",
                     "requests_per_person_day": round(per_day, 2),
                     "over_floor": round(per_day / floor_per_day, 2)}
    return out


def import_figures(years: int = 10, people: int = 2) -> dict[str, Any]:
    """Time the import of `years` of extended history for heavy listeners (a child process)."""
    from spotify_sandbox.exports import write_export
    from spotify_sandbox.world import World

    world = World(seed=42, users=50)
    heavy = [u.index for u in world.users if u.heavy][:people]
    until = date(2026, 11, 30)
    with tempfile.TemporaryDirectory() as folder:
        paths, generated, started = [], 0, time.perf_counter()
        for u in heavy:
            path = os.path.join(folder, f"{world.users[u].id}.zip")
            counts = write_export(world, u, path, until=until, days=years * 365,
                                  formats=("extended",))
            generated += counts["extended"]
            paths.append(path)
        generation = time.perf_counter() - started
        probe = subprocess.run([sys.executable, "-c", IMPORT_PROBE, os.path.join(folder, "db"),
                                ",".join(paths), *[world.users[u].id for u in heavy]],
                               capture_output=True, text=True, check=True)
    figures = json.loads(probe.stdout.strip().splitlines()[-1])
    return {"years": years, "people": len(heavy), "rows": figures["rows"],
            "plays_stored": figures["plays"],
            "export_generation_seconds": round(generation, 1),
            "import_seconds": round(figures["seconds"], 1),
            # on a shared machine wall time includes other processes' turns: CPU time does not
            "import_cpu_seconds": round(figures["cpu_seconds"], 1),
            "cpu_seconds_per_million_rows": round(figures["cpu_seconds"] * 1e6
                                                  / figures["rows"], 1),
            "rows_per_second": round(figures["rows"] / figures["seconds"]),
            "seconds_per_million_rows": round(figures["seconds"] * 1e6 / figures["rows"], 1),
            "reimport_one_person_seconds": round(figures["reimport_seconds"], 1),
            "peak_memory_mb": round(figures["peak_rss_mb"]),
            "store": "embedded (SQLite + mongomock); MongoDB not measured here"}


def run(quick: bool = False) -> dict[str, Any]:
    """Measure capture and import; `quick` shortens both (3 days, 1 year)."""
    print("bench: capture strategies against the sandbox's ground truth...", file=sys.stderr,
          flush=True)
    capture = capture_figures(people=6 if quick else 8, days=3 if quick else 7,
                              warm_up_days=3 if quick else 7)
    print("bench: import of an extended streaming history...", file=sys.stderr, flush=True)
    imported = import_figures(years=1 if quick else 10, people=1 if quick else 2)
    return {"targets": TARGETS, "capture": capture, "import": imported}


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
