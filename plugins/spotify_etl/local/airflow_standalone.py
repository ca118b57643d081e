"""`make airflow`: the real Airflow UI on this machine, without Docker.

Runs what `airflow standalone` runs (api-server, scheduler, dag-processor, triggerer;
LocalExecutor; metadata in SQLite, or in PostgreSQL when asked) on the project's DAGs and
plugins, each in a process group of its own so that everything started here stops with it.
Unlike `airflow standalone`, nothing listens beyond 127.0.0.1 (the task log servers are served
on loopback by `airflow_log_server`), and the generated admin password lives in an owner-only
file and never in the log. Settings that are not about this machine come from the deployment's
configuration (`deployment.this_machine`, docker/airflow/pools.json). Without a Spotify app (no
SPOTIFY_CLIENT_ID) it also starts the Spotify sandbox and connects sandbox people, so a
triggered run succeeds offline. Storage is whatever `spotify_etl.storage` picks (MongoDB when
configured, else the embedded store).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from spotify_etl.local.airflow_api import AirflowApi, AirflowNotReady
from spotify_etl.local.dag_runner import DAGS_FOLDER, prepare_metadata_db
from spotify_etl.local.deployment import HOST, USERNAME, this_machine
from spotify_etl.local.postgres import airflow_url, ensure_database, masked
from spotify_etl.settings import PROJECT_ROOT

__all__ = ["AirflowNotReady", "LocalAirflow", "run_local_airflow"]
DEFAULT_PORT = 8080
PARALLELISM = 4
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
# Airflow's four components; the log servers they would start on every interface are skipped
# and served on loopback instead (see airflow_log_server.py).
COMPONENTS = {"scheduler": ("scheduler", "--skip-serve-logs"),
              "dag-processor": ("dag-processor",),
              "api-server": ("api-server",),
              "triggerer": ("triggerer", "--skip-serve-logs")}
LOG_SERVER_PORTS = {"worker-logs": ("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", 8793),
                    "triggerer-logs": ("AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT", 8794)}


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
        self.password_path = self.home / PASSWORD_FILE
        self.sandbox_url = ""
        self.api = AirflowApi(self.url, self.home)
        self.process: subprocess.Popen | None = None  # the group leader (the scheduler)
        self.processes: dict[str, subprocess.Popen] = {}
        self._stack = ExitStack()
        self._log_file: Any = None
        self._log_lock = threading.Lock()
        self._readers: list[threading.Thread] = []

    # --- environment -------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """The environment of every Airflow process started here."""
        env = dict(os.environ)
        for name in ("AIRFLOW__CORE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
            env.pop(name, None)  # only the database asked for here, never one set elsewhere
        env.update(this_machine(self.home, self.port))  # the project, loopback, the login, PATH
        env.update({
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            # A laptop: at most 4 task processes at once.
            "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
            # Login with the generated admin password (printed), never an open UI; the rest
            # of the simple login is deployment.this_machine's.
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.password_path),
            # Tasks record a loopback host, where the UI then fetches their running logs.
            "AIRFLOW__CORE__HOSTNAME_CALLABLE":
                "spotify_etl.local.airflow_log_server.loopback_hostname",
            "PYTHONUNBUFFERED": "1",
        })
        for name, (variable, default) in LOG_SERVER_PORTS.items():
            env.setdefault(variable, str(default))
        if self.postgres:
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = airflow_url(self.postgres)
        return env

    def prepare_database(self) -> None:
        """Create the PostgreSQL database if asked for and missing, migrate it (once per
        Airflow version and database) and import the pools."""
        if self.postgres and ensure_database(self.postgres):
            print(f"Created the database {masked(self.postgres)}", flush=True)
        prepare_metadata_db(self.home, self.environment(), set_pool_again=True)

    def prepare_login(self) -> None:
        """Generate the admin password into an owner-only file, before Airflow would.

        Airflow writes a missing password file with the default (world-readable) mode and prints
        the password into its output, which is our log. A file that already holds the user is
        used as it is, and Airflow then prints nothing.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.password_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise RuntimeError(f"Cannot write {self.password_path}: {error}") from None
        os.fchmod(descriptor, 0o600)  # also an older file, written before this was so
        with os.fdopen(descriptor, "r+") as file:
            try:
                passwords = json.loads(file.read() or "{}")
            except ValueError:
                passwords = {}
            if not passwords.get(USERNAME):
                alphabet = string.ascii_letters + string.digits
                passwords[USERNAME] = "".join(secrets.choice(alphabet) for _ in range(20))
                file.seek(0)
                file.truncate()
                file.write(json.dumps(passwords) + "\n")

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
            self.prepare_login()
            descriptor = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.fchmod(descriptor, 0o600)  # also a log from before this was so
            self._log_file = os.fdopen(descriptor, "ab")
            env = self.environment()
            commands = {name: [sys.executable, "-m", "airflow", *args]
                        for name, args in COMPONENTS.items()}
            commands.update({name: [sys.executable, "-m", "spotify_etl.local.airflow_log_server",
                                    env[variable]]
                             for name, (variable, _) in LOG_SERVER_PORTS.items()})
            for name, command in commands.items():
                self._launch(name, command, env)
            self.wait_until_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, name: str, command: list[str], env: dict[str, str]) -> None:
        # A session (and process group) of its own for each: Ctrl-C reaches only us, and we
        # stop every group in order, with whatever its component started.
        process = subprocess.Popen(command, cwd=str(PROJECT_ROOT), env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes[name] = process
        self.process = self.process or process
        reader = threading.Thread(target=self._copy_output, args=(name, process.stdout),
                                  name=f"airflow-{name}-output", daemon=True)
        reader.start()
        self._readers.append(reader)

    def _copy_output(self, name: str, stream: IO[bytes]) -> None:
        """Copy one component's output into the log, each line named, the password never."""
        secret = (self.password() or "").encode()
        for line in stream:
            if secret and secret in line:
                line = line.replace(secret, b"[redacted]")
            with self._log_lock:
                if self._log_file is None:
                    return
                self._log_file.write(f"{name:14} | ".encode() + line)
                self._log_file.flush()

    def stopped_component(self) -> str | None:
        """The name of a component that has exited, if any."""
        return next((name for name, process in self.processes.items()
                     if process.poll() is not None), None)

    def health(self) -> dict[str, Any] | None:
        """Airflow's own health report, or None while the API server does not answer."""
        return self.api.health()

    def wait_until_healthy(self, timeout: float = 240) -> None:
        """Wait for the API server, the scheduler and the DAG processor."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stopped = self.stopped_component()
            if stopped is not None:
                raise AirflowNotReady(f"Airflow's {stopped} stopped (exit "
                                      f"{self.processes[stopped].returncode}):\n"
                                      + self.log_tail())
            if self.api.healthy() and self.password():
                return
            time.sleep(2)
        raise AirflowNotReady(f"Airflow was not healthy after {timeout:.0f} s:\n" + self.log_tail())

    def password(self) -> str | None:
        """The generated admin password (in an owner-only file under AIRFLOW_HOME)."""
        try:
            return json.loads(self.password_path.read_text()).get(USERNAME)
        except (OSError, ValueError):
            return None

    def api_token(self) -> str:
        """A JWT for the REST API, obtained with the admin login."""
        return self.api.token()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 15) -> None:
        """Stop every component's process group (politely, then firmly) and the sandbox."""
        self.process = None
        # start_new_session: each group's id is its leader's pid.
        groups = [child.pid for child in self.processes.values()]
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            alive = [group for group in groups if _group_alive(group)]
            if not alive:
                break
            for group in alive:
                try:
                    os.killpg(group, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and any(_group_alive(g) for g in alive):
                for child in self.processes.values():
                    child.poll()  # reap our children so their groups can empty
                time.sleep(0.2)
        for child in self.processes.values():
            child.poll()
        for reader in self._readers:
            reader.join(timeout=5)
        self._readers.clear()
        with self._log_lock:
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
            (generated once, kept owner-only in {airflow.password_path})
  DAGs:     {DAGS_FOLDER} (new DAGs start paused: switch on spotify_daily_snapshot
            and spotify_taste_analytics, which runs after each snapshot; then Trigger)
  Spotify:  {source}
  storage:  {backend_name()}
  metadata: {f"PostgreSQL {masked(postgres)}" if postgres else f"SQLite in {airflow.home}"}
  at most {PARALLELISM} tasks at once; Ctrl-C stops everything started here.
""", flush=True)
    try:
        while airflow.process is not None and airflow.stopped_component() is None:
            time.sleep(1)
        print(f"Airflow's {airflow.stopped_component()} stopped by itself:\n"
              f"{airflow.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping Airflow...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan anything
        airflow.stop()
        print("Stopped.")
