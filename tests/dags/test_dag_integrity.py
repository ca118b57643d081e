from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from spotify_etl.local.dag_runner import DAGS_FOLDER


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


DAG_IDS = {"spotify_daily_snapshot", "spotify_taste_analytics", "spotify_concert_bins",
           "spotify_lake_export", "spotify_play_capture", "spotify_model_retrain"}
ALLOWED_TAGS = {"spotify", "snapshot", "analytics", "concerts", "lake", "capture",
                "prediction"}


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == DAG_IDS


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_every_dag_is_tagged_retried_documented_and_owner_free(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.tags and set(dag.tags) <= ALLOWED_TAGS and "spotify" in dag.tags
    assert dag.default_args.get("retries", 0) >= 2
    assert "owner" not in dag.default_args  # nobody's name baked into the defaults
    assert all(task.owner == "airflow" for task in dag.tasks)  # Airflow's own default
    assert dag.catchup is False and dag.doc_md
    assert all(task.retries >= 1 for task in dag.tasks)


def test_snapshot_dag_is_daily_without_catchup_and_one_run_at_a_time(dagbag):
    dag = dagbag.dags["spotify_daily_snapshot"]
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.timetable.expression == "0 0 * * *"
    assert dag.default_args["retries"] >= 1 and dag.default_args["retry_exponential_backoff"]
    assert dag.default_args["max_retry_delay"] <= timedelta(hours=1)
    assert set(dag.params.keys()) == {"users", "time_ranges"}
    assert dag.doc_md and "Spotify daily snapshot" in dag.doc_md


def test_batches_run_mapped_in_the_spotify_pool_and_the_summary_updates_the_asset(dagbag):
    dag = dagbag.dags["spotify_daily_snapshot"]
    assert dag.get_task("snapshot_batch").pool == "spotify_api"
    outlets = dag.get_task("summarize").outlets
    assert [o.name for o in outlets] == ["spotify_snapshots"]
    assert dag.get_task("snapshot_batch").upstream_task_ids == {"plan_batches"}


PARSE_PROBE = """
import socket, sys, runpy
def refuse(*args, **kwargs):
    raise AssertionError("network or database I/O at DAG parse time")
socket.socket.connect = refuse
import spotify_etl.storage
spotify_etl.storage.open_database = refuse
runpy.run_path({path!r})
heavy = [m for m in ("pandas", "pymongo", "spotipy", "sklearn", "scipy") if m in sys.modules]
print("HEAVY", heavy)
"""


@pytest.mark.parametrize("dag_file", sorted(p.name for p in DAGS_FOLDER.glob("*.py")))
def test_parsing_a_dag_file_does_no_io_and_imports_nothing_heavy(dag_file):
    code = PARSE_PROBE.format(path=str(DAGS_FOLDER / dag_file))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HEAVY []" in done.stdout


def test_a_long_rate_limit_is_retried_after_the_wait_spotify_asked_for(dagbag):
    from spotify_etl.spotify.client import RateLimited

    policy = dagbag.dags["spotify_daily_snapshot"].get_task("snapshot_batch").retry_policy
    decision = policy.evaluate(RateLimited(3600, "QUOTA_EXCEEDED"), try_number=1, max_tries=4)
    assert decision.action.value == "retry" and decision.retry_delay == timedelta(seconds=3605)
    assert policy.evaluate(RateLimited(10**6), 1, 4).retry_delay == timedelta(hours=12)
    assert policy.evaluate(RuntimeError("5xx"), 1, 4).action.value == "default"


def test_the_asset_is_announced_even_when_a_batch_fails_and_the_run_still_fails(dagbag):
    dag = dagbag.dags["spotify_daily_snapshot"]
    assert dag.get_task("summarize").trigger_rule == "all_done"
    check = dag.get_task("all_batches_succeeded")
    assert check.trigger_rule == "all_success" and check.upstream_task_ids == {"snapshot_batch"}
    # plays the history room owns are still read when no capture DAG runs
    catch_up = dag.get_task("catch_up_plays")
    assert catch_up.trigger_rule == "all_done" and catch_up.pool == "spotify_api"
    assert catch_up.upstream_task_ids == {"snapshot_batch"}


def test_capture_dag_runs_often_in_mapped_batches_in_the_spotify_pool(dagbag):
    dag = dagbag.dags["spotify_play_capture"]
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.timetable.delta == timedelta(minutes=10)
    batch = dag.get_task("capture_batch")
    assert batch.pool == "spotify_api" and batch.upstream_task_ids == {"plan_due"}
    assert batch.retry_policy is not None
    assert dag.default_args["retries"] >= 2
