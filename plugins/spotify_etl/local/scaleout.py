"""Airflow scaled out on this machine, as docker compose's `celery` profile runs it: metadata and
Celery results in a fresh PostgreSQL database, CeleryExecutor over Redis, and the api-server,
scheduler, dag-processor and each Celery worker as a process of its own.

Every setting comes from the deployment's definition (`spotify_etl.local.deployment`: the
compose services' commands and environment, airflow.env, pools.json); only what names a
container is replaced. Used by the scale-out test and `make bench-scaleout`. `stop()` stops
everything started here and drops the database, whatever happened before.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from spotify_etl.local import deployment
from spotify_etl.local.airflow_api import AirflowApi, AirflowNotReady
from spotify_etl.local.postgres import (DEFAULT_SERVER, check_server, create_database,
                                        drop_database)
from spotify_etl.local.processes import ChildProcess
from spotify_etl.settings import PROJECT_ROOT, Settings, load_settings

T = TypeVar("T")
# Our names for the components, and the compose service each one is.
COMPONENTS = {"api-server": "airflow-apiserver", "scheduler": "airflow-scheduler",
              "dag-processor": "airflow-dag-processor"}
WORKER_SERVICE = "airflow-worker"
WORKERS = ("worker-a", "worker-b")
# Airflow's own components stop on SIGTERM (a Celery worker warmly: it finishes its tasks).
STOP_STEPS = ((signal.SIGTERM, 30.0), (signal.SIGKILL, 5.0))
# What this process's environment must not hand down to the Airflow processes.
INHERITED_PREFIXES = ("AIRFLOW", "SPOTIFY_", "MONGODB_URI", "PYTHONPATH")


class ServiceUnavailable(RuntimeError):
    """PostgreSQL or Redis does not answer (the reason is in the message)."""


def free_port() -> int:
    """A TCP port nothing listens on, on loopback."""
    with socket.socket() as probe:
        probe.bind((deployment.HOST, 0))
        return probe.getsockname()[1]


def check_broker(url: str) -> None:
    """Raise ServiceUnavailable unless the Redis broker at `url` answers PING."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        where = urlsplit(url)
        raise ServiceUnavailable(f"Redis at {where.hostname}:{where.port} does not answer: "
                                 f"{error}") from None


class ScaledOutAirflow:
    """Airflow on PostgreSQL with Celery workers over Redis, each component a child process.

    :param home: AIRFLOW_HOME of every component (logs under it; one machine, one home).
    :param variables: the deployment's `.env` for this run (Spotify, SPOTIFY_ETL_*); the
        executor, database, broker address and Airflow's own secrets are filled in here.
    :param data_dir: the embedded store every task uses (SPOTIFY_ETL_DATA_DIR).
    :param server: a PostgreSQL login allowed to create databases; a fresh one is made.
    :param settings: Airflow settings to change for this run (the tests shorten detection
        times), applied after the deployment's.
    :param scheduled_runs: let the scheduler start the DAGs' own daily runs; off by default,
        because unpausing the snapshot DAG would snapshot yesterday at once into the store
        the triggered runs are compared in.
    """

    def __init__(self, home: Path, variables: Mapping[str, str], data_dir: Path, *,
                 workers: tuple[str, ...] = WORKERS, server: str = DEFAULT_SERVER,
                 settings: Mapping[str, str] | None = None, port: int | None = None,
                 scheduled_runs: bool = False) -> None:
        self.home = home
        self.data_dir = data_dir
        self.workers = workers
        self.server = server
        self.settings = dict(settings or {})
        self.scheduled_runs = scheduled_runs
        self.port = port or free_port()
        self.url = f"http://{deployment.HOST}:{self.port}"
        self.api = AirflowApi(self.url, home)
        self.database = f"spotify_etl_scaleout_{secrets.token_hex(4)}"
        self.processes: dict[str, ChildProcess] = {}
        self._variables = dict(variables)
        self._secrets = {"AIRFLOW_FERNET_KEY": _fernet_key(),
                         "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32)}
        self._database_created = False

    # --- configuration -----------------------------------------------------------------------
    def variables(self) -> dict[str, str]:
        """The `.env` this deployment runs with: compose's variables, for this machine."""
        login = urlsplit(self.server)
        if login.port not in (None, 5432):
            raise ValueError("docker-compose.yaml reaches PostgreSQL on port 5432")
        return {
            "AIRFLOW_EXECUTOR": "CeleryExecutor",
            "AIRFLOW_MAIN_HOST": login.hostname or deployment.HOST,
            "POSTGRES_USER": login.username or "postgres",
            # Trust authentication asks for no password; compose requires one all the same.
            "POSTGRES_PASSWORD": login.password or "unused-with-trust-authentication",
            "POSTGRES_DB": self.database,
            **self._secrets,
            **self._variables,
        }

    def environment(self, service: str) -> dict[str, str]:
        """The environment of one component: its compose service's, for this machine."""
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(INHERITED_PREFIXES)}
        env.update(deployment.service_environment(service, self.variables()))
        env.update(deployment.this_machine(self.home, self.port))
        env.update({
            "SPOTIFY_ETL_DATA_DIR": str(self.data_dir),
            # The API server reports the scheduler's health: no health port per process here.
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            # Clusters on one machine share its Redis: each has a queue of its own.
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.database,
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(self.scheduled_runs),
        })
        env.update(self.settings)
        return env

    def broker_url(self) -> str:
        return self.environment(WORKER_SERVICE)["AIRFLOW__CELERY__BROKER_URL"]

    # --- lifecycle ---------------------------------------------------------------------------
    def check_services(self) -> None:
        """Raise PostgresUnavailable or ServiceUnavailable unless PostgreSQL and Redis answer."""
        check_server(self.server)
        check_broker(self.broker_url())

    def start(self, dag_ids: tuple[str, ...] = ("spotify_daily_snapshot",),
              timeout: float = 300) -> ScaledOutAirflow:
        """Create the database, migrate it, start every component, unpause `dag_ids`."""
        try:
            self.check_services()
            create_database(self.server, self.database)
            self._database_created = True
            self.home.mkdir(parents=True, exist_ok=True)
            self.airflow("db", "migrate")
            self.airflow("pools", "import", str(deployment.POOLS_FILE))
            for name in COMPONENTS:
                self.start_component(name)
            for worker in self.workers:
                self.start_worker(worker)
            deadline = time.monotonic() + timeout
            self.wait_for(self._ready, deadline - time.monotonic(), "Airflow and the workers")
            for dag_id in dag_ids:
                self.wait_for(lambda dag_id=dag_id: self.api.dag_is_parsed(dag_id),
                              deadline - time.monotonic(), f"the DAG {dag_id} to be parsed")
                self.api.unpause(dag_id)
        except BaseException:
            self.stop()
            raise
        return self

    def airflow(self, *args: str, timeout: float = 600) -> str:
        """Run one `airflow` command with the scheduler's environment; return its output."""
        done = subprocess.run([sys.executable, "-m", "airflow", *args], capture_output=True,
                              text=True, timeout=timeout, env=self.environment(COMPONENTS["scheduler"]),
                              cwd=str(PROJECT_ROOT))
        if done.returncode != 0:
            raise RuntimeError(f"`airflow {' '.join(args)}` failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start_component(self, name: str) -> ChildProcess:
        """Start the api-server, the scheduler or the dag-processor (its compose command)."""
        return self._start(name, COMPONENTS[name])

    def start_worker(self, name: str) -> ChildProcess:
        """Start one Celery worker, named `name` in Celery and in its task instances."""
        env = {"SPOTIFY_ETL_WORKER_NAME": name,
               "AIRFLOW__CORE__HOSTNAME_CALLABLE": "spotify_etl.local.worker_name.worker_hostname"}
        # No log server: every component here shares AIRFLOW_HOME, so logs are read locally.
        return self._start(name, WORKER_SERVICE, env,
                           ["--celery-hostname", f"{name}@%h", "--skip-serve-logs"])

    def _start(self, name: str, service: str, extra_env: Mapping[str, str] | None = None,
               extra_args: list[str] | None = None) -> ChildProcess:
        running = self.processes.get(name)
        if running is not None and running.running():
            raise RuntimeError(f"{name} is already running")
        argv = [sys.executable, "-m", "airflow", *deployment.service_command(service),
                *(extra_args or [])]
        env = {**self.environment(service), **(extra_env or {})}
        process = ChildProcess(name, argv, env, self.home / "components" / f"{name}.log",
                               cwd=PROJECT_ROOT)
        self.processes[name] = process.start()
        return process

    def kill(self, name: str) -> None:
        """SIGKILL a component and everything it started, tasks included."""
        self.processes[name].kill()

    def stop_component(self, name: str) -> None:
        """Stop a component as `docker compose stop` does (SIGTERM; SIGKILL after 30 s)."""
        self.processes[name].stop(STOP_STEPS)

    def restart(self, name: str) -> None:
        """Stop a component as `docker compose restart` does, then start it again."""
        self.stop_component(name)
        if name in self.workers:
            self.start_worker(name)
        else:
            self.start_component(name)

    def stop(self) -> None:
        """Stop every component (the scheduler first), then drop the database."""
        order = ["scheduler", *self.workers, "dag-processor", "api-server"]
        try:
            for name in sorted(self.processes, key=lambda n: order.index(n) if n in order else 0):
                self.stop_component(name)
        finally:
            if self._database_created:
                drop_database(self.server, self.database)
                self._database_created = False
                self._forget_queue()

    def _forget_queue(self) -> None:
        """Remove this cluster's queue and bindings from the shared Redis."""
        import redis

        client = redis.Redis.from_url(self.broker_url(), socket_timeout=5)
        try:
            names = list(client.scan_iter(match=f"*{self.database}*", count=1000))
            if names:
                client.delete(*names)
        except redis.RedisError:
            pass  # a stopped Redis keeps nothing
        finally:
            client.close()

    def __enter__(self) -> ScaledOutAirflow:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- watching ----------------------------------------------------------------------------
    def _ready(self) -> bool:
        return (self.api.healthy() and self.api.password() is not None
                and set(self.workers) <= self.workers_answering())

    def workers_answering(self) -> set[str]:
        """The names of this cluster's Celery workers that answer a ping over the broker."""
        from celery import Celery

        app = Celery(broker=self.broker_url())
        try:
            replies = app.control.ping(timeout=1.0) or []
        finally:
            app.close()
        names = {node.split("@", 1)[0] for reply in replies for node in reply}
        return names & set(self.workers)

    def wait_for(self, predicate: Callable[[], T], timeout: float, what: str,
                 interval: float = 2.0) -> T:
        """Wait until `predicate()` is truthy and return it; fail with the logs after `timeout`.

        Fails at once when a component that should run has stopped by itself.
        """
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            for name, process in self.processes.items():
                if not process.stopped and process.exit_code() is not None:
                    raise AirflowNotReady(f"{name} stopped (exit {process.exit_code()}) while "
                                          f"waiting for {what}:\n{self.log_tails()}")
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AirflowNotReady(f"No {what} after {timeout:.0f} s:\n{self.log_tails()}")
            time.sleep(interval)

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
        """Wait for a run to finish; return it (state success or failed)."""
        def finished() -> dict[str, Any] | None:
            run = self.api.run(dag_id, run_id)
            return run if run["state"] in ("success", "failed") else None

        return self.wait_for(finished, timeout, f"end of the run {run_id}", interval=3.0)

    def log_tails(self, lines: int = 25) -> str:
        """The end of every component's log and of the newest task log."""
        parts = [f"--- {name} ({process.log_path}) ---\n{process.log_tail(lines)}"
                 for name, process in self.processes.items()]
        task_logs = sorted((self.home / "logs").rglob("*.log"), key=lambda p: p.stat().st_mtime)
        if task_logs:
            newest = task_logs[-1]
            text = newest.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- newest task log ({newest}) ---\n" + "\n".join(text))
        return "\n".join(parts)


def store_settings(data_dir: Path, fernet_key: str) -> Settings:
    """The settings of the embedded store the cluster's tasks use, for this process."""
    return replace(load_settings(), data_dir=data_dir, fernet_key=fernet_key, mongodb_uri=None)


def forget_snapshots(data_dir: Path, fernet_key: str) -> None:
    """Empty what snapshots wrote (people and their tokens stay): the same day runs afresh.

    People go back to how they were when they connected: no snapshot date, no play cursor (a
    cursor left behind would make the next read skip the plays the first run stored), no
    capture schedule and plays not yet owned by the history capture.
    """
    from spotify_etl.storage import COLLECTIONS, open_database

    with open_database(store_settings(data_dir, fernet_key)) as db:
        for name in COLLECTIONS:
            if name not in ("users", "tokens"):
                db[name].delete_many({})
        db.users.update_many({}, {"$unset": {"last_snapshot_date": "", "plays_cursor_ms": "",
                                             "capture": "", "plays_owner": ""}})


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
