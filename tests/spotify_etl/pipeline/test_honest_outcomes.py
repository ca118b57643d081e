"""A run that loaded nobody never passes for a success; bad configuration and dates are caught
once, before any side effect; an earlier success is never erased."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests
from click.testing import CliRunner
from cryptography.fernet import Fernet

from pipeline_env import use_sandbox
from spotify_etl.cli import main
from spotify_etl.people.tokens import TokenStore
from spotify_etl.pipeline.snapshot import (BatchIncomplete, ConfigurationError, NobodyLoaded,
                                           snapshot_batch, summarize)
from spotify_etl.settings import load_settings
from spotify_etl.spotify.client import SnapshotDateError
from spotify_etl.storage import database
from spotify_sandbox import SandboxServer

DAY = date(2026, 11, 10)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(port=0, mode="development", seed=7, users=20) as server:
        yield server


@pytest.fixture
def people(sandbox, data_dir, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    use_sandbox(monkeypatch, sandbox.url)
    requests.delete(f"{sandbox.url}/__sandbox/faults", timeout=5)
    ids = [u.id for u in sandbox.world.users[1:4]]
    answer = requests.post(f"{sandbox.url}/__sandbox/authorize", json={"user_ids": ids},
                           timeout=10)
    store = TokenStore(database(), load_settings())
    for person in answer.json()["users"]:
        store.save_user({"id": person["id"]}, {"refresh_token": person["refresh_token"],
                                               "expires_at": 0, "scope": person["scope"]})
    requests.delete(f"{sandbox.url}/__sandbox/counters", timeout=5)
    return ids


def _requests(sandbox) -> int:
    return requests.get(f"{sandbox.url}/__sandbox/counters", timeout=5).json()["total"]


def _runs():
    return {r["user_id"]: r for r in database().runs.find()}


@pytest.mark.parametrize("setting, value, named", [
    ("SPOTIFY_ETL_FERNET_KEY", None, "SPOTIFY_ETL_FERNET_KEY"),
    ("SPOTIFY_ETL_FERNET_KEY", "not-a-key", "not a valid Fernet key"),
    ("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode(), "opens none of the stored tokens"),
    ("SPOTIFY_CLIENT_ID", None, "SPOTIFY_CLIENT_ID is not set"),
])
def test_a_configuration_problem_is_named_once_and_leaves_earlier_runs_alone(
        sandbox, people, monkeypatch, setting, value, named):
    assert snapshot_batch(people, DAY, run_id="good")["users"] == 3
    before = _runs()
    requests.delete(f"{sandbox.url}/__sandbox/counters", timeout=5)
    if value is None:
        monkeypatch.delenv(setting)
    else:
        monkeypatch.setenv(setting, value)
    with pytest.raises(ConfigurationError, match=named):
        snapshot_batch(people, DAY, run_id="broken")
    assert _runs() == before  # no success overwritten, no "failed" per person
    assert _requests(sandbox) == 0  # nobody was touched


def test_one_damaged_token_fails_that_person_clearly_and_at_once(sandbox, people):
    database().tokens.update_one({"_id": people[0]}, {"$set": {"token": 12345}})
    summary = snapshot_batch(people, DAY, run_id="r1")  # no BatchIncomplete: no retry helps
    assert summary["by_status"]["failed"] == 1
    run = _runs()[people[0]]
    assert run["status"] == "failed" and "damaged" in run["error"] and "reconnect" in run["error"]


def test_a_future_date_is_refused_before_any_request_and_marks_nobody(sandbox, people):
    future = date.today() + timedelta(days=200)
    with pytest.raises(SnapshotDateError, match="in the future"):
        snapshot_batch(people, future, run_id="future")
    assert _requests(sandbox) == 0
    assert {u["status"] for u in database().users.find()} == {"active"}


def test_tokens_are_refreshed_now_whatever_date_the_data_is_read_as_of(sandbox, people):
    from spotify_etl.spotify.client import SpotifySource

    settings = load_settings()
    store = TokenStore(database(), settings)
    # Seven months ahead the grant would have expired; the refresh must not travel there.
    later = date.today() + timedelta(days=210)
    source = SpotifySource(settings, store.cache_handler(people[0]), as_of=later)
    assert len(source.top_items("artists", "short_term")) == 50
    assert source.calls["POST /api/token"] == 1 and source.declared_as_of == later.isoformat()


def test_a_run_that_loaded_nobody_is_not_a_success(sandbox, people):
    for person in people:
        requests.post(f"{sandbox.url}/__sandbox/users/{person}/revoke", timeout=5)
    requests.post(f"{sandbox.url}/__sandbox/faults", json={"expire_access_tokens": True},
                  timeout=5)
    snapshot_batch(people, DAY, run_id="revoked")
    with pytest.raises(NobodyLoaded, match="loaded nobody"):
        summarize(DAY, "revoked")


def test_summary_counts_this_run_s_attempts_and_what_it_loaded(sandbox, people):
    snapshot_batch(people, DAY, run_id="first")
    total = summarize(DAY, "first")
    assert total["users"] == 3 and total["loaded"] == 3 and total["documents"] > 0
    requests.post(f"{sandbox.url}/__sandbox/faults",
                  json={"server_errors": {"count": 50, "status": 502}}, timeout=5)
    with pytest.raises(BatchIncomplete):
        snapshot_batch(people[:1], DAY, run_id="second")
    with pytest.raises(NobodyLoaded):
        summarize(DAY, "second")  # the earlier success is kept, but this run loaded nobody


@pytest.mark.parametrize("args, message", [
    (["--date", "9999-12-31"], "in the future"),
    (["--date", "2999-01-01"], "in the future"),
    (["--date", "2025-06-01"], "before its first day"),
])
def test_run_refuses_dates_before_doing_anything(people, args, message):
    result = CliRunner().invoke(main, ["run", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not list(database().runs.find())


def test_run_names_a_configuration_problem_once(people, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    result = CliRunner().invoke(main, ["run", "--date", DAY.isoformat()])
    assert result.exit_code == 2
    assert result.output.count("opens none of the stored tokens") == 1
