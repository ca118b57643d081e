"""`make bench-scaleout`: the daily snapshot on Airflow scaled out on this machine.

PostgreSQL, CeleryExecutor over Redis and two Celery workers, as the scale-out test starts
them (`scaleout.ScaledOutAirflow`); sandbox people in batches. The same day is run with two
workers, then, from an emptied store, with one: people per minute for each, and the
scheduler's delay from the trigger to the first task. All workers share this machine's cores,
so two workers here measure contention as much as scale: the figures say how many cores.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from spotify_etl.local.deployment import AIRFLOW_ENV_FILE, POOLS_FILE, read_env_file

DAG_ID = "spotify_daily_snapshot"
DAY = date(2026, 11, 12)


def _seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def measure_run(cluster: Any, people: int) -> dict[str, Any]:
    """Trigger the day once and time it from the trigger to the run's end."""
    from datetime import UTC

    triggered_at = datetime.now(UTC).isoformat()
    started = time.monotonic()
    run_id = cluster.api.trigger_day(DAG_ID, DAY)["dag_run_id"]
    run = cluster.wait_for_run(DAG_ID, run_id, timeout=1800)
    wall = time.monotonic() - started
    if run["state"] != "success":
        raise RuntimeError(f"the benchmark run {run_id} ended {run['state']}:\n"
                           f"{cluster.log_tails()}")
    tasks = cluster.api.task_instances(DAG_ID, run_id)
    first_start = min(ti["start_date"] for ti in tasks if ti["start_date"])
    batches = [ti for ti in tasks if ti["task_id"] == "snapshot_batch"]
    return {
        "people": people,
        "batches": len(batches),
        "seconds_trigger_to_end": round(wall, 1),
        "people_per_minute": round(people / wall * 60, 1),
        "scheduler_delay_trigger_to_first_task_seconds": round(
            _seconds_between(triggered_at, first_start), 1),
        "batches_by_worker": {name: sum(1 for ti in batches if ti["hostname"] == name)
                              for name in cluster.workers},
        "mean_batch_seconds": round(sum(ti["duration"] or 0 for ti in batches) / len(batches), 1),
    }


def run(people: int = 200, batch_size: int = 25) -> dict[str, Any]:
    """Start the cluster, run the day with two workers and with one; return the figures."""
    from cryptography.fernet import Fernet

    from spotify_etl.local.sandbox import SandboxProcess, sandbox_environment, seed_users
    from spotify_etl.local.scaleout import ScaledOutAirflow, forget_snapshots

    key = Fernet.generate_key().decode()
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="spotify-etl-bench-scaleout-") as root, \
            SandboxProcess("--seed", "42", "--users", str(people), "--mode", "extended") as sandbox:
        data_dir = Path(root) / "data"
        variables = {**sandbox_environment(sandbox.url), "SPOTIFY_APP_MODE": "extended",
                     "SPOTIFY_ETL_FERNET_KEY": key, "SPOTIFY_ETL_BATCH_SIZE": str(batch_size)}
        try:  # seed_users writes where this process's settings point
            os.environ.update({**variables, "SPOTIFY_ETL_DATA_DIR": str(data_dir)})
            os.environ.pop("MONGODB_URI", None)
            seed_users(sandbox.url, people)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        cluster = ScaledOutAirflow(Path(root) / "airflow-home", variables, data_dir)
        started = time.monotonic()
        with cluster:
            figures: dict[str, Any] = {"cores": os.cpu_count(),
                                       "start_seconds": round(time.monotonic() - started, 1)}
            print(f"bench: scale-out, {people} people, two workers...", file=sys.stderr, flush=True)
            figures["two_workers"] = measure_run(cluster, people)
            forget_snapshots(data_dir, key)
            cluster.stop_component(cluster.workers[1])
            print("bench: scale-out, one worker...", file=sys.stderr, flush=True)
            figures["one_worker"] = measure_run(cluster, people)
    one = figures["one_worker"]["people_per_minute"]
    figures["people_per_worker_per_hour"] = round(one * 60)
    figures["speedup_two_workers"] = round(figures["two_workers"]["people_per_minute"] / one, 2)
    deployment_settings = read_env_file(AIRFLOW_ENV_FILE)
    figures["settings"] = {
        "batch_size": batch_size,
        "worker_concurrency": int(deployment_settings["AIRFLOW__CELERY__WORKER_CONCURRENCY"]),
        "spotify_api_pool_slots": json.loads(POOLS_FILE.read_text())["spotify_api"]["slots"],
        "store": "embedded (SQLite, shared by the workers)",
        "spotify": "the sandbox, on this machine",
    }
    return figures
