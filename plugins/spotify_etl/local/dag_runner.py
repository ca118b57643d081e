"""Run the DAGs on this machine without a scheduler: `dag.test()` for one date at a time.

Used by `python -m spotify_etl run` and the demo. Prepares a local Airflow home (SQLite
metadata database, migrated once; the deployment's pools, docker/airflow/pools.json) under the
project directory unless AIRFLOW_HOME says otherwise. Importing this module does not import
Airflow.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from spotify_etl.local.deployment import DAGS_FOLDER, POOLS_FILE
from spotify_etl.settings import PROJECT_ROOT

__all__ = ["DAGS_FOLDER", "ensure_metadata_db", "load_dag", "prepare_metadata_db", "run_dag"]
log = logging.getLogger(__name__)


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


def run_dag(dag_id: str, snapshot_date: date, conf: dict[str, Any] | None = None) -> str:
    """Run a DAG for the day `snapshot_date` through `dag.test()`; return the run's state."""
    ensure_metadata_db()
    from datetime import UTC

    dag = load_dag(dag_id)
    # A run made at midnight after the day covers that whole day (its data interval), as the
    # scheduler's daily run does.
    if snapshot_date >= date.max - timedelta(days=1):
        raise ValueError(f"{snapshot_date} is not a date a snapshot can be taken for.")
    run_at = datetime.combine(snapshot_date + timedelta(days=1), time(0), tzinfo=UTC)
    if dag.start_date is not None and run_at <= dag.start_date:
        raise ValueError(f"{dag_id} starts on {dag.start_date.date()}: {snapshot_date} is "
                         "before its first day, so no run of it would do anything.")
    run = dag.test(logical_date=run_at, run_conf=conf or {})
    return str(getattr(run, "state", run))
