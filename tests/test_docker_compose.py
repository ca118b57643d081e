"""docker-compose.yaml: the services, images, ports, environment, volumes, healthchecks and
start order a deployment relies on; validated by `docker-compose config` where installed.

No container is started (no Docker engine is needed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from spotify_etl.settings import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yaml"
AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler",
                    "airflow-dag-processor", "airflow-triggerer")
# What a filled-in .env provides (throwaway values, only for validation).
THROWAWAY_ENV = {
    "SPOTIFY_ETL_FERNET_KEY": "fernet", "AUTH_SERVER_SECRET_KEY": "secret",
    "POSTGRES_PASSWORD": "postgres", "AIRFLOW_FERNET_KEY": "airflow-fernet",
    "AIRFLOW_JWT_SECRET": "jwt", "AIRFLOW_ADMIN_PASSWORD": "admin",
    "MONGO_ROOT_PASSWORD": "root", "MONGO_APP_PASSWORD": "app", "MONGO_ANALYST_PASSWORD": "analyst",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _ports(service: dict) -> list[str]:
    return [str(port) for port in service.get("ports", [])]


def test_every_service_of_the_deployment_is_there(services):
    expected = {"mongodb", "mongodb-init", "postgres", *AIRFLOW_SERVICES, "auth-server",
                "redis", "airflow-worker"}
    assert set(services) == expected


def test_images_are_mongodb_8_postgres_and_airflow_3_3(services):
    assert services["mongodb"]["image"] == "mongo:8"
    assert services["mongodb-init"]["image"] == "mongo:8"
    assert services["postgres"]["image"].startswith("postgres:")
    for name in (*AIRFLOW_SERVICES, "airflow-worker", "auth-server"):
        assert services[name]["image"] == "spotify-etl-airflow:3.3.2", name
        assert services[name]["build"]["dockerfile"] == "docker/airflow/Dockerfile"
    dockerfile = (PROJECT_ROOT / "docker/airflow/Dockerfile").read_text()
    assert re.search(r"^ARG AIRFLOW_VERSION=3\.3\.2$", dockerfile, re.M)
    assert "FROM apache/airflow:${AIRFLOW_VERSION}" in dockerfile
    assert "requirements.txt" in dockerfile


def test_published_ports_are_loopback_by_default_and_the_helper_always(services):
    assert _ports(services["airflow-apiserver"]) == [
        "${PUBLISH_ADDRESS:-127.0.0.1}:${AIRFLOW_HOST_PORT:-8080}:8080"]
    assert _ports(services["mongodb"]) == [
        "${PUBLISH_ADDRESS:-127.0.0.1}:${MONGO_HOST_PORT:-27017}:27017"]
    # Spotify sends people back to http://127.0.0.1:8888/callback: never anything else.
    assert _ports(services["auth-server"]) == ["127.0.0.1:8888:8888"]
    command = services["auth-server"]["command"]
    assert command[:3] == ["python", "-m", "auth_server"]
    assert command[command.index("--host") + 1] == "0.0.0.0"  # inside its container only
    assert command[command.index("--port") + 1] == "8888"
    for name, service in services.items():
        for port in _ports(service):
            assert port.count(":") >= 2, f"{name} publishes {port} on every interface"


def test_airflow_runs_the_projects_dags_with_localexecutor_by_default(services):
    for name in (*AIRFLOW_SERVICES, "airflow-worker"):
        environment = services[name]["environment"]
        assert environment["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
        assert environment["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/project/dags"
        assert environment["AIRFLOW__CORE__PLUGINS_FOLDER"] == "/opt/airflow/project/plugins"
        assert "postgres" in environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert environment["AIRFLOW__CORE__FERNET_KEY"].startswith("${AIRFLOW_FERNET_KEY:?")
        assert environment["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET:?")
        assert environment["SPOTIFY_ETL_FERNET_KEY"].startswith("${SPOTIFY_ETL_FERNET_KEY:?")
        assert environment["SPOTIFY_CLIENT_ID"] == "${SPOTIFY_CLIENT_ID:-}"
        mounts = services[name].get("volumes", [])
        if name != "airflow-init":
            for folder in ("dags", "plugins", "include"):
                assert f"./{folder}:/opt/airflow/project/{folder}:ro" in mounts, (name, folder)
    assert services["airflow-apiserver"]["command"] == "api-server"
    assert services["airflow-scheduler"]["command"] == "scheduler"
    assert services["airflow-dag-processor"]["command"] == "dag-processor"
    assert services["airflow-triggerer"]["command"] == "triggerer"


def test_every_setting_of_env_example_reaches_the_containers(services):
    documented = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (PROJECT_ROOT / ".env.example").read_text(),
                            re.M)
    pipeline = services["airflow-scheduler"]["environment"]
    helper = services["auth-server"]["environment"]
    for name in documented:
        if name in ("MONGODB_URI", "SPOTIFY_ETL_MONGO_CONN_ID", "SPOTIFY_ETL_DATA_DIR"):
            continue  # compose uses the mongo_default connection and MongoDB, not these
        if name == "SPOTIFY_API_POOL_SLOTS":
            continue  # read by airflow-init when it creates the pool, not by the pipeline
        if name == "AUTH_SERVER_SECRET_KEY":
            assert name in helper
        elif name.startswith(("SPOTIFY_", "SPOTIFY_ETL_")):
            assert name in pipeline and name in helper, name
    assert "mongodb:27017" in helper["MONGODB_URI"]
    assert helper["AUTH_SERVER_SECRET_KEY"].startswith("${AUTH_SERVER_SECRET_KEY:?")


def test_data_lives_in_named_volumes(compose, services):
    assert set(compose["volumes"]) >= {"mongodb-data", "postgres-data", "airflow-logs"}
    assert "mongodb-data:/data/db" in services["mongodb"]["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert services["mongodb"]["environment"]["MONGO_INITDB_ROOT_PASSWORD"].startswith(
        "${MONGO_ROOT_PASSWORD:?")


def test_long_running_services_have_healthchecks(services):
    for name, service in services.items():
        if name in ("airflow-init", "mongodb-init"):
            assert service["restart"] == "no"
            continue
        assert "test" in service["healthcheck"], name
    assert "mongosh" in services["mongodb"]["healthcheck"]["test"]
    assert "ping" in " ".join(services["mongodb"]["healthcheck"]["test"])
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "/healthz" in " ".join(services["auth-server"]["healthcheck"]["test"])


def test_services_start_in_order(services):
    def conditions(name: str) -> dict[str, str]:
        return {dependency: spec["condition"]
                for dependency, spec in services[name]["depends_on"].items()}

    assert conditions("mongodb-init") == {"mongodb": "service_healthy"}
    assert conditions("airflow-init") == {"postgres": "service_healthy",
                                          "mongodb-init": "service_completed_successfully"}
    for name in AIRFLOW_SERVICES[1:]:
        assert conditions(name) == {"postgres": "service_healthy",
                                    "airflow-init": "service_completed_successfully"}, name
    assert conditions("auth-server") == {"mongodb-init": "service_completed_successfully"}
    assert conditions("airflow-worker") == {"redis": "service_healthy",
                                            "airflow-init": "service_completed_successfully"}


def test_celery_workers_are_an_opt_in_profile(services):
    assert services["redis"]["profiles"] == ["celery"]
    assert services["airflow-worker"]["profiles"] == ["celery"]
    assert services["airflow-worker"]["command"] == "celery worker"
    for name, service in services.items():
        if name not in ("redis", "airflow-worker"):
            assert "profiles" not in service, f"{name} would not start by default"
    environment = services["airflow-scheduler"]["environment"]
    assert "redis" in environment["AIRFLOW__CELERY__BROKER_URL"]
    assert "AIRFLOW__CELERY__RESULT_BACKEND" in environment
    connection = services["airflow-worker"]["environment"]["AIRFLOW_CONN_MONGO_DEFAULT"]
    assert json.loads(re.sub(r"\$\{[^}]*\}", "x", connection))["conn_type"] == "mongo"


def test_airflow_init_creates_the_pool_the_connection_and_the_admin(services):
    init = services["airflow-init"]
    assert init["command"] == ["bash", "/opt/airflow/project/docker/airflow/init.sh"]
    script = (PROJECT_ROOT / "docker/airflow/init.sh").read_text()
    for step in ("airflow db migrate", "airflow pools set spotify_api",
                 "airflow connections add mongo_default", "airflow users create"):
        assert step in script
    assert init["environment"]["AIRFLOW_ADMIN_PASSWORD"].startswith("${AIRFLOW_ADMIN_PASSWORD:?")
    assert subprocess.run(["bash", "-n", str(PROJECT_ROOT / "docker/airflow/init.sh")]).returncode == 0


FAKE_MONGOSH = """
const calls = [];
const existing = %(existing)s;
const fakeAdmin = {
  getSiblingDB: () => ({ getCollectionNames: () => existing }),
  getUser: () => null, getRole: () => null,
  createUser: (spec) => calls.push(["createUser", spec]),
  updateUser: (name, spec) => calls.push(["updateUser", name, spec]),
  createRole: (spec) => calls.push(["createRole", spec]),
  updateRole: (name, spec) => calls.push(["updateRole", name, spec]),
};
globalThis.connect = (uri) => { calls.push(["connect", uri]); return fakeAdmin; };
globalThis.print = () => {};
process.env.MONGO_ROOT_PASSWORD = "r@ot/pw";
process.env.MONGO_APP_PASSWORD = "app";
process.env.MONGO_ANALYST_PASSWORD = "analyst";
require(%(script)s);
console.log(JSON.stringify(calls));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (runs the "
                    "MongoDB init script against a stand-in for mongosh)")
def test_mongodb_users_analyst_reads_everything_but_tokens(tmp_path):
    script = PROJECT_ROOT / "docker/mongo/create-users.js"
    runner = tmp_path / "run.js"
    runner.write_text(FAKE_MONGOSH % {
        "existing": json.dumps(["users", "tokens", "top_items", "system.views", "new_view",
                                "api_tokens", "concert_places", "concert_bins", "concerts"]),
        "script": json.dumps(str(script))})
    done = subprocess.run(["node", str(runner)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    calls = json.loads(done.stdout.strip().splitlines()[-1])
    assert calls[0] == ["connect", "mongodb://root:r%40ot%2Fpw@mongodb:27017/admin?authSource=admin"]
    role = next(spec for kind, spec in calls if kind == "createRole")
    readable = {p["resource"]["collection"] for p in role["privileges"]
                if "find" in p["actions"]}
    assert "tokens" not in readable
    assert not {"api_tokens", "concert_places", "concert_bins"} & readable  # hashes, homes
    assert "concerts" in readable
    assert {"users", "top_items", "plays", "runs", "new_view", "artist_leaderboard"} <= readable
    assert not any(name.startswith("system.") for name in readable)
    assert all(set(p["actions"]) <= {"find", "listIndexes", "collStats", "listCollections",
                                     "dbStats"} for p in role["privileges"])
    users = {spec["user"]: spec["roles"] for kind, spec in calls if kind == "createUser"}
    assert users["spotify_etl"] == [{"role": "readWrite", "db": "spotify_etl"},
                                    {"role": "dbAdmin", "db": "spotify_etl"}]
    assert users["analyst"] == [{"role": "spotifyEtlAnalyst", "db": "admin"}]


@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="docker-compose is not installed (apt-get install -y docker-compose)")
def test_docker_compose_config_accepts_the_file(tmp_path):
    # Only the env file speaks: this process's own variables would take precedence.
    clean = {k: v for k, v in os.environ.items() if k not in THROWAWAY_ENV}
    env_file = tmp_path / "throwaway.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in THROWAWAY_ENV.items()))
    for profile in ([], ["--profile", "celery"]):
        done = subprocess.run(
            ["docker-compose", "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *profile,
             "config", "-q"], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
            env=clean)
        assert done.returncode == 0, done.stderr
    # Without the secrets it refuses to start and says which one is missing.
    env_file.write_text("")
    done = subprocess.run(["docker-compose", "--env-file", str(env_file), "-f",
                           str(COMPOSE_FILE), "config", "-q"],
                          capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
                          env=clean)
    assert done.returncode != 0
    assert "in .env" in done.stderr
