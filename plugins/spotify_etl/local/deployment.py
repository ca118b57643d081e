"""The Airflow deployment's configuration, read where docker compose reads it.

docker-compose.yaml (each service's `command` and `environment`, with `${...}` filled in from
.env), docker/airflow/airflow.env (the settings without secrets or addresses) and
docker/airflow/pools.json are the one definition of how Airflow runs: executor, broker, result
backend, parallelism, Celery workers, pools. Airflow processes started on this machine (the
scale-out test, `make bench-scaleout`) take their environment from here; only what names a
container (paths, hosts' ports, the UI's login, the MongoDB connection) is replaced.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from spotify_etl.settings import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yaml"
AIRFLOW_ENV_FILE = PROJECT_ROOT / "docker" / "airflow" / "airflow.env"
POOLS_FILE = PROJECT_ROOT / "docker" / "airflow" / "pools.json"
DAGS_FOLDER = PROJECT_ROOT / "dags"
HOST = "127.0.0.1"  # Airflow started here listens on loopback only
USERNAME = "admin"

# What a container's environment says that is only true inside a container: its paths, the
# Docker network's host names and ports, the FAB login (not installed outside the image), the
# MongoDB server (processes here use the store SPOTIFY_ETL_DATA_DIR names unless MONGODB_URI
# is set) and Docker's init. `this_machine()` says them for this machine instead.
CONTAINER_ONLY = frozenset({
    "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__PLUGINS_FOLDER", "PYTHONPATH",
    "AIRFLOW__CORE__AUTH_MANAGER", "AIRFLOW__API__BASE_URL",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "MONGODB_URI", "AIRFLOW_CONN_MONGO_DEFAULT",
    "DUMB_INIT_SETSID",
})

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                       r"(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}"
                       r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


class DeploymentConfigError(ValueError):
    """The deployment's configuration cannot be read or lacks a required variable."""


def interpolate(template: str, variables: Mapping[str, str]) -> str:
    """Fill in `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}` as compose does."""

    def value(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["name"] or match["bare"]
        current = variables.get(name)
        operator = match["operator"]
        if operator is None:
            return current or ""
        missing = current is None or (operator.startswith(":") and current == "")
        if operator.endswith("-"):
            return match["argument"] if missing else current
        if missing:
            raise DeploymentConfigError(f"{name} is required: {match['argument'] or 'not set'}")
        return current

    return _VARIABLE.sub(value, template)


def read_env_file(path: Path) -> dict[str, str]:
    """Read a compose env file of plain `KEY=value` lines (comments and blank lines skipped)."""
    settings: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, value = line.partition("=")
        if not separator or not name.strip():
            raise DeploymentConfigError(f"{path}:{number}: not a KEY=value line")
        settings[name.strip()] = value.strip()
    return settings


def compose_services() -> dict[str, Any]:
    """The services of docker-compose.yaml (YAML anchors and merges resolved)."""
    import yaml

    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def service_command(service: str) -> list[str]:
    """The Airflow subcommand a compose service runs, e.g. ["celery", "worker"]."""
    command = compose_services()[service]["command"]
    return command.split() if isinstance(command, str) else list(command)


def service_environment(service: str, variables: Mapping[str, str],
                        omit: Iterable[str] = CONTAINER_ONLY) -> dict[str, str]:
    """A compose service's environment: its env files, then its `environment`, filled in."""
    spec = compose_services()[service]
    files = spec.get("env_file") or []
    environment: dict[str, str] = {}
    for path in [files] if isinstance(files, str) else files:
        environment.update(read_env_file(COMPOSE_FILE.parent / path))
    skipped = set(omit)
    for name, template in (spec.get("environment") or {}).items():
        if name not in skipped:
            environment[name] = interpolate(str(template), variables)
    return {name: value for name, value in environment.items() if name not in skipped}


def this_machine(home: Path, port: int) -> dict[str, str]:
    """What the container-only settings are for Airflow processes on this machine.

    The project's DAGs and plugins, the API server on loopback at `port` (one worker process),
    Airflow's simple login with the user `admin` (its password generated into `home`), and
    this virtualenv's `airflow` first on PATH.
    """
    url = f"http://{HOST}:{port}"
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "PYTHONPATH": os.pathsep.join(str(PROJECT_ROOT / part) for part in ("", "plugins", "include")),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__API__HOST": HOST,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__CORE__AUTH_MANAGER": ("airflow.api_fastapi.auth.managers.simple."
                                        "simple_auth_manager.SimpleAuthManager"),
        # A login with the generated password, never an open UI: anything on this machine
        # could drive the API otherwise.
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
        "PYTHONUNBUFFERED": "1",
    }
