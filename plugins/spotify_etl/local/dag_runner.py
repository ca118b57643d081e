"""Run the DAGs on this machine without a scheduler: `dag.test()` for one date at a time.

Used by `python -m spotify_etl run` and the demo. Prepares a local Airflow home (SQLite
metadata database, migrated once; the deployment's pools, docker/airflow/pools.json) under the
project directory unless AIRFLOW_HOME says otherwise. A local run never waits for a rate-limit
retry, never takes the logical date a scheduled run needs, and stops on SIGTERM as on Ctrl-C
(its run marked failed). Importing this module does not import Airflow.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from spotify_etl.local.deployment import DAGS_FOLDER, POOLS_FILE
from spotify_etl.settings import PROJECT_ROOT, RATE_LIMIT_RETRY_MAX_WAIT

__all__ = ["DAGS_FOLDER", "LOCAL_RUN_OFFSET", "LocalRun", "ensure_metadata_db", "load_dag",
           "local_logical_date", "prepare_metadata_db", "rate_limit_stop", "run_dag",
           "sigterm_as_interrupt"]
log = logging.getLogger(__name__)
# Airflow keeps one run per DAG and logical date, and dag.test() deletes whatever run holds the
# date it is given. The scheduler's run for day D has logical date D 00:00 (the start of its
# data interval); a local run for D at D+1 00:00 would take the scheduled run of D+1's place.
# At D+1 00:00:01 it infers the same data interval (day D) and is never a scheduler's date.
LOCAL_RUN_OFFSET = timedelta(seconds=1)
FINISHED = ("success", "failed")


@dataclass(frozen=True)
class LocalRun:
    """How a `dag.test()` run ended."""

    state: str
    run_id: str
    logical_date: datetime


def configure_local_airflow() -> Path:
    """Point Airflow at the project's DAGs and a local home; call before importing Airflow."""
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(PROJECT_ROOT / ".airflow")))
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_FOLDER))
    os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(PROJECT_ROOT / "plugins"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    home.mkdir(parents=True, exist_ok=True)
    return home


def prepare_metadata_db(home: Path, env: dict[str, str] | None = None, *,
                        set_pool_again: bool = False) -> None:
    """Migrate the Airflow metadata database (once per Airflow version) and import the pools.

    The one place that owns the migration marker and the pools, for `dag.test()` runs and for
    `make airflow` alike (which imports the pools again on every start). The marker names the
    database when it is not this home's SQLite file.
    """
    from importlib.metadata import version

    home.mkdir(parents=True, exist_ok=True)
    database = (env or os.environ).get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    suffix = f"-{hashlib.sha256(database.encode()).hexdigest()[:12]}" if database else ""
    marker = home / f".migrated-{version('apache-airflow-core')}{suffix}"
    if marker.exists() and not set_pool_again:
        return
    commands = [["pools", "import", str(POOLS_FILE)]]
    if not marker.exists():
        print("Preparing the local Airflow metadata database (once)...", file=sys.stderr,
              flush=True)
        commands.insert(0, ["db", "migrate"])
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "airflow", *command], capture_output=True,
                              text=True, env=env or os.environ)
        if done.returncode != 0:
            raise RuntimeError(f"`airflow {' '.join(command)}` failed:\n{done.stderr[-2000:]}")
    marker.touch()


def ensure_metadata_db() -> None:
    """Prepare the local metadata database for `dag.test()` runs (instant once done)."""
    prepare_metadata_db(configure_local_airflow())


def load_dag(dag_id: str) -> Any:
    """Load one DAG from the project's dags/ folder, failing on import errors."""
    configure_local_airflow()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags.get(dag_id)
    if dag is None:
        raise RuntimeError(f"No DAG {dag_id} in {DAGS_FOLDER}")
    return dag


def local_logical_date(snapshot_date: date) -> datetime:
    """The logical date of a local run for a day: just after the day ends (see above)."""
    return (datetime.combine(snapshot_date + timedelta(days=1), time(0), tzinfo=UTC)
            + LOCAL_RUN_OFFSET)


def run_dag(dag_id: str, snapshot_date: date, conf: dict[str, Any] | None = None) -> LocalRun:
    """Run a DAG for the day `snapshot_date` through `dag.test()`; say how it ended.

    Its data interval is that whole day, as for the scheduler's daily run. A Ctrl-C (or a
    SIGTERM under `sigterm_as_interrupt`) marks the run failed before it propagates, so no
    run is left "running" in a metadata database `make airflow` may share.
    """
    ensure_metadata_db()
    dag = load_dag(dag_id)
    if snapshot_date >= date.max - timedelta(days=1):
        raise ValueError(f"{snapshot_date} is not a date a snapshot can be taken for.")
    logical_date = local_logical_date(snapshot_date)
    if dag.start_date is not None and logical_date - LOCAL_RUN_OFFSET <= dag.start_date:
        raise ValueError(f"{dag_id} starts on {dag.start_date.date()}: {snapshot_date} is "
                         "before its first day, so no run of it would do anything.")
    try:
        with _no_rate_limit_retries():
            run = dag.test(logical_date=logical_date, run_conf=conf or {})
    except KeyboardInterrupt:
        _fail_unfinished_run(dag_id, logical_date)
        raise
    return LocalRun(state=str(getattr(run, "state", run)), run_id=str(run.run_id),
                    logical_date=logical_date)


@contextmanager
def _no_rate_limit_retries() -> Iterator[None]:
    # dag.test() runs the tasks in this process; a terminal must not sit out an hour-long
    # Retry-After, so the retry policy fails the task and the caller says when to try again.
    before = os.environ.get(RATE_LIMIT_RETRY_MAX_WAIT)
    os.environ.setdefault(RATE_LIMIT_RETRY_MAX_WAIT, "0")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(RATE_LIMIT_RETRY_MAX_WAIT, None)


def _fail_unfinished_run(dag_id: str, logical_date: datetime) -> None:
    """Mark an interrupted local run and its unfinished tasks failed."""
    from airflow import settings
    from airflow.models.dagrun import DagRun
    from airflow.utils.state import DagRunState, TaskInstanceState
    from sqlalchemy import select

    session = settings.Session()
    session.rollback()  # dag.test()'s own transaction was cut short
    run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id,
                                              DagRun.logical_date == logical_date))
    if run is None or run.state in FINISHED:
        return
    for task in run.get_task_instances(session=session):
        if task.state not in ("success", "failed", "skipped", "upstream_failed", "removed"):
            task.state = TaskInstanceState.FAILED
    run.state = DagRunState.FAILED
    run.end_date = datetime.now(UTC)
    session.commit()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Make SIGTERM stop this process the way Ctrl-C does, even inside `dag.test()`.

    Airflow's in-process task runner installs a SIGTERM handler that only calls the operator's
    `on_kill` and keeps it afterwards, so a handler of ours would not last. Instead SIGTERM is
    blocked here and a watcher thread, which takes it whatever the handlers, sends SIGINT to
    the main thread: a KeyboardInterrupt where the work is. Enter it before importing what
    starts threads of its own (pandas, pyarrow): those keep SIGTERM unblocked and would take it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = threading.Event()
    main = threading.main_thread().ident

    def watch() -> None:
        signal.sigwait({signal.SIGTERM})
        if not stopping.is_set():
            signal.pthread_kill(main, signal.SIGINT)

    # Should a thread of some library unblock it and take it, the handler still interrupts
    # (until Airflow replaces it).
    handler = signal.signal(signal.SIGTERM, signal.default_int_handler)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    watcher = threading.Thread(target=watch, name="sigterm-watcher", daemon=True)
    watcher.start()  # it inherits the blocked SIGTERM, as threads started later do
    try:
        yield
    finally:
        stopping.set()
        if watcher.is_alive():
            signal.pthread_kill(watcher.ident, signal.SIGTERM)  # wake it up to end
            watcher.join(timeout=5)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        if handler is not None:  # None: a handler not set from Python, left as it is
            signal.signal(signal.SIGTERM, handler)


def rate_limit_stop(snapshot_date: date, since: datetime) -> str | None:
    """Say when to try again if a rate limit stopped the run for this day (else None)."""
    from spotify_etl.constants import RATE_LIMITED
    from spotify_etl.spotify.client import retry_after_in
    from spotify_etl.storage import open_database

    with open_database() as db:
        limited = [run for run in db.runs.find(
            {"snapshot_date": snapshot_date.isoformat(), "status": RATE_LIMITED},
            projection={"error": 1, "finished_at": 1})
            if _aware(run.get("finished_at")) >= since and retry_after_in(run.get("error"))]
    if not limited:
        return None
    latest = max(limited, key=lambda run: _aware(run["finished_at"]))
    wait = retry_after_in(latest["error"])
    at = _aware(latest["finished_at"]) + timedelta(seconds=wait)
    reason = " (QUOTA_EXCEEDED)" if "QUOTA_EXCEEDED" in latest["error"] else ""
    return (f"Spotify rate-limited this app{reason} and asked to wait {wait} s; stopped "
            f"instead of waiting. People loaded before the limit are kept. Try again after "
            f"{at:%Y-%m-%d %H:%M} UTC.")


def _aware(value: Any) -> datetime:
    if not isinstance(value, datetime):
        return datetime.min.replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
