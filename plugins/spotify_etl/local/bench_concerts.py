"""`make bench` figures for concerts: provider requests per person per refresh, bins build time.

Snapshots `people` sandbox people (real pipeline, extended mode, one day), opts everyone in
with a home in one of the Ticketmaster sandbox's cities, then runs the daily refresh three
times: day 1 (nothing cached), day 1 again, day 2 (which performer each artist is, kept), and
times building and storing everyone's bins. The target: at most one request per distinct
artist per day across all people.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date, timedelta
from typing import Any

BENCH_DATE = date(2026, 11, 20)


def run(people: int = 50) -> dict[str, Any]:
    """Measure the daily concert refresh and the bins for `people` people."""
    from cryptography.fernet import Fernet
    from spotify_sandbox import SandboxServer
    from ticketmaster_sandbox import TicketmasterSandboxServer
    from ticketmaster_sandbox.cities import CITIES

    from spotify_etl.concerts import places, service
    from spotify_etl.concerts.geo import Point
    from spotify_etl.local.concert_sandbox import sandbox_environment
    from spotify_etl.local.sandbox import point_at_sandbox, seed_users
    from spotify_etl.pipeline.snapshot import snapshot_batch
    from spotify_etl.storage import open_database

    saved = dict(os.environ)
    try:
        with tempfile.TemporaryDirectory() as data_dir, \
                SandboxServer(port=0, mode="extended", seed=42, users=max(50, people)) as spotify, \
                TicketmasterSandboxServer(port=0, seed=42, rate_per_second=0,
                                          world=spotify.world) as ticketmaster:
            os.environ.update({"SPOTIFY_ETL_DATA_DIR": data_dir,
                               "SPOTIFY_ETL_FERNET_KEY": Fernet.generate_key().decode(),
                               **sandbox_environment(ticketmaster.url),
                               "TICKETMASTER_REQUESTS_PER_SECOND": "0"})
            os.environ.pop("MONGODB_URI", None)
            point_at_sandbox(spotify.url)
            ids = [p["id"] for p in seed_users(spotify.url, people)]
            started = time.perf_counter()
            snapshot_batch(ids, BENCH_DATE, run_id="bench-concerts")
            snapshot_seconds = time.perf_counter() - started
            with open_database() as db:
                for n, user_id in enumerate(ids):
                    city = CITIES[n % len(CITIES)]
                    places.save_home(db, user_id, Point(city.latitude, city.longitude))
            runs = {}
            for label, day in (("day1", BENCH_DATE), ("day1_again", BENCH_DATE),
                               ("day2", BENCH_DATE + timedelta(days=1))):
                started = time.perf_counter()
                report = service.refresh_opted_in(day)
                runs[label] = {**{k: report[k] for k in ("people", "artists", "requests",
                                                          "fetched", "cached", "no_match",
                                                          "status")},
                               "requests_per_person": round(report["requests"] / people, 2),
                               "requests_per_distinct_artist": round(
                                   report["requests"] / max(1, report["artists"]), 2),
                               "seconds": round(time.perf_counter() - started, 2)}
            with open_database() as db:
                started = time.perf_counter()
                service.similarity_model(db)
                model_seconds = time.perf_counter() - started
            started = time.perf_counter()
            stored = service.store_opted_in_bins(BENCH_DATE + timedelta(days=1))
            bins_seconds = time.perf_counter() - started
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"people": people, "refresh": runs,
            "bins_for_all_people_seconds": round(bins_seconds, 2),
            "bins_per_person_ms": round(1000 * bins_seconds / people, 1),
            "similarity_model_seconds": round(model_seconds, 2),
            "concerts_in_stored_bins": stored["concerts"],
            "snapshot_seconds (setup)": round(snapshot_seconds, 1)}
