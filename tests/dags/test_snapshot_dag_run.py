"""End to end: the snapshot DAG through dag.test(), against the sandbox and the embedded store."""

from __future__ import annotations

from datetime import date

import pytest
import requests
from cryptography.fernet import Fernet

from pipeline_env import use_sandbox
from spotify_etl.local.dag_runner import run_dag
from spotify_etl.local.sandbox import seed_users
from spotify_etl.storage import open_database
from spotify_sandbox import SandboxServer

pytestmark = pytest.mark.integration
DAY = date(2026, 11, 12)


@pytest.fixture
def sandbox_people(data_dir, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    with SandboxServer(port=0, mode="development", seed=11, users=20) as server:
        use_sandbox(monkeypatch, server.url)
        people = seed_users(server.url, 4)
        yield server, [p["id"] for p in people]


def _everything():
    with open_database() as db:
        return {name: sorted(db[name].find(), key=lambda d: str(d["_id"]))
                for name in ("artists", "albums", "tracks", "top_lists", "plays", "users")}


def test_dag_run_loads_every_person_and_a_rerun_changes_nothing(sandbox_people):
    server, people = sandbox_people
    requests.post(f"{server.url}/__sandbox/users/{people[0]}/revoke", timeout=5)
    assert run_dag("spotify_daily_snapshot", DAY).state == "success"
    first = _everything()
    with open_database() as db:
        statuses = {r["user_id"]: r["status"] for r in db.runs.find({"snapshot_date": "2026-11-12"})}
        assert db.users.find_one({"_id": people[0]})["status"] == "needs_reauth"
    # loaded: `partial` when the sandbox's world sent a null play that day
    assert statuses[people[0]] == "needs_reauth" and set(statuses) == set(people)
    assert all(statuses[p] in ("success", "partial") for p in people[1:])
    assert {d["snapshot_date"] for d in first["top_lists"]} == {"2026-11-12"}

    assert run_dag("spotify_daily_snapshot", DAY).state == "success"
    assert _everything() == first


def test_manual_run_params_limit_people_and_time_ranges(sandbox_people):
    server, people = sandbox_people
    conf = {"users": [people[2]], "time_ranges": ["short_term"]}
    assert run_dag("spotify_daily_snapshot", DAY, conf).state == "success"
    with open_database() as db:
        assert db.top_lists.distinct("user_id") == [people[2]]
        assert db.top_lists.distinct("time_range") == ["short_term"]


def test_unknown_user_in_params_fails_the_run_without_retries(sandbox_people):
    assert run_dag("spotify_daily_snapshot", DAY, {"users": ["nobody"]}).state == "failed"


def _summary(run_id: str) -> dict:
    from airflow import settings
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    session = settings.Session()
    value = session.scalar(select(XComModel.value).where(
        XComModel.dag_id == "spotify_daily_snapshot", XComModel.run_id == run_id,
        XComModel.task_id == "summarize", XComModel.key == "return_value"))
    return XComModel.deserialize_value(type("Row", (), {"value": value})())


def test_the_run_summary_lists_whose_access_ends_soon_and_e_mails_them(sandbox_people,
                                                                      smtp_inbox):
    from datetime import UTC, datetime, timedelta

    from spotify_etl.people.tokens import REFRESH_TOKEN_LIFETIME, TokenStore
    from spotify_etl.settings import load_settings

    server, people = sandbox_people
    consented = datetime.now(UTC) - REFRESH_TOKEN_LIFETIME + timedelta(days=9, hours=1)
    with open_database() as db:
        db.users.update_one({"_id": people[1]}, {"$set": {
            "consented_at": consented,
            "refresh_token_expires_at": consented + REFRESH_TOKEN_LIFETIME}})
        TokenStore(db, load_settings()).set_contact(people[1], "listener@example.org")
    run = run_dag("spotify_daily_snapshot", DAY, {"users": people[:2],
                                                  "time_ranges": ["short_term"]})
    assert run.state == "success"
    summary = _summary(run.run_id)
    [ending] = summary["access_ending"]
    assert (ending["user_id"], ending["days_left"]) == (people[1], 9)
    assert summary["reminded"] == [people[1]]
    [mail] = smtp_inbox
    assert mail.rcpt_tos == ["listener@example.org"]


def test_a_run_that_loaded_nobody_fails_and_announces_nothing(sandbox_people):
    server, people = sandbox_people
    for person in people:
        requests.post(f"{server.url}/__sandbox/users/{person}/revoke", timeout=5)
    assert run_dag("spotify_daily_snapshot", DAY).state == "failed"
    with open_database() as db:
        assert {u["status"] for u in db.users.find()} == {"needs_reauth"}
        assert db.top_lists.count_documents({}) == 0


def test_a_run_with_a_wrong_encryption_key_fails_once_and_keeps_earlier_runs(sandbox_people,
                                                                             monkeypatch):
    from cryptography.fernet import Fernet

    assert run_dag("spotify_daily_snapshot", DAY).state == "success"
    with open_database() as db:
        before = sorted(db.runs.find(), key=lambda r: r["_id"])
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    assert run_dag("spotify_daily_snapshot", DAY).state == "failed"
    with open_database() as db:
        assert sorted(db.runs.find(), key=lambda r: r["_id"]) == before
        assert {u["status"] for u in db.users.find()} == {"active"}
