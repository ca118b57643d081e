"""The capture against a live sandbox: who is due, one read each, the next read scheduled,
revoked people marked, and the daily snapshot leaving recently played to the capture."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import requests
from pipeline_env import connect_sandbox_people


def test_due_people_are_read_once_and_scheduled_from_their_own_rate(sandbox, data_dir,
                                                                     monkeypatch):
    from spotify_etl.history.capture import capture_batch, due_people, plan_capture
    from spotify_etl.storage import database

    people = [sandbox.world.users[u].id for u in (1, 2)]
    connect_sandbox_people(monkeypatch, sandbox, people)
    now = datetime.now(UTC).replace(microsecond=0)  # as MongoDB keeps it: milliseconds
    assert plan_capture(now) == [sorted(people)]  # never read: due
    summary = capture_batch(sorted(people), now=now)
    assert summary["by_status"] == {"success": 2} and summary["api_calls"] == 2
    db = database()
    for person in people:
        state = db.users.find_one({"_id": person})["capture"]
        assert state["reads"] == 1
        assert timedelta(minutes=10) <= state["next_due_at"].replace(tzinfo=UTC) - now \
            <= timedelta(hours=12)
        assert db.users.find_one({"_id": person})["plays_owner"] == "history"
    assert due_people(db, now) == []  # nobody is read again before they are due
    later = max(db.users.find_one({"_id": p})["capture"]["next_due_at"] for p in people)
    assert due_people(db, later.replace(tzinfo=UTC)) == sorted(people)


def test_a_revoked_person_is_marked_and_the_others_are_read(sandbox, data_dir, monkeypatch):
    from spotify_etl.history.capture import capture_batch
    from spotify_etl.storage import database

    people = [sandbox.world.users[u].id for u in (3, 4)]
    connect_sandbox_people(monkeypatch, sandbox, people)
    requests.post(f"{sandbox.url}/__sandbox/users/{people[0]}/revoke",
                  timeout=5).raise_for_status()
    summary = capture_batch(people, now=datetime.now(UTC))
    assert summary["by_status"] == {"needs_reauth": 1, "success": 1}
    assert database().users.find_one({"_id": people[0]})["status"] == "needs_reauth"


def test_once_history_owns_the_plays_the_daily_snapshot_reads_only_top_lists(
        sandbox, data_dir, monkeypatch):
    from spotify_etl.history.store import index_stored_plays
    from spotify_etl.pipeline.snapshot import snapshot_batch
    from spotify_etl.storage import database

    person = sandbox.world.users[5].id
    connect_sandbox_people(monkeypatch, sandbox, [person])
    day = date(2026, 11, 10)
    snapshot_batch([person], day, run_id="before")
    db = database()
    before = db.runs.find_one({"_id": f"{person}|{day}"})["api_calls"]
    assert before.get("GET /v1/me/player/recently-played") == 1
    stored = db.plays.count_documents({"user_id": person})
    assert index_stored_plays(db, person) == stored > 0
    snapshot_batch([person], day + timedelta(days=1), run_id="after")
    after = db.runs.find_one({"_id": f"{person}|{day + timedelta(days=1)}"})["api_calls"]
    assert "GET /v1/me/player/recently-played" not in after
    assert sum(n for k, n in after.items() if k.startswith("GET /v1/me/top/")) == 6
    assert db.plays.count_documents({"user_id": person}) == stored
    # the plays the snapshot stored are in listening_days: coverage sees them as captured
    days = list(db.listening_days.find({"user_id": person}))
    assert sum(d["play_count"] for d in days) == stored
    assert {d["source"] for d in days} == {"capture"}


def test_people_the_capture_owns_but_never_reads_are_caught_up_by_the_daily_snapshot(
        sandbox, data_dir, monkeypatch):
    """An import makes the history room own the plays; without the capture DAG the daily
    snapshot's catch-up still reads them, through the dedupe rule, and only when stale."""
    from spotify_etl.history.capture import STALE_AFTER, catch_up, stale_people
    from spotify_etl.history.store import index_stored_plays
    from spotify_etl.storage import database

    owned, other = sandbox.world.users[6].id, sandbox.world.users[7].id
    connect_sandbox_people(monkeypatch, sandbox, [owned, other])
    db = database()
    index_stored_plays(db, owned)  # what an import does first: the history room owns them
    now = datetime.now(UTC).replace(microsecond=0)
    assert stale_people(db, now) == [owned]  # never read; `other` is the snapshot's
    summary = catch_up(now=now)
    assert summary["by_status"] == {"success": 1} and summary["api_calls"] == 1
    stored = db.plays.count_documents({"user_id": owned})
    assert stored > 0
    days = list(db.listening_days.find({"user_id": owned}))
    assert sum(d["play_count"] for d in days) == stored  # through the one write path
    assert stale_people(db, now + STALE_AFTER - timedelta(minutes=1)) == []
    assert stale_people(db, now + STALE_AFTER) == [owned]
    assert catch_up(now=now + timedelta(hours=1)) == {"people": 0}
    # a second read of the same page stores nothing twice
    catch_up(now=now + STALE_AFTER)
    assert db.plays.count_documents({"user_id": owned}) == stored


def test_a_person_whose_plays_an_import_is_storing_is_left_for_the_next_run(
        sandbox, data_dir, monkeypatch):
    from spotify_etl.history.capture import capture_batch, due_people
    from spotify_etl.history.store import writing_plays_of
    from spotify_etl.storage import database

    person = sandbox.world.users[8].id
    connect_sandbox_people(monkeypatch, sandbox, [person])
    db = database()
    now = datetime.now(UTC)
    with writing_plays_of(db, person, "import"):
        summary = capture_batch([person], now=now)
    assert summary["by_status"] == {"busy": 1} and summary["api_calls"] == 0
    assert db.plays.count_documents({"user_id": person}) == 0
    assert due_people(db, now) == [person]  # still due: the next run reads them
    assert capture_batch([person], now=now)["by_status"] == {"success": 1}
