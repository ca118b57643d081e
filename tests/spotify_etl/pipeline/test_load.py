from __future__ import annotations

from datetime import date

import mongomock_ng as mongomock
import pytest

from payloads import recently_played, top_artists, top_tracks
from spotify_etl.pipeline.load import load_user_day
from spotify_etl.storage import ensure_indexes
from spotify_etl.pipeline.transform import transform_user_day

DAY = date(2026, 11, 20)


@pytest.fixture
def db():
    database = mongomock.MongoClient(tz_aware=True).spotify_etl
    ensure_indexes(database)
    return database


def _load(db, tracks=None, user="alice", day=DAY):
    top = {("tracks", "short_term"): top_tracks() if tracks is None else tracks,
           ("artists", "short_term"): top_artists()}
    user_day = transform_user_day(user, day, top, recently_played())
    return load_user_day(db, user, day, user_day, set(top))


def _contents(db):
    return {name: sorted(db[name].find(), key=str) for name in db.list_collection_names()}


def test_rerun_of_same_date_changes_nothing(db):
    _load(db)
    first = _contents(db)
    counts = _load(db)
    assert _contents(db) == first
    assert {k: v for k, v in counts.items() if k != "documents"} == {
        "artists": 0, "albums": 0, "tracks": 0, "top_lists": 0, "plays": 0, "quarantine": 0,
        "quarantined": 5}


def test_first_load_writes_every_collection_once(db):
    _load(db)
    # one document per top list read, its ranked items inside
    tracks = db.top_lists.find_one({"_id": "alice|2026-11-20|tracks|short_term"})
    artists = db.top_lists.find_one({"_id": "alice|2026-11-20|artists|short_term"})
    assert db.top_lists.count_documents({}) == 2
    assert [item["rank"] for item in tracks["items"]] == [1, 4, 6] and tracks["item_count"] == 3
    assert "genres" not in tracks["items"][0] and artists["items"][0]["genres"] is not None
    assert (tracks["user_id"], tracks["snapshot_date"], tracks["kind"], tracks["time_range"]) == (
        "alice", "2026-11-20", "tracks", "short_term")
    assert db.plays.count_documents({}) == 2
    assert db.tracks.count_documents({}) == 3
    # Radiohead and Utada appear only inside tracks: stored with their name, details to come.
    radiohead = db.artists.find_one({"_id": "4Z8W4fKeB5YxbusRsdQVPb"})
    assert radiohead["name"] == "Radiohead" and "details_as_of" not in radiohead
    assert db.artists.find_one({"name": "Björk"})["details_as_of"] == "2026-11-20"


def test_a_shorter_rerun_removes_stale_ranks(db):
    _load(db)
    _load(db, tracks=top_tracks()[:1])
    tracks = db.top_lists.find_one({"_id": "alice|2026-11-20|tracks|short_term"})
    assert [item["rank"] for item in tracks["items"]] == [1] and tracks["item_count"] == 1


def test_a_later_day_keeps_the_earlier_snapshot(db):
    _load(db)
    _load(db, day=date(2026, 11, 21))
    assert sorted(db.top_lists.distinct("snapshot_date")) == ["2026-11-20", "2026-11-21"]
    assert db.plays.count_documents({}) == 2  # same plays, not duplicated
    assert db.tracks.find_one({"name": "Jóga"})["last_seen_date"] == "2026-11-21"


def test_people_are_kept_apart(db):
    _load(db, user="alice")
    _load(db, user="bob")
    assert db.plays.count_documents({"user_id": "bob"}) == 2
    assert db.top_lists.count_documents({"user_id": "alice"}) == 2
    assert db.top_lists.count_documents({"user_id": "bob"}) == 2


def test_a_list_spotify_returned_empty_is_stored_empty_and_replaces_the_old_one(db):
    _load(db)
    _load(db, tracks=[])
    tracks = db.top_lists.find_one({"_id": "alice|2026-11-20|tracks|short_term"})
    assert tracks["items"] == [] and tracks["item_count"] == 0
