"""`make bench` prediction figures: training time per person for 10 years of history, the
API's prediction latency (p50/p99 over 1,000 requests) and the stored model's size.

History comes from the sandbox's world through the pipeline's own transform and loader
(`world_history`) into a fresh embedded store; the requests go through the API service
in-process (FastAPI's test client: the app, its auth and the store, without a network), by
Spotify track id over the person's own tracks in turn. Run it alone:
`python -m spotify_etl.local.bench_prediction [--years 10] [--people 1]`.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from typing import Any

REQUESTS = 1000


def run(people: int = 1, years: int = 10, requests: int = REQUESTS,
        last_day: date = date(2026, 11, 30)) -> dict[str, Any]:
    """Load `years` of history for `people` sandbox people, train, time the API; return JSON."""
    from spotify_etl.local.world_history import load_history, world_sandbox

    sandbox = world_sandbox()
    saved = dict(os.environ)
    figures: dict[str, Any] = {"people": people, "years": years}
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            os.environ["SPOTIFY_ETL_DATA_DIR"] = data_dir
            os.environ.pop("MONGODB_URI", None)
            from spotify_etl.prediction.training import train_person
            from spotify_etl.storage import open_database

            user_ids = [sandbox.world.users[u].id for u in range(1, people + 1)]
            first_day = last_day - timedelta(days=365 * years - 1)
            with open_database() as db:
                db.users.insert_many([{"_id": u, "status": "active", "display_name": None}
                                      for u in user_ids])
                started = time.monotonic()
                plays = load_history(db, sandbox, user_ids, first_day, last_day,
                                     days_per_load=14, progress=True)
                figures["history"] = {"days": (last_day - first_day).days + 1,
                                      "plays_per_person": round(statistics.mean(plays.values())),
                                      "load_seconds": round(time.monotonic() - started, 1)}
                print("bench: training...", file=sys.stderr, flush=True)
                reports = [train_person(db, u) for u in user_ids]
                artefacts = [db.models.find_one({"_id": f"{u}|v1"})["artefact"]["bytes"]
                             for u in user_ids]
            figures["training_seconds_per_person"] = {
                "median": round(statistics.median(r.seconds for r in reports), 2),
                "max": round(max(r.seconds for r in reports), 2)}
            figures["training_examples_per_person"] = round(statistics.mean(
                r.examples["training"] for r in reports))
            figures["held_out"] = {u: r.metrics for u, r in zip(user_ids, reports)}
            figures["model_bytes"] = {"median": int(statistics.median(artefacts)),
                                      "max": max(artefacts)}
            print("bench: prediction latency...", file=sys.stderr, flush=True)
            figures["prediction_latency_ms"] = _latency(user_ids[0], requests)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    figures["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


def _latency(user_id: str, requests: int) -> dict[str, Any]:
    """Time `requests` GET /tracks/{id}/prediction of the person's own tracks, in turn."""
    from fastapi.testclient import TestClient

    from spotify_etl.settings import PROJECT_ROOT

    if str(PROJECT_ROOT) not in sys.path:  # api_server sits beside plugins/, not inside it
        sys.path.insert(0, str(PROJECT_ROOT))
    from api_server import create_app
    from spotify_etl.people.api_tokens import issue_token
    from spotify_etl.storage import open_database

    with open_database() as db:
        headers = {"Authorization": f"Bearer {issue_token(db, user_id)}"}
        tracks = sorted({p["track_id"] for p in db.plays.find({"user_id": user_id},
                                                              {"track_id": 1})})
    times = []
    with TestClient(create_app()) as client:
        started = time.perf_counter()
        first = client.get(f"/tracks/{tracks[0]}/prediction", headers=headers)
        first.raise_for_status()
        cold = time.perf_counter() - started
        for number in range(requests):
            track_id = tracks[number % len(tracks)]
            started = time.perf_counter()
            answer = client.get(f"/tracks/{track_id}/prediction", headers=headers)
            times.append(time.perf_counter() - started)
            if answer.status_code != 200 or answer.json()["prediction"] is None:
                raise RuntimeError(f"request {number} answered {answer.status_code}")
    times.sort()
    return {"requests": requests, "p50": round(times[len(times) // 2] * 1000, 2),
            "p99": round(times[int(len(times) * 0.99) - 1] * 1000, 2),
            "max": round(times[-1] * 1000, 2),
            "first_request_ms": round(cold * 1000, 1),
            "note": "in-process ASGI client, embedded store; the first request reads the "
                    "person's history and model (cached for the rest)"}


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.people, arguments.years, arguments.requests), indent=2))
