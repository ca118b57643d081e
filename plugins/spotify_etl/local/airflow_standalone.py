"""`make airflow`: the real Airflow UI on this machine, without Docker.

Runs `airflow standalone` (api-server, scheduler, dag-processor, triggerer; LocalExecutor;
metadata in SQLite, or in PostgreSQL when asked) on the project's DAGs and plugins, in its own
session so that everything it started stops with it. Without a Spotify app (no
SPOTIFY_CLIENT_ID) it also starts the Spotify sandbox and connects sandbox people, so a
triggered run succeeds offline. Storage is whatever `spotify_etl.storage` picks (MongoDB when
configured, else the embedded store).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from spotify_etl.local.airflow_api import AirflowApi, AirflowNotReady
from spotify_etl.local.dag_runner import DAGS_FOLDER, prepare_metadata_db
from spotify_etl.local.deployment import HOST, USERNAME, this_machine
from spotify_etl.local.postgres import airflow_url, ensure_database, masked
from spotify_etl.local.processes import ChildProcess
from spotify_etl.settings import PROJECT_ROOT

__all__ = ["AirflowNotReady", "LocalAirflow", "run_local_airflow"]
DEFAULT_PORT = 8080
PARALLELISM = 4


def port_is_free(port: int, host: str = HOST) -> bool:
    """Tell whether nothing listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) != 0


def wants_sandbox() -> bool:
    """Use the sandbox when no Spotify app is configured."""
    return not os.environ.get("SPOTIFY_CLIENT_ID")


class LocalAirflow:
    """Airflow standalone (and, offline, the Spotify sandbox) as child processes.

    :param home: AIRFLOW_HOME; default: AIRFLOW_HOME from the environment, else `.airflow/`.
    :param sandbox: True/False to force; None chooses the sandbox when SPOTIFY_CLIENT_ID is unset.
    :param people: sandbox people to connect (ignored without the sandbox).
    :param postgres: a PostgreSQL URL for the metadata database; None: SQLite under `home`.
    """

    def __init__(self, port: int = DEFAULT_PORT, home: Path | None = None,
                 sandbox: bool | None = None, people: int = 5,
                 postgres: str | None = None) -> None:
        self.port = port
        self.home = Path(home or os.environ.get("AIRFLOW_HOME") or PROJECT_ROOT / ".airflow")
        self.use_sandbox = wants_sandbox() if sandbox is None else sandbox
        self.people = people
        self.postgres = postgres
        self.url = f"http://{HOST}:{port}"
        self.log_path = self.home / "standalone.log"
        self.sandbox_url = ""
        self.api = AirflowApi(self.url, self.home)
        self.child: ChildProcess | None = None
        self._stack = ExitStack()

    @property
    def process(self):
        """The running `airflow standalone` process, or None."""
        return self.child.process if self.child is not None else None

    # --- environment -------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """The environment of every Airflow process started here."""
        env = dict(os.environ)
        for name in ("AIRFLOW__CORE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
            env.pop(name, None)  # only the database asked for here, never one set elsewhere
        env.update(this_machine(self.home, self.port))  # standalone starts `airflow` from PATH
        env.update({
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            # A laptop: at most 4 task processes at once.
            "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
        })
        if self.postgres:
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = airflow_url(self.postgres)
        return env

    def prepare_database(self) -> None:
        """Create the PostgreSQL database if asked for and missing, migrate it (once per
        Airflow version and database) and import the pools."""
        if self.postgres and ensure_database(self.postgres):
            print(f"Created the database {masked(self.postgres)}", flush=True)
        prepare_metadata_db(self.home, self.environment(), set_pool_again=True)

    # --- the sandbox -------------------------------------------------------------------------
    def _start_sandbox(self) -> None:
        from spotify_etl.local.sandbox import (SandboxProcess, ensure_local_key,
                                               point_at_sandbox, sandbox_args, seed_users)

        ensure_local_key()
        sandbox = self._stack.enter_context(SandboxProcess(*sandbox_args(self.people)))
        self.sandbox_url = sandbox.url
        point_at_sandbox(sandbox.url)
        seed_users(sandbox.url, self.people)

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 240) -> LocalAirflow:
        """Start everything and wait until the UI answers and the scheduler is healthy."""
        if not port_is_free(self.port):
            raise RuntimeError(f"Port {self.port} is in use; choose another with --port.")
        try:
            if self.use_sandbox:
                self._start_sandbox()
            self.prepare_database()
            # A session of its own: Ctrl-C reaches us, and we stop the whole group in order.
            self.child = ChildProcess("standalone", [sys.executable, "-m", "airflow", "standalone"],
                                      self.environment(), self.log_path, cwd=PROJECT_ROOT).start()
            self.wait_until_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_until_healthy(self, timeout: float = 240) -> None:
        """Wait for the API server, the scheduler and the DAG processor."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AirflowNotReady(f"Airflow stopped (exit {self.process.returncode}):\n"
                                      + self.log_tail())
            if self.api.healthy() and self.password():
                return
            time.sleep(2)
        raise AirflowNotReady(f"Airflow was not healthy after {timeout:.0f} s:\n" + self.log_tail())

    def password(self) -> str | None:
        """The generated admin password (Airflow writes it under AIRFLOW_HOME)."""
        return self.api.password()

    def api_token(self) -> str:
        """A JWT for the REST API, obtained with the admin login."""
        return self.api.token()

    def log_tail(self, lines: int = 40) -> str:
        if self.child is None:
            return "(no log)"
        return self.child.log_tail(lines)

    def stop(self) -> None:
        """Stop everything Airflow started (politely, then firmly) and the sandbox."""
        child, self.child = self.child, None
        if child is not None:
            child.stop()
        self._stack.close()

    def __enter__(self) -> LocalAirflow:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def run_local_airflow(port: int = DEFAULT_PORT, sandbox: bool | None = None, people: int = 5,
                      postgres: str | None = None) -> int:
    """`make airflow`: start, print where and how to log in, run until Ctrl-C; return the exit code."""
    airflow = LocalAirflow(port=port, sandbox=sandbox, people=people, postgres=postgres)
    # `kill` and a closing terminal stop everything as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    print(f"Starting Airflow on {airflow.url} (AIRFLOW_HOME={airflow.home}); "
          f"log: {airflow.log_path}", flush=True)
    try:
        airflow.start()
    except KeyboardInterrupt:
        print("Stopped.")
        return 130
    except (RuntimeError, ValueError) as error:
        print(f"make airflow: {error}", file=sys.stderr)
        return 1
    source = (f"the Spotify sandbox at {airflow.sandbox_url} ({people} sandbox people connected)"
              if airflow.use_sandbox else "Spotify (SPOTIFY_CLIENT_ID)")
    from spotify_etl.storage import backend_name

    print(f"""
Airflow is ready: {airflow.url}
  login:    {USERNAME} / {airflow.password()}
            (generated once, kept in {airflow.home}/simple_auth_manager_passwords.json.generated)
  DAGs:     {DAGS_FOLDER} (new DAGs start paused: unpause, then Trigger)
  Spotify:  {source}
  storage:  {backend_name()}
  metadata: {f"PostgreSQL {masked(postgres)}" if postgres else f"SQLite in {airflow.home}"}
  at most {PARALLELISM} tasks at once; Ctrl-C stops everything started here.
""", flush=True)
    try:
        while airflow.process is not None and airflow.process.poll() is None:
            time.sleep(1)
        print(f"Airflow stopped by itself:\n{airflow.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping Airflow...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan anything
        airflow.stop()
        print("Stopped.")
