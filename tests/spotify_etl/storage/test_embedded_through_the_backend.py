"""The embedded store as the project uses it: through `open_database`, across processes."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest

from spotify_etl.settings import load_settings
from spotify_etl.storage import document_id, ensure_indexes, open_database


def test_documents_types_and_indexes_survive_a_new_process(data_dir):
    played_at = datetime(2026, 11, 20, 21, 4, 5, 123000, tzinfo=UTC)
    key = document_id("alice", played_at)
    with open_database() as db:
        ensure_indexes(db)
        db.plays.insert_one({"_id": key, "user_id": "alice", "played_at": played_at, "n": 2**40})
    from spotify_etl.storage.embedded import EmbeddedStore

    fresh = EmbeddedStore(data_dir, load_settings().database).database()  # as a new process
    document = fresh.plays.find_one({"user_id": "alice"})
    assert document["played_at"] == played_at and document["n"] == 2**40
    assert document["_id"] == "alice|2026-11-20T21:04:05.123000Z"
    keys = [info["key"] for info in fresh.plays.index_information().values()]
    assert [("user_id", 1), ("played_at", -1)] in keys
    with pytest.raises(Exception, match="[Dd]uplicate"):
        fresh.plays.insert_one({"_id": key, "user_id": "alice"})


def test_id_lookups_answer_exactly_like_a_scan(data_dir):
    with open_database() as db:
        db.artists.insert_many([{"_id": f"a{i}", "n": i} for i in range(20)])
        found = db.artists.find({"_id": {"$in": ["a3", "zz", "a1", "a3"]}})
        assert sorted(d["n"] for d in found) == [1, 3]  # no order promised, as in MongoDB
        assert db.artists.find_one({"_id": "a7"})["n"] == 7
        assert db.artists.find_one({"_id": "missing"}) is None
        assert db.artists.count_documents({"_id": {"$in": ["a2", "a4"]}, "n": {"$gt": 3}}) == 1
        db.artists.update_one({"_id": "a5"}, {"$set": {"n": 50}})
        assert db.artists.count_documents({"n": 50}) == 1
        db.artists.delete_many({"_id": {"$in": ["a0", "a1"]}})
        assert db.artists.count_documents({}) == 18


def _increment(data_dir: str, times: int) -> None:
    import os

    os.environ["SPOTIFY_ETL_DATA_DIR"] = data_dir
    for _ in range(times):
        with open_database() as db:
            db.counters.update_one({"_id": "n"}, {"$inc": {"value": 1}}, upsert=True)


def test_several_processes_share_the_embedded_store_without_losing_writes(data_dir):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_increment, args=(str(data_dir), 15)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    with open_database() as db:
        assert db.counters.find_one({"_id": "n"})["value"] == 45
