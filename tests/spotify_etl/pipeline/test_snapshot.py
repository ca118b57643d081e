"""The snapshot of a batch of people against a real sandbox server, both API shapes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from pipeline_env import connect_sandbox_people
from spotify_etl.pipeline.snapshot import BatchIncomplete, plan_batches, snapshot_batch
from spotify_etl.spotify.client import RateLimited, SnapshotDateError, SpotifySource
from spotify_etl.storage import database, open_database
from spotify_sandbox import SandboxServer

DAY = date(2026, 11, 10)


@pytest.fixture(scope="module", params=["extended", "development"])
def sandbox(request):
    with SandboxServer(port=0, mode=request.param, seed=7, users=30) as server:
        yield server


@pytest.fixture
def people(sandbox, data_dir, monkeypatch):
    """Three connected people (the sandbox's users 1-3: full listeners) and a clean sandbox."""
    return connect_sandbox_people(monkeypatch, sandbox, [u.id for u in sandbox.world.users[1:4]])


def loaded(by_status: dict) -> int:
    """People whose data was stored (a run is `partial` when Spotify sent a null or broken item)."""
    return by_status.get("success", 0) + by_status.get("partial", 0)


def fault(sandbox, **spec):
    requests.post(f"{sandbox.url}/__sandbox/faults", json=spec, timeout=5).raise_for_status()


def contents(*collections):
    with open_database() as db:
        return {name: sorted(db[name].find(), key=lambda d: str(d["_id"])) for name in collections}


DATA = ("artists", "albums", "tracks", "top_lists", "plays", "users")


def test_every_person_gets_six_top_lists_and_their_plays(sandbox, people):
    summary = snapshot_batch(people, DAY, run_id="r1")
    assert loaded(summary["by_status"]) == 3 == sum(summary["by_status"].values())
    with open_database() as db:
        for user_id in people:
            lists = list(db.top_lists.find({"user_id": user_id}))
            assert sorted({t["time_range"] for t in lists}) == ["long_term", "medium_term",
                                                               "short_term"]
            assert len(lists) == 6 and all(t["item_count"] == 50 for t in lists)
            assert all([i["rank"] for i in t["items"]] == list(range(1, 51)) for t in lists)
            assert db.plays.count_documents({"user_id": user_id}) > 0
            assert db.users.find_one({"_id": user_id})["last_snapshot_date"] == "2026-11-10"
        # every artist named by a stored track has its details (genres) after the run
        missing = db.artists.count_documents({"details_as_of": {"$exists": False}})
        assert missing == 0


def test_day_one_costs_seven_requests_plus_artist_lookups_and_day_two_fewer(sandbox, people):
    snapshot_batch(people, DAY, run_id="r1")
    snapshot_batch(people, DAY + timedelta(days=1), run_id="r2")
    with open_database() as db:
        runs = {(r["user_id"], r["snapshot_date"]): r for r in db.runs.find()}
    for user_id in people:
        day1, day2 = runs[(user_id, "2026-11-10")], runs[(user_id, "2026-11-11")]
        core = {k: v for k, v in day1["api_calls"].items() if "/me/" in k}
        assert core == {"GET /v1/me/top/artists": 3, "GET /v1/me/top/tracks": 3,
                        "GET /v1/me/player/recently-played": 1}
        assert day2["api_call_total"] >= 7
        assert day2["api_call_total"] - 7 <= day1["api_call_total"] - 7
    lookups = "GET /v1/artists" if sandbox.mode == "extended" else "GET /v1/artists/{id}"
    assert any(lookups in r["api_calls"] for r in runs.values())
    assert all(r["status"] in ("success", "partial") for r in runs.values())


def test_rerun_of_same_date_changes_nothing(sandbox, people):
    snapshot_batch(people, DAY, run_id="r1")
    first = contents(*DATA)
    snapshot_batch(people, DAY, run_id="r2")
    assert contents(*DATA) == first
    with open_database() as db:
        assert db.runs.count_documents({}) == 3
        assert {r["attempts"] for r in db.runs.find()} == {2}


def test_short_retry_after_is_absorbed(sandbox, people):
    fault(sandbox, rate_limit={"count": 2, "retry_after": 1})
    summary = snapshot_batch(people, DAY, run_id="r1")
    assert loaded(summary["by_status"]) == 3 == sum(summary["by_status"].values())


def test_server_errors_are_retried(sandbox, people):
    fault(sandbox, server_errors={"count": 2, "status": 503})
    assert loaded(snapshot_batch(people, DAY, run_id="r1")["by_status"]) == 3


def test_long_retry_after_fails_the_batch_with_a_clear_message(sandbox, people):
    fault(sandbox, rate_limit={"count": 100, "retry_after": 3600, "quota_exceeded": True})
    with pytest.raises(RateLimited, match=r"rate limited, retry after 3600 s \(QUOTA_EXCEEDED\)"):
        snapshot_batch(people, DAY, run_id="r1")
    with open_database() as db:
        run = db.runs.find_one({"user_id": people[0]})
    assert run["status"] == "rate_limited" and "3600" in run["error"]


def test_revoked_user_is_marked_and_others_still_load(sandbox, people):
    requests.post(f"{sandbox.url}/__sandbox/users/{people[1]}/revoke", timeout=5)
    summary = snapshot_batch(people, DAY, run_id="r1")
    assert loaded(summary["by_status"]) == 2 and summary["by_status"]["needs_reauth"] == 1
    with open_database() as db:
        revoked = db.users.find_one({"_id": people[1]})
        assert revoked["status"] == "needs_reauth" and "revoked" in revoked["reauth_reason"]
        assert db.top_lists.count_documents({"user_id": people[1]}) == 0
        assert db.top_lists.count_documents({"user_id": people[2]}) == 6
    assert plan_batches() == [sorted([people[0], people[2]])]


def test_expired_access_tokens_are_refreshed_once(sandbox, people):
    snapshot_batch(people[:1], DAY, run_id="r1")  # caches an access token
    fault(sandbox, expire_access_tokens=True)
    # loaded (a day with a null play Spotify sent is `partial`, loaded all the same)
    assert loaded(snapshot_batch(people[:1], DAY + timedelta(days=1),
                                 run_id="r2")["by_status"]) == 1


def test_rotated_refresh_tokens_keep_working_over_many_runs(sandbox, people):
    fault(sandbox, rotate_refresh_tokens={"every": 3})  # Spotify's rotation before June 2026
    for offset in range(5):
        day = DAY + timedelta(days=offset)
        fault(sandbox, expire_access_tokens=True)
        assert loaded(snapshot_batch(people[:1], day, run_id=f"r{offset}")["by_status"]) == 1


def test_malformed_items_are_quarantined_counted_and_make_the_run_partial(sandbox, people):
    fault(sandbox, malformed_items={"count": 3})
    summary = snapshot_batch(people[:1], DAY, run_id="r1")
    assert summary["by_status"] == {"partial": 1}
    with open_database() as db:
        run = db.runs.find_one({"user_id": people[0]})
        quarantined = list(db.quarantine.find({"user_id": people[0]}))
    assert run["status"] == "partial" and run["counts"]["quarantined"] == len(quarantined)
    assert sum(n for k, n in run["dropped"].items() if k.endswith("malformed")) == 3
    # besides the spoiled items, only a null play the world itself sent that day
    malformed = [q for q in quarantined if q["reason"] == "malformed"]
    assert len(malformed) == 3 and {q["reason"] for q in quarantined} <= {"malformed", "null"}
    assert all(q["source"].startswith("top:") and q["position"] == 26 for q in malformed)


def test_a_malformed_item_moves_no_other_rank_and_no_play_is_lost(sandbox, people):
    person = people[1]
    snapshot_batch([person], DAY, run_id="clean")
    with open_database() as db:
        clean = {t["_id"]: {i["rank"]: i["item_id"] for i in t["items"]}
                 for t in db.top_lists.find({"user_id": person})}
        reachable = db.plays.count_documents({"user_id": person})
        nulls = db.quarantine.count_documents({"user_id": person, "source": "plays"})
        db.plays.delete_many({"user_id": person})
        db.users.update_one({"_id": person}, {"$unset": {"plays_cursor_ms": ""}})
    fault(sandbox, malformed_items={"count": 7})  # every top list and the recently-played page
    snapshot_batch([person], DAY, run_id="spoiled")
    with open_database() as db:
        for top in db.top_lists.find({"user_id": person}):
            ranks = {i["rank"]: i["item_id"] for i in top["items"]}
            assert 26 not in ranks  # the spoiled one, quarantined
            assert ranks == {r: i for r, i in clean[top["_id"]].items() if r != 26}
        stored = db.plays.count_documents({"user_id": person})
        kept = db.quarantine.count_documents({"user_id": person, "source": "plays"})
        cursor = db.users.find_one({"_id": person})["plays_cursor_ms"]
        newest = db.plays.find_one({"user_id": person}, sort=[("played_at", -1)])["played_at"]
    assert kept == nulls + 1 and stored == reachable - 1  # the spoiled play is kept, not lost
    assert cursor >= int(newest.timestamp() * 1000)  # Spotify's cursor, not the stored plays'


def test_a_failed_attempt_never_erases_an_earlier_success_of_the_same_date(sandbox, people):
    snapshot_batch(people[:1], DAY, run_id="first")
    fault(sandbox, server_errors={"count": 50, "status": 502})
    with pytest.raises(BatchIncomplete):
        snapshot_batch(people[:1], DAY, run_id="second")
    with open_database() as db:
        run = db.runs.find_one({"user_id": people[0]})
    assert run["status"] in ("success", "partial") and run["run_id"] == "first"
    assert run["attempts"] == 2
    assert run["last_attempt"]["run_id"] == "second"
    assert run["last_attempt"]["status"] == "failed"


def test_a_retry_skips_people_already_done_in_the_same_run(sandbox, people):
    snapshot_batch(people, DAY, run_id="same-run")
    requests.delete(f"{sandbox.url}/__sandbox/counters", timeout=5)
    summary = snapshot_batch(people, DAY, run_id="same-run")
    assert summary["by_status"] == {"skipped": 3}
    assert requests.get(f"{sandbox.url}/__sandbox/counters", timeout=5).json()["total"] == 0


def test_persistent_server_errors_fail_the_batch_for_a_retry_after_the_others_load(sandbox, people):
    fault(sandbox, server_errors={"count": 4, "status": 502})  # more than the retries of one call
    with pytest.raises(BatchIncomplete, match="1 of 3 people failed"):
        snapshot_batch(people, DAY, run_id="r1")
    with open_database() as db:
        statuses = sorted(r["status"].replace("partial", "success") for r in db.runs.find())
    assert statuses == ["failed", "success", "success"]


def test_the_time_travelling_source_answers_as_of_the_snapshot_date(sandbox, people):
    snapshot_batch(people[:1], DAY, run_id="r1")
    with open_database() as db:
        newest = db.plays.find_one({"user_id": people[0]}, sort=[("played_at", -1)])
    assert newest["played_at"].date() <= DAY


def test_a_source_that_cannot_time_travel_refuses_old_dates():
    source = SpotifySource.__new__(SpotifySource)
    source.declared_as_of = None
    today = date(2026, 11, 22)
    source.check_snapshot_date(today, today=today)
    source.check_snapshot_date(today - timedelta(days=1), today=today)
    with pytest.raises(SnapshotDateError, match="today .2026-11-22. or yesterday only"):
        source.check_snapshot_date(date(2026, 11, 1), today=today)
    source.declared_as_of = "2026-11-02"
    with pytest.raises(SnapshotDateError, match="as of 2026-11-02, not 2026-11-01"):
        source.check_snapshot_date(date(2026, 11, 1), today=today)


def test_unknown_users_and_time_ranges_are_named(sandbox, people):
    with pytest.raises(ValueError, match="Unknown user id.*nobody"):
        plan_batches(user_ids=["nobody", people[0]])
    with pytest.raises(ValueError, match="Unknown time range"):
        snapshot_batch(people, DAY, run_id="r1", time_ranges=["forever"])


def test_a_batch_opens_the_store_once_for_all_its_people(sandbox, people, monkeypatch):
    from spotify_etl.storage import backend

    opened = []
    real = backend.database
    monkeypatch.setattr(backend, "database", lambda *a, **k: opened.append(1) or real(*a, **k))
    summary = snapshot_batch(people, DAY, run_id="once")
    assert loaded(summary["by_status"]) == 3 == sum(summary["by_status"].values())
    assert len(opened) == 1


def test_the_access_expiry_check_logs_each_person_and_never_fails_the_summary(data_dir, caplog,
                                                                             monkeypatch):
    from datetime import UTC, datetime

    from spotify_etl.pipeline.snapshot import access_expiry_check

    monkeypatch.delenv("AIRFLOW__SMTP__SMTP_HOST", raising=False)
    database().users.insert_one({
        "_id": "ada", "display_name": "Ada", "status": "active",
        "consented_at": datetime(2026, 5, 20, tzinfo=UTC),
        "refresh_token_expires_at": datetime(2026, 11, 18, tzinfo=UTC)})
    caplog.set_level("WARNING", logger="spotify_etl")
    result = access_expiry_check(today=date(2026, 11, 10))
    assert [(p["user_id"], p["days_left"]) for p in result["access_ending"]] == [("ada", 8)]
    assert result["reminded"] == []
    assert "Spotify access of Ada (ada) ends in 8 days (2026-11-18" in caplog.text
    from spotify_etl.pipeline import snapshot as snapshot_module

    failures = []
    monkeypatch.setattr(snapshot_module.log, "exception",
                        lambda message, *args: failures.append(message % args if args else message))
    monkeypatch.setenv("MONGODB_URI", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200")
    monkeypatch.setenv("SPOTIFY_ETL_MONGO_TIMEOUT_MS", "200")
    assert access_expiry_check(today=date(2026, 11, 10)) == {"access_ending": [],
                                                             "reminded": []}
    assert failures == ["The access expiry check failed"]


def test_the_snapshot_date_is_the_day_the_run_covers_or_the_day_before_it_is_due():
    from types import SimpleNamespace

    import pendulum

    from spotify_etl.pipeline.snapshot import snapshot_date_for

    midnight = pendulum.datetime(2026, 11, 13, tz="UTC")
    scheduled = {"data_interval_start": midnight.subtract(days=1), "data_interval_end": midnight,
                 "logical_date": midnight.subtract(days=1)}
    assert snapshot_date_for(scheduled) == date(2026, 11, 12)
    # Triggered without a logical date (the REST API's "logical_date": null): only the
    # dag_run knows when the run is due.
    unscheduled = {"data_interval_start": None, "data_interval_end": None,
                   "dag_run": SimpleNamespace(run_after=midnight)}
    assert snapshot_date_for(unscheduled) == date(2026, 11, 12)
