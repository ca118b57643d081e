"""`make airflow`: the real Airflow UI on this machine, without Docker.

Runs `airflow standalone` (api-server, scheduler, dag-processor, triggerer; LocalExecutor,
SQLite) on the project's DAGs and plugins, in its own process group so that everything it
started stops with it. Without a Spotify app (no SPOTIFY_CLIENT_ID) it also starts the Spotify
sandbox and connects sandbox people, so a triggered run succeeds offline. Storage is whatever
`spotify_etl.storage` picks (MongoDB when configured, else the embedded store).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests

from spotify_etl.local.dag_runner import DAGS_FOLDER, prepare_metadata_db
from spotify_etl.settings import PROJECT_ROOT

DEFAULT_PORT = 8080
HOST = "127.0.0.1"  # the UI is for this machine only
PARALLELISM = 4
USERNAME = "admin"


class AirflowNotReady(RuntimeError):
    """Airflow did not come up (the log's tail is in the message)."""


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
    """

    def __init__(self, port: int = DEFAULT_PORT, home: Path | None = None,
                 sandbox: bool | None = None, people: int = 5) -> None:
        self.port = port
        self.home = Path(home or os.environ.get("AIRFLOW_HOME") or PROJECT_ROOT / ".airflow")
        self.use_sandbox = wants_sandbox() if sandbox is None else sandbox
        self.people = people
        self.url = f"http://{HOST}:{port}"
        self.log_path = self.home / "standalone.log"
        self.sandbox_url = ""
        self.process: subprocess.Popen | None = None
        self._stack = ExitStack()
        self._log_file: Any = None

    # --- environment -------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """The environment of every Airflow process started here."""
        env = dict(os.environ)
        bin_dir = str(Path(sys.executable).parent)  # standalone starts `airflow` from PATH
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env.update({
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            # A laptop: at most 4 task processes at once, one API worker.
            "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__HOST": HOST,
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
            # Login with the generated admin password (printed), never an open UI.
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
            "PYTHONUNBUFFERED": "1",
        })
        for name in ("AIRFLOW__CORE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
            env.pop(name, None)  # this machine's own SQLite database, never a shared one
        return env

    def prepare_database(self) -> None:
        """Migrate the metadata database (once per Airflow version) and set the pool."""
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
            self._log_file = self.log_path.open("ab")
            # A session of its own: Ctrl-C reaches us, and we stop the whole group in order.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "airflow", "standalone"], cwd=str(PROJECT_ROOT),
                env=self.environment(), stdout=self._log_file, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
            self.wait_until_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def health(self) -> dict[str, Any] | None:
        """Airflow's own health report, or None while the API server does not answer."""
        try:
            answer = requests.get(f"{self.url}/api/v2/monitor/health", timeout=5)
            return answer.json() if answer.ok else None
        except (requests.RequestException, ValueError):
            return None

    def wait_until_healthy(self, timeout: float = 240) -> None:
        """Wait for the API server, the scheduler and the DAG processor."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AirflowNotReady(f"Airflow stopped (exit {self.process.returncode}):\n"
                                      + self.log_tail())
            report = self.health() or {}
            parts = [report.get(name, {}).get("status")
                     for name in ("metadatabase", "scheduler", "dag_processor")]
            if parts == ["healthy"] * 3 and self.password():
                return
            time.sleep(2)
        raise AirflowNotReady(f"Airflow was not healthy after {timeout:.0f} s:\n" + self.log_tail())

    def password(self) -> str | None:
        """The generated admin password (Airflow writes it under AIRFLOW_HOME)."""
        path = self.home / "simple_auth_manager_passwords.json.generated"
        try:
            return json.loads(path.read_text()).get(USERNAME)
        except (OSError, ValueError):
            return None

    def api_token(self) -> str:
        """A JWT for the REST API, obtained with the admin login."""
        answer = requests.post(f"{self.url}/auth/token", timeout=10,
                               json={"username": USERNAME, "password": self.password()})
        answer.raise_for_status()
        return answer.json()["access_token"]

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 15) -> None:
        """Stop Airflow's whole process group (politely, then firmly) and the sandbox."""
        process, self.process = self.process, None
        if process is not None:
            group = process.pid  # start_new_session: the group id is the leader's pid
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                if not _group_alive(group):
                    break
                try:
                    os.killpg(group, sig)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + wait
                while time.monotonic() < deadline and _group_alive(group):
                    process.poll()  # reap the leader so the group can empty
                    time.sleep(0.2)
            process.poll()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        self._stack.close()

    def __enter__(self) -> LocalAirflow:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def run_local_airflow(port: int = DEFAULT_PORT, sandbox: bool | None = None, people: int = 5) -> int:
    """`make airflow`: start, print where and how to log in, run until Ctrl-C; return the exit code."""
    airflow = LocalAirflow(port=port, sandbox=sandbox, people=people)
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
    except RuntimeError as error:
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
