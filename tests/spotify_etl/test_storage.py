from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest

from spotify_etl.settings import load_settings
from spotify_etl.storage import backend_name, ensure_indexes, open_database


def test_embedded_store_is_used_when_no_mongodb_is_configured(data_dir):
    assert backend_name() == "embedded"


def test_mongodb_uri_selects_a_real_server(data_dir, monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "mongodb://127.0.0.1:1")
    assert backend_name() == "mongodb-uri"
    monkeypatch.setenv("AIRFLOW_CONN_MONGO_DEFAULT", "mongo://127.0.0.1:1/")
    assert backend_name() == "airflow-connection"


def test_embedded_store_persists_documents_types_and_indexes(data_dir):
    played_at = datetime(2026, 11, 20, 21, 4, 5, 123000, tzinfo=UTC)
    with open_database() as db:
        ensure_indexes(db)
        db.plays.insert_one({"user_id": "alice", "played_at": played_at, "track_id": "x"})
    from spotify_etl.embedded_store import EmbeddedStore

    fresh = EmbeddedStore(data_dir, load_settings().database)  # a new process would do this
    with fresh.session() as db:
        document = db.plays.find_one({"user_id": "alice"})
        assert document["played_at"] == played_at
        unique = [i for i in db.plays.index_information().values() if i.get("unique")]
        assert unique and unique[0]["key"] == [("user_id", 1), ("played_at", 1)]
        with pytest.raises(Exception, match="[Dd]uplicate"):
            db.plays.insert_one({"user_id": "alice", "played_at": played_at})


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
