"""The embedded store (spotify_etl.storage.embedded): real files, real processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bson
import mongomock_ng
import pytest
from bson import ObjectId
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError


from spotify_etl.storage.embedded import EmbeddedStore

DB = "spotify_etl"


def open_db(directory: Path):
    return EmbeddedStore(directory, DB).database()


def cache(db, name: str):
    """The mongomock CollectionStore behind a collection (our lazy cache)."""
    return db[name]._store


def engine(db) -> EmbeddedStore:
    return db._store._engine


def on_disk(directory: Path, name: str) -> dict:
    """Every document of a collection as a brand-new store loads it from the file."""
    store = EmbeddedStore(directory, DB)
    collection = store._dbstore[name]
    collection._ensure_full()
    documents = dict(collection._documents)
    store.close()
    return documents


def assert_memory_matches_disk(db, directory: Path, name: str) -> None:
    collection = cache(db, name)
    disk = on_disk(directory, name)
    if collection._full:
        assert dict(collection._documents) == disk
    else:
        for key in collection._probed:
            assert collection._documents.get(key) == disk.get(key), key
        for key, document in collection._documents.items():
            assert disk.get(key) == document


def run_python(code: str, *, timeout: float = 120) -> str:
    env = dict(os.environ)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_python(code: str) -> subprocess.Popen:
    env = dict(os.environ)
    return subprocess.Popen([sys.executable, "-u", "-c", textwrap.dedent(code)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# ------------------------------------------------------------------------------ basics
def test_documents_persist_across_store_instances(tmp_path):
    store = EmbeddedStore(tmp_path, DB)
    db = store.database()
    assert db is store.database() and db.name == DB
    assert store.path == tmp_path / "embedded-mongo" / f"{DB}.sqlite3"
    oid = ObjectId()
    db.users.insert_one({"_id": "alice", "status": "active", "tags": ["a", "b"],
                         "nested": {"x": 1, "y": [1, 2, {"z": None}]}})
    db.users.insert_many([{"_id": oid, "n": 1}, {"_id": 7, "n": 2}, {"n": 3}])
    store.close()

    db = open_db(tmp_path)
    assert db.users.find_one({"_id": "alice"})["nested"] == {"x": 1, "y": [1, 2, {"z": None}]}
    assert db.users.find_one({"_id": oid})["n"] == 1
    assert db.users.find_one({"_id": 7})["n"] == 2
    assert db.users.find_one({"_id": 7.0})["n"] == 2  # numbers compare by value, as in MongoDB
    assert db.users.find_one({"n": 3})["_id"].__class__ is ObjectId
    assert db.users.count_documents({}) == 4
    assert [d["_id"] for d in db.users.find()][:3] == ["alice", oid, 7]  # insertion order
    assert sorted(db.list_collection_names()) == ["users"]
    assert [c["name"] for c in db.list_collections()] == ["users"]
    assert next(iter(db.list_collections()))["type"] == "collection"
    assert db.command("ping")["ok"] == 1.0
    with pytest.raises(DuplicateKeyError):
        db.users.insert_one({"_id": "alice"})


def test_tz_aware_datetimes_round_trip(tmp_path):
    db = open_db(tmp_path)
    played_at = datetime(2026, 11, 20, 21, 4, 5, 123456, tzinfo=UTC)
    local = datetime(2026, 11, 20, 23, 4, 5, tzinfo=__import__("datetime").timezone(
        timedelta(hours=2)))
    db.plays.insert_one({"_id": "p1", "played_at": played_at, "local": local,
                         "list": [played_at]})
    fresh = open_db(tmp_path)
    document = fresh.plays.find_one({"_id": "p1"})
    assert document["played_at"] == played_at.replace(microsecond=123000)  # ms, like MongoDB
    assert document["played_at"].utcoffset() == timedelta(0)
    assert document["local"] == datetime(2026, 11, 20, 21, 4, 5, tzinfo=UTC)
    assert document["list"][0].tzinfo is not None
    assert fresh.plays.count_documents({"played_at": {"$gte": played_at - timedelta(1)}}) == 1
    # the process that wrote sees the same values as the one that read the file
    assert db.plays.find_one({"_id": "p1"}) == document


def test_upserts_and_update_operators_persist(tmp_path):
    db = open_db(tmp_path)
    result = db.artists.update_one(
        {"_id": "a1"}, {"$set": {"name": "A"}, "$setOnInsert": {"first": "2026-01-01"},
                        "$max": {"last_seen": "2026-01-01"}, "$inc": {"seen": 1}}, upsert=True)
    assert result.upserted_id == "a1" and result.matched_count == 0
    result = db.artists.update_one(
        {"_id": "a1"}, {"$set": {"name": "B", "genres": ["x", "y", "z"], "gone": 1},
                        "$setOnInsert": {"first": "never"}, "$max": {"last_seen": "2025-01-01"},
                        "$inc": {"seen": 2}}, upsert=True)
    assert (result.matched_count, result.modified_count, result.upserted_id) == (1, 1, None)
    db.artists.update_one({"_id": "a1"}, {"$unset": {"gone": ""}, "$pull": {"genres": "y"},
                                          "$push": {"log": 1}})
    db.artists.update_many({"_id": {"$in": ["a1", "a2"]}}, {"$max": {"last_seen": "2026-02-01"}})
    db.artists.replace_one({"_id": "a3"}, {"name": "C"}, upsert=True)
    before = db.artists.find_one_and_update({"_id": "a3"}, {"$set": {"name": "D"}})
    assert before["name"] == "C"

    fresh = open_db(tmp_path)
    assert fresh.artists.find_one({"_id": "a1"}) == {
        "_id": "a1", "name": "B", "first": "2026-01-01", "last_seen": "2026-02-01", "seen": 3,
        "genres": ["x", "z"], "log": [1]}
    assert fresh.artists.find_one({"_id": "a3"}) == {"_id": "a3", "name": "D"}
    assert fresh.artists.count_documents({}) == 2


def test_bulk_write_counts_and_results_persist(tmp_path):
    db = open_db(tmp_path)
    db.top_items.insert_many([{"_id": f"k{i}", "rank": i, "day": "d1"} for i in range(10)])
    result = db.top_items.bulk_write([
        UpdateOne({"_id": "k1"}, {"$set": {"rank": 100}}, upsert=True),       # modified
        UpdateOne({"_id": "k2"}, {"$set": {"rank": 2}}, upsert=True),         # matched, same
        UpdateOne({"_id": "new1"}, {"$set": {"rank": 11}}, upsert=True),      # upserted
        ReplaceOne({"_id": "k3"}, {"rank": 3, "replaced": True}),             # modified
        ReplaceOne({"_id": "new2"}, {"rank": 12}, upsert=True),               # upserted
        DeleteOne({"_id": "k4"}),
        DeleteMany({"_id": {"$in": ["k5", "k6", "missing"]}}),
        DeleteMany({"rank": {"$gte": 8, "$lt": 10}}),                         # k8, k9
        InsertOne({"_id": "ins", "rank": 50}),
        UpdateMany({"day": "d1"}, {"$set": {"day": "d2"}}),
    ], ordered=False)
    assert result.upserted_count == 2
    assert result.inserted_count == 1
    assert result.deleted_count == 5
    assert result.matched_count == 3 + 4  # k1, k2, k3, then k0, k1, k2, k7 for the UpdateMany
    assert result.modified_count == 2 + 4
    assert sorted(result.upserted_ids.values()) == ["new1", "new2"]

    fresh = open_db(tmp_path)
    assert sorted(d["_id"] for d in fresh.top_items.find()) == sorted(
        ["k0", "k1", "k2", "k3", "k7", "new1", "new2", "ins"])
    assert fresh.top_items.find_one({"_id": "k3"}) == {"_id": "k3", "rank": 3, "replaced": True}
    assert fresh.top_items.count_documents({"day": "d2"}) == 4


def test_deletes_persist_and_ids_can_come_back(tmp_path):
    db = open_db(tmp_path)
    db.runs.insert_many([{"_id": f"r{i}", "status": "ok" if i % 2 else "failed"}
                         for i in range(20)])
    assert db.runs.delete_one({"_id": "r0"}).deleted_count == 1
    assert db.runs.delete_many({"status": "failed"}).deleted_count == 9
    fresh = open_db(tmp_path)
    assert fresh.runs.count_documents({}) == 10
    assert fresh.runs.find_one({"_id": "r2"}) is None
    fresh.runs.insert_one({"_id": "r2", "status": "again"})
    assert open_db(tmp_path).runs.find_one({"_id": "r2"})["status"] == "again"
    assert db.runs.find_one({"_id": "r2"})["status"] == "again"  # caught up
    assert db.runs.delete_many({}).deleted_count == 11
    again = open_db(tmp_path)
    assert again.runs.count_documents({}) == 0
    assert "runs" in again.list_collection_names()  # MongoDB: emptied, not dropped


def test_indexes_persist(tmp_path):
    db = open_db(tmp_path)
    db.plays.create_index([("user_id", 1), ("played_at", -1)])
    db.plays.create_index("track_id", name="by_track")
    db.plays.create_index([("isrc", 1)], unique=True, sparse=True)
    db.plays.create_index([("gone", 1)])
    db.plays.drop_index("gone_1")
    fresh = open_db(tmp_path)
    info = fresh.plays.index_information()
    assert info["user_id_1_played_at_-1"]["key"] == [("user_id", 1), ("played_at", -1)]
    assert info["by_track"]["key"] == [("track_id", 1)]
    assert info["isrc_1"]["unique"] is True and info["isrc_1"]["sparse"] is True
    assert "gone_1" not in info and "_id_" in info
    assert "plays" in fresh.list_collection_names()
    # creating it again is a no-op, as on MongoDB
    assert fresh.plays.create_index([("user_id", 1), ("played_at", -1)]) == "user_id_1_played_at_-1"
    assert [i["name"] for i in fresh.plays.list_indexes()] == [
        "_id_", "user_id_1_played_at_-1", "by_track", "isrc_1"]


def test_unique_index_is_enforced_on_a_reopened_partially_loaded_collection(tmp_path):
    db = open_db(tmp_path)
    db.tracks.create_index("isrc", unique=True)
    db.tracks.insert_many([{"_id": f"t{i}", "isrc": f"I{i}"} for i in range(100)])
    fresh = open_db(tmp_path)
    assert fresh.tracks.find_one({"_id": "t1"})["isrc"] == "I1"
    assert not cache(fresh, "tracks")._full
    with pytest.raises(DuplicateKeyError):
        fresh.tracks.insert_one({"_id": "other", "isrc": "I50"})
    with pytest.raises(DuplicateKeyError):
        fresh.tracks.update_one({"_id": "t1"}, {"$set": {"isrc": "I2"}})
    with pytest.raises(DuplicateKeyError):
        open_db(tmp_path).tracks.update_one({"_id": "t3"}, {"$set": {"isrc": "I4"}},
                                            upsert=True)
    assert open_db(tmp_path).tracks.count_documents({"isrc": {"$in": ["I50", "I2", "I4"]}}) == 3
    assert fresh.tracks.find_one({"_id": "t1"})["isrc"] == "I1"
    assert fresh.tracks.find_one({"_id": "other"}) is None
    assert_memory_matches_disk(fresh, tmp_path, "tracks")


# ------------------------------------------------------------------------ partial cache
def test_id_lookups_on_a_big_collection_do_not_load_the_rest(tmp_path):
    db = open_db(tmp_path)
    db.top_items.insert_many([{"_id": f"u|{i}", "rank": i % 50, "user": f"u{i % 7}"}
                              for i in range(5000)])
    store = EmbeddedStore(tmp_path, DB)
    fresh = store.database()
    top = fresh.top_items
    assert top.find_one({"_id": "u|10"})["rank"] == 10
    assert sorted(d["_id"] for d in top.find({"_id": {"$in": ["u|1", "u|2", "nope"]}})) == [
        "u|1", "u|2"]
    assert top.count_documents({"_id": {"$in": ["u|1", "u|3"]}}) == 2
    assert top.find_one({"_id": "u|20", "rank": {"$gt": 100}}) is None  # _id and more
    assert top.find_one({"_id": "u|70", "rank": 20})["_id"] == "u|70"
    top.update_one({"_id": "u|11"}, {"$set": {"rank": -1}})
    top.bulk_write([UpdateOne({"_id": f"u|{i}"}, {"$inc": {"rank": 1}}, upsert=True)
                    for i in range(4990, 5010)] + [DeleteMany({"_id": {"$in": ["u|12"]}})])
    top.delete_one({"_id": "u|13"})
    assert top.count_documents({}) == 5000 + 10 - 2  # counted in SQLite, no load either
    assert top.estimated_document_count() == 5008
    assert store._stats["full_loads"] == 0
    assert len(cache(fresh, "top_items")._documents) < 50
    assert store._stats["documents_loaded"] < 50

    # u|12 and u|13 (deleted) are users u5 and u6; the upserted ones have no user
    assert top.count_documents({"user": "u3"}) == len([i for i in range(5000) if i % 7 == 3])
    assert store._stats["full_loads"] == 1
    assert len(cache(fresh, "top_items")._documents) == 5008
    assert top.find_one({"_id": "u|11"})["rank"] == -1
    assert top.find_one({"_id": "u|5005"})["rank"] == 1
    assert_memory_matches_disk(fresh, tmp_path, "top_items")


def test_queries_after_reopen(tmp_path):
    db = open_db(tmp_path)
    day = datetime(2026, 1, 1, tzinfo=UTC)
    db.top_items.insert_many([
        {"_id": f"{user}|{rank}", "user_id": user, "rank": rank, "kind": kind,
         "genres": ["pop", f"g{rank % 3}"], "at": day + timedelta(days=rank)}
        for user in ("alice", "bob") for rank in range(1, 6) for kind in ("tracks",)])
    db.users.insert_many([{"_id": "alice", "last": 5}, {"_id": "bob", "last": 3}])
    fresh = open_db(tmp_path)
    top = fresh.top_items
    ranked = list(top.find({"user_id": "alice"}, {"rank": 1, "_id": 0})
                  .sort("rank", -1).limit(2))
    assert ranked == [{"rank": 5}, {"rank": 4}]
    assert [d["rank"] for d in top.find({"user_id": "bob"}).sort([("rank", 1)]).skip(3)] == [4, 5]
    assert sorted(top.distinct("user_id")) == ["alice", "bob"]
    assert sorted(top.distinct("genres", {"rank": {"$lte": 2}})) == ["g1", "g2", "pop"]
    assert top.count_documents({"at": {"$gt": day + timedelta(days=3)}}) == 4
    rows = list(top.aggregate([{"$match": {"rank": {"$lte": 3}}},
                               {"$group": {"_id": "$user_id", "n": {"$sum": 1},
                                           "best": {"$min": "$rank"}}},
                               {"$sort": {"_id": 1}}]))
    assert rows == [{"_id": "alice", "n": 3, "best": 1}, {"_id": "bob", "n": 3, "best": 1}]
    joined = list(fresh.users.aggregate([
        {"$lookup": {"from": "top_items", "let": {"u": "$_id", "r": "$last"},
                     "pipeline": [{"$match": {"$expr": {"$and": [
                         {"$eq": ["$user_id", "$$u"]}, {"$eq": ["$rank", "$$r"]}]}}}],
                     "as": "items"}},
        {"$unwind": "$items"}, {"$replaceRoot": {"newRoot": "$items"}},
        {"$sort": {"_id": 1}}]))
    assert [d["_id"] for d in joined] == ["alice|5", "bob|3"]
    assert joined[0]["at"].tzinfo is not None


# ---------------------------------------------------------------------- other processes
def test_another_process_sees_writes_and_this_one_catches_up(tmp_path):
    db = open_db(tmp_path)
    db.users.insert_many([{"_id": f"u{i}", "n": i} for i in range(10)])
    db.plays.insert_many([{"_id": f"p{i}", "n": i} for i in range(10)])
    assert db.users.count_documents({"n": {"$gte": 0}}) == 10  # users: fully loaded
    assert db.plays.find_one({"_id": "p1"})["n"] == 1          # plays: partially loaded
    out = run_python(f"""
        import json
        from spotify_etl.storage.embedded import EmbeddedStore
        db = EmbeddedStore({str(tmp_path)!r}, {DB!r}).database()
        seen = [db.users.count_documents({{}}), db.plays.find_one({{"_id": "p3"}})["n"]]
        db.users.update_one({{"_id": "u1"}}, {{"$set": {{"n": 100}}}})
        db.users.delete_one({{"_id": "u2"}})
        db.users.insert_one({{"_id": "u10", "n": 10}})
        db.plays.update_one({{"_id": "p1"}}, {{"$set": {{"n": 101}}}})
        db.plays.delete_one({{"_id": "p3"}})
        db.plays.insert_one({{"_id": "p10", "n": 10}})
        db.tokens.insert_one({{"_id": "t"}})
        db.runs.create_index("day")
        print(json.dumps(seen))
    """)
    assert json.loads(out) == [10, 3]
    assert db.users.find_one({"_id": "u1"})["n"] == 100
    assert sorted(d["_id"] for d in db.users.find({"n": {"$gte": 10}})) == ["u1", "u10"]
    assert db.users.count_documents({"_id": "u2"}) == 0
    assert db.plays.find_one({"_id": "p1"})["n"] == 101
    assert db.plays.find_one({"_id": "p3"}) is None
    assert db.plays.count_documents({"n": {"$gte": 0}}) == 10
    assert sorted(db.list_collection_names()) == ["plays", "runs", "tokens", "users"]
    assert "day_1" in db.runs.index_information()
    for name in ("users", "plays"):
        assert_memory_matches_disk(db, tmp_path, name)


INCREMENT = """
    import sys
    from spotify_etl.storage.embedded import EmbeddedStore
    db = EmbeddedStore({directory!r}, {database!r}).database()
    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range({times}):
        db.counters.update_one({{"_id": "n"}}, {{"$inc": {{"value": 1}}}}, upsert=True)
"""


def test_two_processes_incrementing_the_same_document_lose_nothing(tmp_path):
    db = open_db(tmp_path)
    db.counters.insert_one({"_id": "other"})
    env = dict(os.environ)
    code = textwrap.dedent(INCREMENT.format(directory=str(tmp_path), database=DB, times=500))
    workers = [subprocess.Popen([sys.executable, "-u", "-c", code], env=env, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE) for _ in range(2)]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:  # both loops start together
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        _, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
    assert db.counters.find_one({"_id": "n"})["value"] == 1000
    assert open_db(tmp_path).counters.find_one({"_id": "n"})["value"] == 1000


def test_threads_sharing_one_store_lose_nothing(tmp_path):
    import threading

    db = open_db(tmp_path)

    def work():
        for _ in range(200):
            db.counters.update_one({"_id": "n"}, {"$inc": {"value": 1}}, upsert=True)
            db.counters.find_one({"_id": "n"})

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert open_db(tmp_path).counters.find_one({"_id": "n"})["value"] == 800


def _forked_writer(db) -> None:
    db.users.update_one({"_id": "alice"}, {"$set": {"from": "child"}}, upsert=True)
    db.users.insert_one({"_id": "child"})


def test_a_forked_process_can_keep_using_the_parents_database(tmp_path):
    db = open_db(tmp_path)
    db.users.insert_one({"_id": "alice"})
    child = multiprocessing.get_context("fork").Process(target=_forked_writer, args=(db,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert db.users.find_one({"_id": "alice"})["from"] == "child"
    assert db.users.count_documents({}) == 2
    db.users.insert_one({"_id": "parent"})
    assert open_db(tmp_path).users.count_documents({}) == 3


BULK = """
    import sys, time
    from pymongo import UpdateOne
    from spotify_etl.storage.embedded import EmbeddedStore
    store = EmbeddedStore({directory!r}, {database!r})
    db = store.database()
    if {pause_before_commit!r}:
        real = EmbeddedStore._flush_definitions
        def paused(self):
            real(self)
            print("rows written, not committed", flush=True)
            time.sleep(60)
        EmbeddedStore._flush_definitions = paused
    ops = [UpdateOne({{"_id": "doc%d" % i}}, {{"$set": {{"round": {round}, "i": i}}}},
                     upsert=True) for i in range({n})]
    print("start", flush=True)
    started = time.perf_counter()
    db.top_items.bulk_write(ops, ordered=False)
    print("done %.3f" % (time.perf_counter() - started), flush=True)
"""


def _all_or_nothing(directory: Path, n: int) -> set:
    db = open_db(directory)
    rounds = [d.get("round") for d in db.top_items.find({"i": {"$exists": True}})]
    assert len(rounds) in (0, n), len(rounds)
    return set(rounds)


def test_a_process_killed_during_a_large_bulk_write_leaves_all_or_nothing(tmp_path):
    n = 4000
    # 1. killed after every row went to SQLite, before COMMIT: nothing is there
    proc = start_python(BULK.format(directory=str(tmp_path), database=DB, n=n, round=1,
                                    pause_before_commit=True))
    assert proc.stdout.readline().strip() == "start"
    assert proc.stdout.readline().strip() == "rows written, not committed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _all_or_nothing(tmp_path, n) == set()
    # 2. a clean run: everything
    out = run_python(BULK.format(directory=str(tmp_path), database=DB, n=n, round=2,
                                 pause_before_commit=False))
    duration = float(out.split()[-1])
    assert _all_or_nothing(tmp_path, n) == {2}
    # 3. killed at moments spread over the operation: round 2 or round 3, never a mix
    for round_, fraction in enumerate((0.4, 0.9, 0.93, 0.96, 0.99, 1.02), start=3):
        proc = start_python(BULK.format(directory=str(tmp_path), database=DB, n=n,
                                        round=round_, pause_before_commit=False))
        assert proc.stdout.readline().strip() == "start"
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rounds = _all_or_nothing(tmp_path, n)
        assert len(rounds) == 1 and rounds <= set(range(2, round_ + 1))
    # the lock died with the process: writing works at once
    db = open_db(tmp_path)
    db.top_items.update_one({"_id": "doc1"}, {"$set": {"after": True}})
    assert open_db(tmp_path).top_items.find_one({"_id": "doc1"})["after"] is True


# ---------------------------------------------------------------------------- failures
def test_a_failing_ordered_bulk_changes_nothing_and_memory_equals_disk(tmp_path):
    db = open_db(tmp_path)
    db.top_items.insert_many([{"_id": f"k{i}", "rank": i} for i in range(10)])
    assert db.top_items.count_documents({"rank": {"$gte": 0}}) == 10  # fully loaded
    with pytest.raises(BulkWriteError) as caught:
        db.top_items.bulk_write([
            UpdateOne({"_id": "k1"}, {"$set": {"rank": 100}}),
            InsertOne({"_id": "k20", "rank": 20}),
            DeleteOne({"_id": "k2"}),
            InsertOne({"_id": "k3"}),  # duplicate key: the ordered bulk stops here
            UpdateOne({"_id": "k4"}, {"$set": {"rank": 400}}),
        ])
    assert caught.value.details["writeErrors"][0]["index"] == 3
    # All or nothing (unlike MongoDB, which keeps the operations before the error).
    assert db.top_items.find_one({"_id": "k1"})["rank"] == 1
    assert db.top_items.find_one({"_id": "k20"}) is None
    assert db.top_items.find_one({"_id": "k2"}) is not None
    assert_memory_matches_disk(db, tmp_path, "top_items")
    assert on_disk(tmp_path, "top_items") == {f"k{i}": {"_id": f"k{i}", "rank": i}
                                              for i in range(10)}
    # the store goes on working
    db.top_items.update_one({"_id": "k1"}, {"$set": {"rank": 101}})
    assert open_db(tmp_path).top_items.find_one({"_id": "k1"})["rank"] == 101


def test_an_update_failing_half_way_leaves_memory_equal_to_disk(tmp_path):
    db = open_db(tmp_path)
    db.users.insert_one({"_id": "alice", "n": 1, "name": "x"})
    fresh = open_db(tmp_path)  # partially loaded
    for target in (db, fresh):
        with pytest.raises(WriteError):
            # mongomock applies $set in place, then fails on $pop of a non-array
            target.users.update_one({"_id": "alice"}, {"$set": {"n": 2}, "$pop": {"name": 1}})
        assert target.users.find_one({"_id": "alice"}) == {"_id": "alice", "n": 1, "name": "x"}
        assert_memory_matches_disk(target, tmp_path, "users")


def test_an_unencodable_value_is_refused_and_nothing_is_kept(tmp_path):
    db = open_db(tmp_path)
    db.users.insert_one({"_id": "alice", "n": 1})
    with pytest.raises(Exception):  # noqa: B017 - bson refuses a set
        db.users.update_one({"_id": "alice"}, {"$set": {"n": {1, 2}}})
    assert db.users.find_one({"_id": "alice"}) == {"_id": "alice", "n": 1}
    db.users.create_index("n")
    with pytest.raises(Exception):  # noqa: B017
        db.users.bulk_write([InsertOne({"_id": "bob"}),
                             UpdateOne({"_id": "alice"}, {"$set": {"n": object()}})])
    assert db.users.find_one({"_id": "bob"}) is None
    assert "n_1" in db.users.index_information()
    assert_memory_matches_disk(db, tmp_path, "users")


# --------------------------------------------------------------------- collection level
def test_drop_and_rename_persist_and_reach_other_stores(tmp_path):
    db = open_db(tmp_path)
    other = open_db(tmp_path)
    db.users.insert_many([{"_id": f"u{i}"} for i in range(5)])
    db.users.create_index("status")
    db.plays.insert_one({"_id": "p"})
    assert other.users.count_documents({"_id": {"$exists": True}}) == 5  # cached there
    db.users.drop()
    db.drop_collection("plays")
    assert other.users.count_documents({"_id": {"$exists": True}}) == 0
    assert other.users.index_information() == {}
    assert sorted(other.list_collection_names()) == []
    db.users.insert_one({"_id": "again"})
    assert [d["_id"] for d in other.users.find()] == ["again"]

    db.tracks.insert_many([{"_id": f"t{i}", "n": i} for i in range(3)])
    db.tracks.create_index("n")
    db.tracks.rename("songs")
    fresh = open_db(tmp_path)
    assert sorted(fresh.list_collection_names()) == ["songs", "users"]
    assert fresh.songs.count_documents({"n": {"$gte": 0}}) == 3
    assert "n_1" in fresh.songs.index_information()
    assert fresh.tracks.count_documents({}) == 0
    assert sorted(other.list_collection_names()) == ["songs", "users"]


def test_aggregate_out_persists_and_sessions_are_refused(tmp_path):
    db = open_db(tmp_path)
    db.top_items.insert_many([{"_id": i, "v": i} for i in range(6)])
    list(db.top_items.aggregate([{"$match": {"v": {"$gte": 2}}}, {"$out": "copy"}]))
    assert sorted(d["_id"] for d in open_db(tmp_path).copy.find()) == [2, 3, 4, 5]
    list(db.top_items.aggregate([{"$match": {"v": {"$gte": 5}}}, {"$out": "copy"}]))
    assert sorted(d["_id"] for d in open_db(tmp_path).copy.find()) == [5]
    with pytest.raises(NotImplementedError):
        db.client.start_session()


def test_ttl_expiry_noticed_during_a_read_is_persisted(tmp_path, monkeypatch):
    db = open_db(tmp_path)
    db.sessions.create_index("at", expireAfterSeconds=60)
    now = datetime.now(UTC)
    db.sessions.insert_many([{"_id": "old", "at": now}, {"_id": "new", "at": now + timedelta(1)}])
    assert on_disk(tmp_path, "sessions").keys() == {"old", "new"}
    later = (now + timedelta(minutes=5)).replace(tzinfo=None)
    monkeypatch.setattr(mongomock_ng, "utcnow", lambda: later)  # what the TTL check reads
    assert [d["_id"] for d in db.sessions.find()] == ["new"]  # a read expires "old"...
    assert on_disk(tmp_path, "sessions").keys() == {"new"}    # ...and that is written
    assert_memory_matches_disk(db, tmp_path, "sessions")


def test_create_collection_options_and_validation_persist(tmp_path):
    db = open_db(tmp_path)
    db.create_collection("users", validator={"name": {"$exists": True}})
    with pytest.raises(WriteError):
        db.users.insert_one({"_id": "nameless"})
    fresh = open_db(tmp_path)
    assert "users" in fresh.list_collection_names()
    assert fresh.users.options()["validator"] == {"name": {"$exists": True}}
    with pytest.raises(WriteError):
        fresh.users.insert_one({"_id": "nameless"})
    fresh.users.insert_one({"_id": "named", "name": "x"})
    db.command("collMod", "users", validator={"other": {"$exists": True}})
    assert open_db(tmp_path).users.options()["validator"] == {"other": {"$exists": True}}
    with pytest.raises(WriteError):
        fresh.users.insert_one({"_id": "no-other", "name": "x"})  # caught up


def test_plain_mongomock_clients_are_left_alone(tmp_path):
    from mongomock_ng.collection import Collection
    from mongomock_ng.store import CollectionStore

    iter_before = Collection._iter_documents
    db = open_db(tmp_path)
    db.users.insert_one({"_id": "x"})
    assert Collection._iter_documents is iter_before
    plain = mongomock_ng.MongoClient().other
    plain.users.insert_one({"_id": "x"})
    assert type(plain.users) is Collection
    assert type(plain.users._store) is CollectionStore
    assert plain.users.find_one({"_id": "x"}) == {"_id": "x"}
    # an EmbeddedStore's collections keep their type through with_options
    from bson.codec_options import CodecOptions
    assert type(db.users.with_options(codec_options=CodecOptions())).__name__ == \
        "EmbeddedCollection"


def test_a_closed_store_refuses_work(tmp_path):
    store = EmbeddedStore(tmp_path, DB)
    db = store.database()
    db.users.insert_one({"_id": "x"})
    store.close()
    with pytest.raises(mongomock_ng.InvalidOperation):
        db.users.find_one({"_id": "x"})
    with pytest.raises(mongomock_ng.InvalidOperation):
        store.database()
    assert open_db(tmp_path).users.find_one({"_id": "x"}) == {"_id": "x"}


def test_the_previous_stores_data_is_imported_once(tmp_path):
    legacy = tmp_path / "embedded-mongo" / DB / "gen-3"
    legacy.mkdir(parents=True)
    (legacy.parent / "CURRENT").write_text("gen-3")
    played = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    (legacy / "plays.bson").write_bytes(b"".join(bson.encode(d) for d in (
        {"_id": "b", "at": played}, {"_id": "a", "at": played})))
    (legacy / "indexes.json").write_text(json.dumps(
        {"plays": [{"name": "at_-1", "key": [["at", -1]], "unique": False}]}))
    db = open_db(tmp_path)
    assert [d["_id"] for d in db.plays.find()] == ["b", "a"]
    assert db.plays.find_one({"_id": "a"})["at"] == played
    assert db.plays.index_information()["at_-1"]["key"] == [("at", -1)]
    db.plays.delete_one({"_id": "a"})
    assert [d["_id"] for d in open_db(tmp_path).plays.find()] == ["b"]  # not imported again


def test_memory_equals_disk_after_a_mixed_workload(tmp_path):
    db = open_db(tmp_path)
    other = open_db(tmp_path)
    for round_ in range(5):
        ops = [UpdateOne({"_id": f"d{(round_ * 13 + i) % 60}"},
                         {"$set": {"r": round_}, "$inc": {"n": 1},
                          "$push": {"log": round_}}, upsert=True) for i in range(25)]
        ops.append(DeleteMany({"_id": {"$in": [f"d{round_ * 7}", f"d{round_ * 7 + 1}"]}}))
        (db if round_ % 2 else other).top_items.bulk_write(ops, ordered=False)
        other.top_items.update_many({"r": round_ - 1}, {"$set": {"older": True}})
        db.top_items.find_one({"_id": "d3"})
    for target in (db, other):
        target.top_items.find_one({"_id": "d1"})
        assert_memory_matches_disk(target, tmp_path, "top_items")
    assert sorted(d["_id"] for d in db.top_items.find()) == sorted(
        d["_id"] for d in other.top_items.find())


def test_cursors_give_what_mongomock_gives_and_slice_once(tmp_path):
    """The store's cursor keeps its skip/limit slice (mongomock re-slices on every next())."""
    reference = mongomock_ng.MongoClient(tz_aware=True)["db"].things
    db = open_db(tmp_path)
    documents = [{"_id": i, "n": i % 7, "at": datetime(2026, 1, 1, tzinfo=UTC)
                  + timedelta(minutes=i)} for i in range(300)]
    reference.insert_many([dict(d) for d in documents])
    db.things.insert_many([dict(d) for d in documents])
    for make in (lambda c: c.find({"n": {"$gt": 2}}),
                 lambda c: c.find().sort("n", -1).skip(10).limit(25),
                 lambda c: c.find({}, {"n": 1}).skip(290),
                 lambda c: c.find().limit(-3),
                 lambda c: c.find().sort([("n", 1), ("_id", -1)]).clone()):
        assert list(make(db.things)) == list(make(reference))
    cursor = db.things.find().skip(5).limit(50)
    first = [next(cursor) for _ in range(3)]
    cursor.rewind()
    assert [next(cursor) for _ in range(3)] == first
    slices = []
    real = list.__getitem__

    class Watched(list):
        def __getitem__(self, index):
            if isinstance(index, slice):
                slices.append(index)
            return real(self, index)

    cursor = db.things.find()
    cursor._compute_results()  # mongomock computes the results once...
    cursor._results = Watched(cursor._results)
    assert len(list(cursor)) == 300
    assert len(slices) == 1  # ...and here they are sliced once, not once per document
