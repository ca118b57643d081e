"""Scale-out for real: Airflow as the compose file's `celery` profile runs it, on this machine.

Metadata and Celery results in a fresh PostgreSQL database, CeleryExecutor over Redis, and the
api-server, scheduler, dag-processor and two Celery workers as processes of their own, all
configured from docker-compose.yaml and docker/airflow/ (`spotify_etl.local.deployment`).
200 sandbox people in batches of 25. The reference is the LocalExecutor (`dag.test()`) run
of the same day against the same sandbox world.

Marker `scaleout`: outside the default run (minutes on two cores); `make scaleout` and
`.ci/run` run it. Skipped, with the reason, only when PostgreSQL or Redis does not answer.
"""

from __future__ import annotations

import time
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from pipeline_env import use_embedded_store, use_sandbox
from spotify_etl.local.airflow_standalone import LocalAirflow
from spotify_etl.local.dag_runner import run_dag
from spotify_etl.local.postgres import (DEFAULT_SERVER, PostgresUnavailable, check_server,
                                        database_exists, drop_database, with_database)
from spotify_etl.local.sandbox import SandboxProcess, sandbox_environment, seed_users
from spotify_etl.local.scaleout import (ScaledOutAirflow, ServiceUnavailable, forget_snapshots,
                                        free_port, store_settings)
from spotify_etl.storage import COLLECTIONS, open_database

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(1500)]

DAG_ID = "spotify_daily_snapshot"
DAY = date(2026, 11, 12)
PEOPLE = 200
BATCH_SIZE = 25
BATCHES = PEOPLE // BATCH_SIZE
HOW_TO_START = ("start them with `pg_ctlcluster --skip-systemctl-redirect <version> main start` "
                "and `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' "
                "--appendonly no`")
# A deployment keeps Airflow's defaults (a task without heartbeat for 300 s is failed); here a
# dead worker's batch is noticed within half a minute and retried 5-10 s later.
TIMINGS = {"AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
           "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5"}
RETRY_DELAY = "5"
# What differs between two correct runs of the same day: when things happened, how long they
# took, which run did them, and how the work was shared: a batch looks up only the artists no
# batch has stored yet and counts only the documents it changed, so batches running side by
# side (or in another order) split lookups and writes differently. The documents themselves
# must be the same.
VOLATILE = {
    "users": {"consented_at", "refresh_token_expires_at", "created_at", "updated_at"},
    "runs": {"run_id", "started_at", "finished_at", "duration_seconds", "transform_load_seconds",
             "api_calls", "api_call_total", "counts", "attempts", "last_attempt"},
}


@pytest.fixture(scope="module")
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def sandbox():
    """One sandbox world (seed 42, extended quota: no five-people cap) for every run here."""
    with SandboxProcess("--seed", "42", "--users", str(PEOPLE), "--mode", "extended") as server:
        yield server


def _connect_people(sandbox, data_dir: Path, key: str) -> None:
    with pytest.MonkeyPatch.context() as patch:
        use_embedded_store(patch, data_dir, key)
        use_sandbox(patch, sandbox.url)
        assert len(seed_users(sandbox.url, PEOPLE)) == PEOPLE


def stored_documents(data_dir: Path, key: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Every stored document but the tokens (encrypted anew per store), volatile fields left out."""
    with open_database(store_settings(data_dir, key)) as db:
        return {name: {str(doc["_id"]): {field: value for field, value in doc.items()
                                         if field not in VOLATILE.get(name, ())}
                       for doc in db[name].find()}
                for name in COLLECTIONS if name != "tokens"}


def assert_same_documents(actual: dict, expected: dict) -> None:
    """Collection by collection: the same _ids, then the same documents (a short diff if not)."""
    for name, wanted in expected.items():
        got = actual[name]
        missing, extra = sorted(set(wanted) - set(got)), sorted(set(got) - set(wanted))
        assert not missing and not extra, (
            f"{name}: {len(got)} documents, expected {len(wanted)}; missing {missing[:3]}, "
            f"unexpected {extra[:3]}")
        differing = [doc_id for doc_id in wanted if got[doc_id] != wanted[doc_id]]
        if differing:
            first = differing[0]
            fields = sorted({*got[first], *wanted[first]})
            diff = {f: (got[first].get(f), wanted[first].get(f)) for f in fields
                    if got[first].get(f) != wanted[first].get(f)}
            pytest.fail(f"{name}: {len(differing)} of {len(wanted)} documents differ; "
                        f"{first}: (got, expected) {diff}")


@pytest.fixture(scope="module")
def local_executor_run(sandbox, key, tmp_path_factory):
    """The reference: the same day through `dag.test()` (LocalExecutor), into its own store."""
    data_dir = tmp_path_factory.mktemp("local-executor") / "data"
    _connect_people(sandbox, data_dir, key)
    with pytest.MonkeyPatch.context() as patch:
        use_embedded_store(patch, data_dir, key)
        use_sandbox(patch, sandbox.url)
        patch.setenv("SPOTIFY_ETL_BATCH_SIZE", str(BATCH_SIZE))
        started = time.monotonic()
        assert run_dag(DAG_ID, DAY).state == "success"
        print(f"LocalExecutor run of {PEOPLE} people: {time.monotonic() - started:.0f} s")
    documents = stored_documents(data_dir, key)
    assert len(documents["runs"]) == PEOPLE
    # A run is `partial` when Spotify sent a null or broken item: its data is stored.
    assert {run["status"] for run in documents["runs"].values()} <= {"success", "partial"}
    return documents


@pytest.fixture(scope="module")
def cluster(sandbox, key, tmp_path_factory):
    """Airflow scaled out: PostgreSQL, Redis, api-server, scheduler, dag-processor, 2 workers."""
    root = tmp_path_factory.mktemp("scaleout")
    variables = {**sandbox_environment(sandbox.url), "SPOTIFY_APP_MODE": "extended",
                 "SPOTIFY_ETL_FERNET_KEY": key, "SPOTIFY_ETL_BATCH_SIZE": str(BATCH_SIZE),
                 "SPOTIFY_ETL_RETRY_DELAY": RETRY_DELAY}
    airflow = ScaledOutAirflow(root / "airflow-home", variables, root / "data", settings=TIMINGS)
    try:
        airflow.check_services()
    except (PostgresUnavailable, ServiceUnavailable) as error:
        pytest.skip(f"{error}; {HOW_TO_START}")
    _connect_people(sandbox, airflow.data_dir, key)
    started = time.monotonic()
    airflow.start()
    print(f"Scaled-out Airflow ready after {time.monotonic() - started:.0f} s")
    try:
        yield airflow
    finally:
        airflow.stop()
        assert not database_exists(DEFAULT_SERVER, airflow.database)


def _ensure_workers(airflow: ScaledOutAirflow) -> None:
    for name in airflow.workers:
        if not airflow.processes[name].running():
            airflow.start_worker(name)
    airflow.wait_for(lambda: airflow.workers_answering() == set(airflow.workers), 120,
                     "both workers answering")


def _batches(airflow: ScaledOutAirflow, run_id: str) -> list[dict[str, Any]]:
    return [ti for ti in airflow.api.task_instances(DAG_ID, run_id)
            if ti["task_id"] == "snapshot_batch"]


def test_two_celery_workers_share_the_batches_and_store_what_local_executor_stores(
        cluster, key, local_executor_run):
    _ensure_workers(cluster)
    forget_snapshots(cluster.data_dir, key)
    started = time.monotonic()
    run_id = cluster.api.trigger_day(DAG_ID, DAY)["dag_run_id"]
    run = cluster.wait_for_run(DAG_ID, run_id, timeout=900)
    print(f"CeleryExecutor run of {PEOPLE} people: {time.monotonic() - started:.0f} s")
    batches = _batches(cluster, run_id)
    assert run["state"] == "success", f"{batches}\n{cluster.log_tails()}"
    assert len(batches) == BATCHES and {ti["state"] for ti in batches} == {"success"}
    by_worker = {name: sorted(ti["map_index"] for ti in batches if ti["hostname"] == name)
                 for name in cluster.workers}
    assert all(by_worker.values()), f"a worker ran no batch: {by_worker}"
    assert sum(map(len, by_worker.values())) == BATCHES

    assert_same_documents(stored_documents(cluster.data_dir, key), local_executor_run)


def test_a_killed_worker_loses_nothing_and_a_restarted_scheduler_resumes_the_run(
        cluster, key, local_executor_run):
    _ensure_workers(cluster)
    forget_snapshots(cluster.data_dir, key)
    run_id = cluster.api.trigger_day(DAG_ID, DAY)["dag_run_id"]
    planned = cluster.wait_for(lambda: _planned_batches(cluster, run_id), 300, "planned batches")
    assert len(planned) == BATCHES

    # worker-a holds a batch, part of whose people are done: kill it, tasks and all.
    def half_done_on_worker_a() -> dict[str, Any] | None:
        done = _people_done(cluster, key, run_id)
        for ti in _batches(cluster, run_id):
            people = set(planned[ti["map_index"]])
            if ti["state"] == "running" and ti["hostname"] == "worker-a" \
                    and 0 < len(people & done) < len(people):
                return ti
        return None

    victim = cluster.wait_for(half_done_on_worker_a, 300, "a half-done batch on worker-a", 0.5)
    held = [ti for ti in _batches(cluster, run_id)
            if ti["state"] == "running" and ti["hostname"] == "worker-a"]
    cluster.kill("worker-a")

    # Restart the scheduler at once, while the killed batch still waits for a scheduler to
    # notice its silence (20 s without heartbeat): only the new scheduler can retry it, so the
    # run finishing green proves the run resumed after the restart. Waiting for some other batch
    # still to be queued instead would depend on how fast the workers are.
    def last_try(map_index: int) -> dict[str, Any]:
        return cluster.api.tries(DAG_ID, run_id, "snapshot_batch", map_index)[-1]

    assert cluster.api.run(DAG_ID, run_id)["state"] == "running"
    before = last_try(victim["map_index"])
    assert (before["try_number"], before["hostname"]) == (victim["try_number"], "worker-a"), (
        f"the killed batch was retried before the scheduler restarted: {before}")
    restarted_at = datetime.now(UTC)
    cluster.restart("scheduler")

    # The new scheduler notices the silence and the batch is retried, on the only worker left.
    def retried_on_worker_b() -> bool:
        last = last_try(victim["map_index"])
        return (last["try_number"] > victim["try_number"] and last["hostname"] == "worker-b"
                and last["state"] in ("running", "success"))

    cluster.wait_for(retried_on_worker_b, 300, "the killed batch retried on worker-b")
    retry = last_try(victim["map_index"])
    assert datetime.fromisoformat(retry["queued_when"] or retry["start_date"]) > restarted_at, (
        f"the retry was queued before the scheduler restarted: {retry}")

    run = cluster.wait_for_run(DAG_ID, run_id, timeout=900)
    batches = _batches(cluster, run_id)
    assert run["state"] == "success", f"{batches}\n{cluster.log_tails()}"
    assert {ti["state"] for ti in batches} == {"success"}
    for ti in held:
        tries = cluster.api.tries(DAG_ID, run_id, "snapshot_batch", ti["map_index"])
        assert tries[0]["hostname"] == "worker-a" and tries[0]["state"] != "success", tries
        assert tries[-1]["hostname"] == "worker-b" and tries[-1]["state"] == "success", tries

    # Nothing lost, nothing twice: the same documents as the LocalExecutor's (and the clean
    # run's), and every person snapshotted exactly once in this run, the killed batch's too.
    stored = stored_documents(cluster.data_dir, key)
    assert_same_documents(stored, local_executor_run)
    with open_database(store_settings(cluster.data_dir, key)) as db:
        runs = list(db.runs.find())
    assert len(runs) == PEOPLE
    assert {(r["status"] in ("success", "partial"), r["run_id"], r["attempts"])
            for r in runs} == {(True, run_id, 1)}


def _planned_batches(airflow: ScaledOutAirflow, run_id: str) -> list[list[str]] | None:
    plan = [ti for ti in airflow.api.task_instances(DAG_ID, run_id)
            if ti["task_id"] == "plan_batches"]
    if not plan or plan[0]["state"] != "success":
        return None
    return airflow.api.xcom(DAG_ID, run_id, "plan_batches")


def _people_done(airflow: ScaledOutAirflow, key: str, run_id: str) -> set[str]:
    with open_database(store_settings(airflow.data_dir, key)) as db:
        return {run["user_id"] for run in db.runs.find({"run_id": run_id,
                                                       "status": {"$in": ["success", "partial"]}},
                                                       projection={"user_id": 1})}


def _dag_ids_stored_in(url: str) -> set[str]:
    import psycopg2

    with closing(psycopg2.connect(url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT dag_id FROM dag")
        return {row[0] for row in cursor}


def test_make_airflow_keeps_its_metadata_in_postgresql_when_asked(tmp_path, monkeypatch):
    try:
        check_server(DEFAULT_SERVER)
    except PostgresUnavailable as error:
        pytest.skip(f"{error}; {HOW_TO_START}")
    name = f"spotify_etl_make_airflow_{free_port()}"
    url = with_database(DEFAULT_SERVER, name)
    for setting in ("SPOTIFY_API_BASE_URL", "SPOTIFY_ACCOUNTS_BASE_URL", "SPOTIFY_CLIENT_ID",
                    "SPOTIFY_CLIENT_SECRET", "SPOTIFY_ETL_FERNET_KEY"):
        monkeypatch.setenv(setting, "")  # the sandbox settings are written into this process
    use_embedded_store(monkeypatch, tmp_path / "data")
    local = LocalAirflow(port=free_port(), home=tmp_path / "airflow-home", sandbox=True,
                         people=2, postgres=url)
    try:
        local.start(timeout=300)  # creates the database, migrates it, imports the pools
        deadline = time.monotonic() + 120
        while DAG_ID not in _dag_ids_stored_in(url):
            assert time.monotonic() < deadline, f"{DAG_ID} never stored:\n{local.log_tail()}"
            time.sleep(2)
        pools = {pool["name"]: pool["slots"] for pool in local.api.call("GET", "pools")["pools"]}
        assert pools["spotify_api"] == 4
        assert not list((tmp_path / "airflow-home").glob("*.db")), "a SQLite database was made"
    finally:
        local.stop()
        drop_database(DEFAULT_SERVER, name)
