from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest

from spotify_etl.settings import load_settings
from spotify_etl.storage import backend_name, document_id, ensure_indexes, open_database


def test_embedded_store_is_used_when_no_mongodb_is_configured(data_dir):
    assert backend_name() == "embedded"


def test_mongodb_uri_selects_a_real_server(data_dir, monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "mongodb://127.0.0.1:1")
    assert backend_name() == "mongodb-uri"
    monkeypatch.setenv("AIRFLOW_CONN_MONGO_DEFAULT", "mongo://127.0.0.1:1/")
    assert backend_name() == "airflow-connection"


def test_embedded_store_persists_documents_types_and_indexes(data_dir):
    played_at = datetime(2026, 11, 20, 21, 4, 5, 123000, tzinfo=UTC)
    key = document_id("alice", played_at)
    with open_database() as db:
        ensure_indexes(db)
        db.plays.insert_one({"_id": key, "user_id": "alice", "played_at": played_at})
    from spotify_etl.embedded_store import EmbeddedStore

    fresh = EmbeddedStore(data_dir, load_settings().database)  # a new process would do this
    with fresh.session() as db:
        document = db.plays.find_one({"user_id": "alice"})
        assert document["played_at"] == played_at
        assert document["_id"] == "alice|2026-11-20T21:04:05.123000Z"
        keys = [info["key"] for info in db.plays.index_information().values()]
        assert [("user_id", 1), ("played_at", -1)] in keys
        with pytest.raises(Exception, match="[Dd]uplicate"):
            db.plays.insert_one({"_id": key, "user_id": "alice"})


def test_id_lookups_answer_exactly_like_a_scan(data_dir):
    with open_database() as db:
        db.artists.insert_many([{"_id": f"a{i}", "n": i} for i in range(20)])
        found = db.artists.find({"_id": {"$in": ["a3", "zz", "a1", "a3"]}})
        assert sorted(d["n"] for d in found) == [1, 3]  # no order promised, as in MongoDB
        assert db.artists.find_one({"_id": "a7"})["n"] == 7
        assert db.artists.find_one({"_id": "missing"}) is None
        db.artists.update_one({"_id": "a5"}, {"$set": {"n": 50}})
        assert db.artists.count_documents({"n": 50}) == 1
        db.artists.delete_many({"_id": {"$in": ["a0", "a1"]}})
        assert db.artists.count_documents({}) == 18


def test_a_failed_session_leaves_the_stored_data_untouched(data_dir):
    with open_database() as db:
        db.users.insert_one({"_id": "alice", "status": "active"})
    with pytest.raises(RuntimeError):
        with open_database() as db:
            db.users.delete_many({})
            db.users.insert_one({"_id": "half-written"})
            raise RuntimeError("crash in the middle of a write")
    with open_database(write=False) as db:
        assert [u["_id"] for u in db.users.find()] == ["alice"]


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
    with open_database(write=False) as db:
        assert db.counters.find_one({"_id": "n"})["value"] == 45


def test_a_commit_killed_half_way_does_not_block_later_writes(data_dir):
    with open_database() as db:
        db.users.insert_one({"_id": "alice"})
    store_dir = next((data_dir / "embedded-mongo").iterdir())
    (store_dir / "gen-2").mkdir()            # renamed into place, CURRENT never switched
    (store_dir / "gen-3.tmp").mkdir()        # staging of a later crash
    with open_database() as db:
        db.users.insert_one({"_id": "bob"})
    from spotify_etl.embedded_store import EmbeddedStore

    with EmbeddedStore(data_dir, load_settings().database).session(write=False) as db:
        assert sorted(u["_id"] for u in db.users.find()) == ["alice", "bob"]


def test_a_failed_commit_is_not_committed_later(data_dir, monkeypatch):
    from spotify_etl.embedded_store import EmbeddedStore

    store = EmbeddedStore(data_dir, load_settings().database)
    with store.session() as db:
        db.users.insert_one({"_id": "alice"})
    real_commit = EmbeddedStore._commit
    monkeypatch.setattr(EmbeddedStore, "_commit", lambda self, db: (_ for _ in ()).throw(
        OSError("disk full")))
    with pytest.raises(OSError):
        with store.session() as db:
            db.users.insert_one({"_id": "lost"})
    monkeypatch.setattr(EmbeddedStore, "_commit", real_commit)
    with store.session() as db:
        db.users.insert_one({"_id": "later"})
    with store.session(write=False) as db:
        assert sorted(u["_id"] for u in db.users.find()) == ["alice", "later"]
