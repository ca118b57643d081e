"""Local runs (`python -m spotify_etl run`, the demo) through dag.test(): they leave the
scheduler's runs alone, never wait out a long rate limit, and stop on SIGTERM as on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, time as clock, timedelta

import pytest
import requests
from click.testing import CliRunner
from cryptography.fernet import Fernet

from pipeline_env import use_sandbox
from spotify_etl.local.dag_runner import local_logical_date, run_dag
from spotify_etl.local.sandbox import seed_users
from spotify_etl.storage import open_database
from spotify_sandbox import SandboxServer

pytestmark = pytest.mark.integration
DAG_ID = "spotify_daily_snapshot"
DAY = date(2026, 10, 5)
ONE_LIST = {"time_ranges": ["short_term"]}


@pytest.fixture
def sandbox(data_dir, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    with SandboxServer(port=0, mode="development", seed=5, users=10) as server:
        use_sandbox(monkeypatch, server.url)
        people = [p["id"] for p in seed_users(server.url, 2)]
        yield server, people


def _scheduled_run(day: date):
    """Create the run the scheduler makes for `day` (logical date: the day's midnight)."""
    from airflow import settings
    from airflow.models.dagbag import DBDagBag
    from airflow.models.dagrun import DagRun
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    start = datetime.combine(day, clock(0), tzinfo=UTC)
    end = start + timedelta(days=1)
    session = settings.Session()
    dag = DBDagBag().get_latest_version_of_dag(DAG_ID, session=session)
    run = dag.create_dagrun(
        run_id=DagRun.generate_run_id(run_type=DagRunType.SCHEDULED, logical_date=start,
                                      run_after=end),
        logical_date=start, data_interval=(start, end), run_after=end,
        run_type=DagRunType.SCHEDULED, triggered_by=DagRunTriggeredByType.TIMETABLE,
        state=DagRunState.QUEUED, session=session)
    session.commit()
    return run.run_id


def _runs() -> dict[str, tuple[str, str]]:
    from airflow import settings
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    session = settings.Session()
    session.expire_all()
    return {r.run_id: (r.run_type, r.state) for r in
            session.scalars(select(DagRun).where(DagRun.dag_id == DAG_ID))}


def test_a_local_run_leaves_room_for_the_scheduled_runs_and_never_deletes_one(sandbox):
    server, people = sandbox
    local = run_dag(DAG_ID, DAY, ONE_LIST)
    assert local.state == "success" and local.run_id.startswith("manual__")
    assert local.logical_date == datetime(2026, 10, 6, 0, 0, 1, tzinfo=UTC)
    # What the scheduler wants once the DAG is switched on: day D (logical date D 00:00) and
    # the next day (D+1 00:00, which a local run for D used to hold).
    scheduled = [_scheduled_run(DAY), _scheduled_run(DAY + timedelta(days=1))]
    # Local runs of the same day and of the day before replace only their own runs.
    assert run_dag(DAG_ID, DAY, ONE_LIST).state == "success"
    assert run_dag(DAG_ID, DAY - timedelta(days=1), ONE_LIST).state == "success"
    runs = _runs()
    assert all(runs[run_id][0] == "scheduled" for run_id in scheduled)
    with open_database() as db:
        assert db.runs.count_documents({"snapshot_date": DAY.isoformat(),
                                        "status": "success"}) == 2


def test_run_stops_at_a_long_rate_limit_and_says_when_to_retry(sandbox):
    from spotify_etl.cli import main

    server, people = sandbox
    with open_database() as db:  # and its summary names whose access ends soon
        db.users.update_one({"_id": people[0]}, {"$set": {
            "refresh_token_expires_at": datetime.now(UTC) + timedelta(days=3, hours=1)}})
    requests.post(f"{server.url}/__sandbox/faults", timeout=5, json={
        "rate_limit": {"count": 1000, "retry_after": 3600, "quota_exceeded": True}})
    started = time.monotonic()
    result = CliRunner().invoke(main, ["run", "--date", DAY.isoformat(),
                                       "--time-range", "short_term"])
    took = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert took < 120  # it used to wait an hour per retry inside dag.test
    assert f"{DAG_ID} {DAY}: failed" in result.output
    assert "asked to wait 3600 s" in result.output and "QUOTA_EXCEEDED" in result.output
    retry_at = (datetime.now(UTC) + timedelta(seconds=3600)).strftime("%Y-%m-%d %H:")
    assert f"Try again after {retry_at}" in result.output
    assert f"-m spotify_etl run --date {DAY}" in result.output
    assert f"({people[0]}) ends in 3 days" in result.output


def test_sigterm_stops_a_run_waiting_for_a_retry_like_ctrl_c(sandbox, tmp_path):
    from airflow import settings
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    server, people = sandbox
    requests.post(f"{server.url}/__sandbox/faults", timeout=5,
                  json={"server_errors": {"count": 100_000, "status": 503}})
    # 5xx outlasting the client's retries: the batch fails and Airflow's retry comes in 2 min.
    process = subprocess.Popen(
        [sys.executable, "-m", "spotify_etl", "run", "--date", DAY.isoformat(),
         "--time-range", "short_term"], env=dict(os.environ), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with open_database() as db:
                if db.runs.count_documents({"snapshot_date": DAY.isoformat(),
                                            "status": "failed"}) == len(people):
                    break
            assert process.poll() is None, process.communicate()
            time.sleep(1)
        time.sleep(3)  # the task is over; dag.test() waits for the retry
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err[-3000:]
    assert "Stopped (Ctrl-C or SIGTERM)" in err and "Traceback" not in err
    session = settings.Session()
    session.expire_all()
    run = session.scalar(select(DagRun).where(DagRun.dag_id == DAG_ID,
                                              DagRun.logical_date == local_logical_date(DAY)))
    assert run.state == "failed"  # never left "running" to block make airflow's scheduler
