"""The deployment's configuration as processes on this machine read it from docker-compose.yaml
and docker/airflow/, and the environment the scale-out setup and `make airflow` hand to Airflow.

Nothing is started here except in the child-process tests (plain Python processes).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from spotify_etl.local import deployment
from spotify_etl.local.airflow_standalone import LocalAirflow
from spotify_etl.local.deployment import (DeploymentConfigError, interpolate, read_env_file,
                                          service_environment)
from spotify_etl.local.postgres import airflow_url, masked, with_database
from spotify_etl.local.processes import ChildProcess
from spotify_etl.local.scaleout import ScaledOutAirflow

# What a filled-in .env gives (throwaway values).
VARIABLES = {"POSTGRES_PASSWORD": "pg-secret", "AIRFLOW_FERNET_KEY": "fernet",
             "AIRFLOW_JWT_SECRET": "jwt", "SPOTIFY_ETL_FERNET_KEY": "key",
             "MONGO_APP_PASSWORD": "app"}


@pytest.mark.parametrize(("template", "expected"), [
    ("${NAME:-fallback}", "fallback"),   # unset
    ("${EMPTY:-fallback}", "fallback"),  # empty counts as unset with ':'
    ("${EMPTY-fallback}", ""),           # ... and not without it
    ("${SET:-fallback}", "value"),
    ("a-${SET}-$SET-$$SET", "a-value-value-$SET"),
    ("${NAME}", ""),
])
def test_interpolation_follows_compose(template, expected):
    assert interpolate(template, {"SET": "value", "EMPTY": ""}) == expected


def test_a_missing_required_variable_is_named_with_composes_message():
    with pytest.raises(DeploymentConfigError, match=r"POSTGRES_PASSWORD is required: set it"):
        interpolate("${POSTGRES_PASSWORD:?set it}", {})


def test_the_env_file_is_plain_lines_without_secrets_or_substitutions():
    settings = read_env_file(deployment.AIRFLOW_ENV_FILE)
    assert all("$" not in value for value in settings.values())
    assert all(name.startswith("AIRFLOW__") for name in settings)
    assert not any(word in name for name in settings for word in ("PASSWORD", "SECRET", "KEY"))
    assert settings["AIRFLOW__CELERY__TASK_ACKS_LATE"] == "true"


def test_a_line_that_is_no_setting_is_refused(tmp_path):
    path = tmp_path / "broken.env"
    path.write_text("# fine\nAIRFLOW__CORE__X=1\nnot a setting\n")
    with pytest.raises(DeploymentConfigError, match="broken.env:3"):
        read_env_file(path)


def test_the_pools_file_holds_the_spotify_pool():
    pools = json.loads(deployment.POOLS_FILE.read_text())
    assert pools["spotify_api"]["slots"] == 4 and pools["spotify_api"]["description"]


def test_a_worker_gets_the_compose_files_executor_broker_and_results_backend():
    env = service_environment("airflow-worker", {**VARIABLES, "AIRFLOW_EXECUTOR": "CeleryExecutor",
                                                 "AIRFLOW_MAIN_HOST": "10.1.2.3"})
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://:spotify-etl-redis@10.1.2.3:6379/0"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == (
        "db+postgresql+psycopg2://airflow:pg-secret@10.1.2.3:5432/airflow")
    assert env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] == "2"  # from airflow.env
    assert env["AIRFLOW__API__SECRET_KEY"] == env["AIRFLOW__API_AUTH__JWT_SECRET"] == "jwt"
    assert not deployment.CONTAINER_ONLY & set(env)


def test_without_a_required_secret_no_environment_is_made():
    with pytest.raises(DeploymentConfigError, match="AIRFLOW_JWT_SECRET"):
        service_environment("airflow-scheduler",
                            {k: v for k, v in VARIABLES.items() if k != "AIRFLOW_JWT_SECRET"})


def test_the_scaled_out_components_run_the_compose_services_on_loopback(tmp_path):
    cluster = ScaledOutAirflow(tmp_path / "home", {"SPOTIFY_ETL_FERNET_KEY": "key"},
                               tmp_path / "data", port=18080)
    other = ScaledOutAirflow(tmp_path / "home2", {"SPOTIFY_ETL_FERNET_KEY": "key"},
                             tmp_path / "data2", port=18081)
    env = cluster.environment("airflow-worker")
    assert deployment.service_command("airflow-worker") == ["celery", "worker"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert f"/{cluster.database}" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert "@127.0.0.1:6379/0" in env["AIRFLOW__CELERY__BROKER_URL"]
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "False"  # no port of its own
    assert env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] == "False"
    assert env["SPOTIFY_ETL_DATA_DIR"] == str(tmp_path / "data")
    assert "MONGODB_URI" not in env and "AIRFLOW_CONN_MONGO_DEFAULT" not in env
    # Two clusters on one machine: their own database, queue and Airflow secrets.
    theirs = other.environment("airflow-worker")
    for name in ("AIRFLOW__OPERATORS__DEFAULT_QUEUE", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                 "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"):
        assert env[name] != theirs[name], name


def test_make_airflow_uses_postgresql_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://someone@else/db")
    plain = LocalAirflow(port=18090, home=tmp_path, sandbox=False).environment()
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in plain  # SQLite in the home
    asked = LocalAirflow(port=18090, home=tmp_path, sandbox=False,
                         postgres="postgresql://postgres@127.0.0.1:5432/mine").environment()
    assert asked["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
        "postgresql+psycopg2://postgres@127.0.0.1:5432/mine")
    assert asked["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"


def test_postgresql_urls_are_shown_without_their_password():
    url = "postgresql://airflow:s3cret@db.example:5432/airflow"
    assert masked(url) == "postgresql://airflow:***@db.example:5432/airflow"
    assert airflow_url(url).startswith("postgresql+psycopg2://")
    assert with_database(url, "other").endswith("@db.example:5432/other")
    with pytest.raises(ValueError, match="Not a PostgreSQL URL") as error:
        airflow_url("mysql://root:s3cret@db/x")
    assert "s3cret" not in str(error.value)


# A process that starts a grandchild in a session of its own (as Airflow's task supervisor
# does with each task) and prints the grandchild's pid.
SPAWNER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                         start_new_session=True)
print(child.pid, flush=True)
time.sleep(120)
"""


def _grandchild(process: ChildProcess) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = process.log_path.read_text().strip()
        if text:
            return int(text)
        time.sleep(0.1)
    raise AssertionError("the spawner printed nothing")


@pytest.mark.parametrize("how", ["kill", "stop"])
def test_killing_or_stopping_a_child_ends_what_it_started_in_other_sessions(tmp_path, how):
    process = ChildProcess("spawner", [sys.executable, "-c", SPAWNER], {"PATH": ""},
                           tmp_path / "spawner.log").start()
    grandchild = _grandchild(process)
    assert psutil.pid_exists(grandchild)
    if how == "kill":
        process.kill()
    else:  # the grandchild ignores its parent's group signal: the last step must reach it
        process.stop(steps=((signal.SIGINT, 1.0), (signal.SIGKILL, 5.0)))
    assert not process.running() and process.stopped
    deadline = time.monotonic() + 10
    while psutil.pid_exists(grandchild) and \
            psutil.Process(grandchild).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, f"the grandchild outlived {how}()"
        time.sleep(0.1)


def test_a_child_process_log_tail_says_when_there_is_no_log(tmp_path):
    process = ChildProcess("never", ["true"], {}, Path(tmp_path) / "missing" / "never.log")
    assert "no log" in process.log_tail()
