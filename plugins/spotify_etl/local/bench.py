"""`make bench`: the figures we track, measured on this machine, printed as JSON.

Sandbox throughput, Spotify requests per person-day, transform and load time, documents per
person-day, DAG parse time, the all-pairs taste match, growth over a year of data
(`bench_growth`), the concert refresh and bins, every play kept (`bench_history`: capture
against the sandbox's ground truth, import speed), and the stream-count model
(`bench_prediction`). Targets live here, never in timed tests.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from typing import Any

from spotify_etl.local.dag_runner import DAGS_FOLDER

TARGETS = {"requests_per_user_day": "7 + one per never-seen artist (development mode)",
           "dag_parse_seconds": 0.5,
           "concert_requests_per_distinct_artist_per_day": "at most 1 from day 2 on (day 1: one "
                                                            "more per artist, to find it)"}
PARSE_PROBE = """
import importlib.util, json, statistics, sys, time
import airflow.sdk, spotify_etl.pipeline.assets  # warm: the dag processor has these imported already
times = []
for attempt in range(7):
    spec = importlib.util.spec_from_file_location(f"probe_dag_{attempt}", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    started = time.perf_counter()
    spec.loader.exec_module(module)
    times.append(time.perf_counter() - started)
print(json.dumps(statistics.median(times)))
"""


def dag_parse_seconds() -> dict[str, float]:
    """Median seconds to execute each DAG file once Airflow itself is imported."""
    figures = {}
    for path in sorted(DAGS_FOLDER.glob("*.py")):
        done = subprocess.run([sys.executable, "-c", PARSE_PROBE, str(path)], capture_output=True,
                              text=True, check=True)
        figures[path.stem] = round(float(done.stdout.strip().splitlines()[-1]), 4)
    return figures


def pipeline_figures(mode: str, users: int = 5) -> dict[str, Any]:
    """Snapshot two consecutive days for sandbox people and read the costs from `runs`."""
    import requests
    from cryptography.fernet import Fernet

    from spotify_etl.local.sandbox import point_at_sandbox, seed_users
    from spotify_etl.pipeline.snapshot import snapshot_batch
    from spotify_etl.storage import open_database
    from spotify_sandbox import SandboxServer

    saved = dict(os.environ)
    try:
        with tempfile.TemporaryDirectory() as data_dir, \
                SandboxServer(port=0, mode=mode, seed=42, users=50) as server:
            os.environ.update({"SPOTIFY_ETL_DATA_DIR": data_dir,
                               "SPOTIFY_ETL_FERNET_KEY": Fernet.generate_key().decode()})
            os.environ.pop("MONGODB_URI", None)
            point_at_sandbox(server.url)
            ids = [p["id"] for p in seed_users(server.url, users + 1)][1:]  # skip a light listener
            requests.post(f"{server.url}/__sandbox/allowlist", json={"user_ids": ids},
                          timeout=10).raise_for_status()
            day1 = date(2026, 11, 1)
            for offset in range(2):
                snapshot_batch(ids, day1 + timedelta(days=offset), run_id=f"bench-{offset}")
            with open_database() as db:
                runs = list(db.runs.find())
    finally:
        os.environ.clear()
        os.environ.update(saved)
    figures: dict[str, Any] = {}
    for offset in range(2):
        day = (day1 + timedelta(days=offset)).isoformat()
        day_runs = [r for r in runs if r["snapshot_date"] == day]
        core = [sum(n for k, n in r["api_calls"].items() if "/v1/me/" in k) for r in day_runs]
        lookups = [sum(n for k, n in r["api_calls"].items() if "/v1/artists" in k)
                   for r in day_runs]
        tokens = [r["api_calls"].get("POST /api/token", 0) for r in day_runs]
        figures[f"day{offset + 1}"] = {
            "requests_per_user_day": round(statistics.mean(r["api_call_total"] for r in day_runs), 1),
            "split_per_user": {"top_items_and_recently_played": round(statistics.mean(core), 1),
                               "artist_lookups": round(statistics.mean(lookups), 1),
                               "token_refreshes (accounts service)": round(statistics.mean(tokens), 1)},
            "documents_written_per_user_day": round(statistics.mean(
                r["counts"].get("documents", 0) for r in day_runs)),
            "transform_load_seconds_per_user": round(statistics.mean(
                r["transform_load_seconds"] for r in day_runs), 3),
        }
    return figures


def run_bench(quick: bool = False) -> dict[str, Any]:
    """Measure everything; `quick` shortens the sandbox load test."""
    from spotify_sandbox import bench as sandbox_bench

    results: dict[str, Any] = {"targets": TARGETS}
    print("bench: sandbox...", file=sys.stderr, flush=True)
    results["sandbox"] = sandbox_bench.run(seconds=2.0 if quick else 5.0)
    for mode in ("development", "extended"):
        print(f"bench: pipeline ({mode} mode)...", file=sys.stderr, flush=True)
        results[f"pipeline_{mode}"] = pipeline_figures(mode)
    print("bench: DAG parse time...", file=sys.stderr, flush=True)
    results["dag_parse_seconds"] = dag_parse_seconds()
    from spotify_etl.local import bench_growth, bench_taste_match

    print("bench: growth, a year of daily snapshots for 10 people (a few minutes)...",
          file=sys.stderr, flush=True)
    results["growth"] = bench_growth.run(people=10, days=60 if quick else 365)

    print("bench: taste match all pairs...", file=sys.stderr, flush=True)
    results["taste_match"] = bench_taste_match.run(quick=quick)
    from spotify_etl.local import bench_concerts

    print("bench: concert refresh and bins...", file=sys.stderr, flush=True)
    results["concerts"] = bench_concerts.run(people=10 if quick else 50)
    from spotify_etl.local import bench_history

    results["history"] = bench_history.run(quick=quick)
    from spotify_etl.local import bench_prediction

    print("bench: prediction, training on 10 years of history and 1,000 API requests...",
          file=sys.stderr, flush=True)
    results["prediction"] = bench_prediction.run(people=1, years=2 if quick else 10)
    return results
