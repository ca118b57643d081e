"""The embedded store's write fast path (bulk upserts by `_id` without mongomock's updaters).

The reference is mongomock itself: the same random writes go to a plain mongomock client, to
an embedded store with the fast path and to one without it (mongomock's generic path), and
every document (as BSON: field order and types), every count and every row of the file must
agree. Where mongomock is not MongoDB the fast path follows MongoDB; those cases are tested
on their own, at the end.
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import bson
import mongomock_ng
import pytest
from bson import Int64, ObjectId
from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from spotify_etl.storage import embedded
from spotify_etl.storage.embedded import EmbeddedStore

DB = "spotify_etl"


@contextlib.contextmanager
def generic_path():
    """mongomock's generic path only (the fast path declines every write)."""
    real = embedded._fast_plan
    embedded._fast_plan = lambda entries: None
    try:
        yield
    finally:
        embedded._fast_plan = real


def fast_writes(db) -> int:
    return db._store._engine._stats["fast_writes"]


def as_bson(documents) -> list[bytes]:
    return [bson.encode(document) for document in documents]


def rows(store: EmbeddedStore, name: str) -> list[tuple[str, bytes]]:
    """The collection's rows in the file, in natural order: what another process reads."""
    return store._connection().execute(
        "SELECT id_key, body FROM documents WHERE collection = ? ORDER BY rowid",
        (name,)).fetchall()


def memory_equals_disk(db, directory: Path, name: str) -> None:
    collection = db[name]._store
    fresh = EmbeddedStore(directory, DB)
    disk = fresh._dbstore[name]
    disk._ensure_full()
    keys = collection._documents if collection._full else collection._probed
    for key in keys:
        assert collection._documents.get(key) == disk._documents.get(key), key
        if key in disk._documents:
            assert as_bson([collection._documents[key]]) == as_bson([disk._documents[key]])
    if collection._full:  # the same ids (natural order may differ: see the random test)
        assert set(collection._documents) == set(disk._documents)
    fresh.close()


# --------------------------------------------------------------------- random writes
IDS = [f"k{i}" for i in range(14)] + [3, 7, 2**40] + [ObjectId(b"fastpath%04d" % i)
                                                         for i in range(3)]
PLAIN_FIELDS = ["a", "b", "c", "d", "e", "f"]        # any value: $set, $setOnInsert, replace
ORDERED_FIELDS = {"m_str": "str", "m_num": "num", "m_dt": "dt"}  # $max / $min: one type each
COUNTER_FIELDS = ["n_int", "n_float"]                 # $inc
BASE = datetime(2026, 11, 20, 21, 4, 5, tzinfo=UTC)


def a_datetime(rng: random.Random) -> datetime:
    moment = BASE + timedelta(days=rng.randrange(4), microseconds=rng.randrange(0, 4000, 7))
    form = rng.randrange(3)
    if form == 0:
        return moment                                      # aware UTC
    if form == 1:
        return moment.astimezone(timezone(timedelta(hours=2)))  # aware, another offset
    return moment.replace(tzinfo=None)                     # naive (taken as UTC)


def a_value(rng: random.Random, depth: int = 0):
    """Values whose Python equality is BSON equality (see the module docstring)."""
    kind = rng.randrange(10 if depth == 0 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice(["x", "y", "zé", ""])
    if kind == 2:
        return rng.randrange(2, 12)                        # never 0/1: True/False are bools
    if kind == 3:
        return rng.randrange(4) + 0.5                      # never a whole number
    if kind == 4:
        return a_datetime(rng)
    if kind == 5:
        return rng.choice([True, False])
    if kind == 6:
        return rng.choice([2**40, -(2**35)])               # int64 in BSON
    if kind == 7:
        return {"p": a_value(rng, depth + 1), "q": [a_value(rng, depth + 1)]}
    if kind == 8:
        items = [a_value(rng, depth + 1) for _ in range(rng.randrange(3))]
        return tuple(items) if rng.random() < 0.3 else items
    return ObjectId(b"value-%06d" % rng.randrange(3))


def an_ordered_value(rng: random.Random, kind: str):
    if kind == "str":
        return rng.choice(["2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21"])
    if kind == "num":
        return rng.randrange(2, 8) if rng.random() < 0.5 else rng.randrange(2, 8) + 0.5
    return a_datetime(rng)


def an_update(rng: random.Random) -> dict:
    fields = {"plain": rng.sample(PLAIN_FIELDS, len(PLAIN_FIELDS)),
              "ordered": rng.sample(list(ORDERED_FIELDS), len(ORDERED_FIELDS)),
              "counters": rng.sample(COUNTER_FIELDS, len(COUNTER_FIELDS))}
    update: dict = {}
    operators = ["$set", "$setOnInsert", "$max", "$min", "$inc", "$unset"]
    rng.shuffle(operators)
    for operator in operators[:rng.randrange(1, 5)]:
        if operator in ("$set", "$setOnInsert"):
            pool = fields["plain"]
        elif operator in ("$max", "$min"):
            pool = fields["ordered"]
        elif operator == "$inc":
            pool = fields["counters"]
        else:
            pool = rng.choice([fields["plain"], fields["ordered"], fields["counters"]])
        names = [pool.pop() for _ in range(min(len(pool), rng.randrange(1, 3)))]
        if not names:
            continue
        spec = {}
        for name in names:
            if operator in ("$set", "$setOnInsert"):
                spec[name] = a_value(rng)
            elif operator in ("$max", "$min"):
                spec[name] = an_ordered_value(rng, ORDERED_FIELDS[name])
            elif operator == "$inc":
                spec[name] = (rng.choice([-3, -1, 1, 2, 5]) if name == "n_int"
                              else rng.choice([-1.5, 0.25, 2.5]))
            else:
                spec[name] = ""
        update[operator] = spec
    return update or {"$set": {"a": 2}}


def a_replacement(rng: random.Random, key, revision: int) -> dict:
    document = {}
    if rng.random() < 0.5:
        document["_id"] = key
    # "rev" makes every replacement differ from what it replaces: mongomock compares with
    # Python's ==, blind to field order, MongoDB (and the fast path) by the stored BSON.
    document["rev"] = revision
    for name in rng.sample(PLAIN_FIELDS, rng.randrange(0, 4)):
        document[name] = a_value(rng)
    for name in rng.sample(list(ORDERED_FIELDS), rng.randrange(0, 3)):
        document[name] = an_ordered_value(rng, ORDERED_FIELDS[name])
    if rng.random() < 0.5:
        document["n_int"] = rng.randrange(2, 9)
    return document


def a_batch(rng: random.Random, revision: list, inserted: list) -> list:
    ops = []
    for _ in range(rng.randrange(1, 12)):
        key = rng.choice(IDS)
        roll = rng.random()
        if roll < 0.6:
            ops.append(UpdateOne({"_id": key}, an_update(rng), upsert=rng.random() < 0.8))
        elif roll < 0.85:
            revision[0] += 1
            ops.append(ReplaceOne({"_id": key}, a_replacement(rng, key, revision[0]),
                                  upsert=rng.random() < 0.8))
        else:
            inserted[0] += 1
            document = {"rev": -inserted[0], "a": a_value(rng)}
            if rng.random() < 0.7:  # else pymongo/mongomock/the store give it an ObjectId
                document["_id"] = f"new{inserted[0]}"
            ops.append(InsertOne(document))
    return ops


def counts(result) -> tuple:
    return (result.inserted_count, result.matched_count, result.modified_count,
            result.upserted_count, result.deleted_count, result.upserted_ids)


@pytest.mark.parametrize(("seed", "cache_limit"),
                         [(seed, embedded.CACHE_LIMIT) for seed in range(6)] + [(6, 4), (7, 4)])
def test_random_writes_match_mongomock_document_for_document(tmp_path, seed, cache_limit,
                                                             monkeypatch):
    """With a cache of 4 documents, evictions and streamed reads happen all the time."""
    if cache_limit < embedded.CACHE_LIMIT:  # never settle into keeping it loaded
        monkeypatch.setattr(embedded, "_RELOADS_BEFORE_PIN", 10**9)
        monkeypatch.setattr(embedded, "_STREAMS_BEFORE_LOAD", 10**9)
    rng = random.Random(seed)
    reference = mongomock_ng.MongoClient(tz_aware=True)[DB].things
    fast_store = EmbeddedStore(tmp_path / "fast", DB, cache_limit=cache_limit)
    slow_store = EmbeddedStore(tmp_path / "generic", DB, cache_limit=cache_limit)
    natural = (lambda found: as_bson(found)) if cache_limit == embedded.CACHE_LIMIT else (
        lambda found: sorted(as_bson(found)))  # streamed: the file's order
    fast, slow = fast_store.database(), slow_store.database()
    revision, inserted = [0], [0]
    expected_fast = 0
    for step in range(120):
        roll = rng.random()
        if roll < 0.7:
            ops = a_batch(rng, revision, inserted)
            ordered = rng.random() < 0.5
            mixed = rng.random() < 0.1  # another kind of operation: all of it goes generic
            if mixed:
                ops.insert(rng.randrange(len(ops) + 1), DeleteOne({"_id": rng.choice(IDS)}))
            # the same request objects everywhere: an InsertOne's generated _id is shared
            want = reference.bulk_write(ops, ordered=ordered)
            with generic_path():
                generic = slow.things.bulk_write(ops, ordered=ordered)
            got = fast.things.bulk_write(ops, ordered=ordered)
            assert counts(got) == counts(want) == counts(generic), (step, ops)
            expected_fast += not mixed
        elif roll < 0.85:
            key, update, upsert = rng.choice(IDS), an_update(rng), rng.random() < 0.7
            want = reference.update_one({"_id": key}, update, upsert=upsert)
            with generic_path():
                slow.things.update_one({"_id": key}, update, upsert=upsert)
            got = fast.things.update_one({"_id": key}, update, upsert=upsert)
            assert (got.matched_count, got.modified_count, got.upserted_id) == (
                want.matched_count, want.modified_count, want.upserted_id), (step, update)
            expected_fast += 1
        else:
            key, upsert = rng.choice(IDS), rng.random() < 0.7
            revision[0] += 1
            replacement = a_replacement(rng, key, revision[0])
            want = reference.replace_one({"_id": key}, replacement, upsert=upsert)
            with generic_path():
                slow.things.replace_one({"_id": key}, replacement, upsert=upsert)
            got = fast.things.replace_one({"_id": key}, replacement, upsert=upsert)
            assert (got.matched_count, got.modified_count, got.upserted_id) == (
                want.matched_count, want.modified_count, want.upserted_id), step
            expected_fast += 1
        if step % 10 == 0 or step == 119:
            reference_documents = natural(reference.find())
            assert natural(fast.things.find()) == reference_documents, step
            assert natural(slow.things.find()) == reference_documents, step
            if cache_limit < embedded.CACHE_LIMIT:
                assert len(fast.things._store._documents) <= cache_limit
    if cache_limit < embedded.CACHE_LIMIT:
        assert fast_store._stats["streamed_reads"] > 5 and fast_store._stats["evictions"] > 5
    assert fast_writes(fast) == expected_fast
    assert fast_writes(slow) == 0
    # the file: the same rows, in the same order, with the same bytes; as many writes
    assert rows(fast_store, "things") == rows(slow_store, "things")
    assert (fast_store._stats["documents_written"]
            == slow_store._stats["documents_written"])
    # a fresh store reads the same documents from the file (in another natural order where a
    # generic batch deleted and re-created an _id: the file keeps the old row's place)
    reopened = EmbeddedStore(tmp_path / "fast", DB).database()
    assert sorted(as_bson(reopened.things.find())) == sorted(as_bson(reference.find()))
    memory_equals_disk(fast, tmp_path / "fast", "things")


def test_random_writes_on_a_partially_loaded_store_match_too(tmp_path):
    """A reopened store holds only the ids it was asked for: the fast path loads the rest."""
    rng = random.Random(99)
    reference = mongomock_ng.MongoClient(tz_aware=True)[DB].things
    open_store = EmbeddedStore(tmp_path, DB)
    open_store.database().things.insert_many([{"_id": key, "a": 2} for key in IDS[::2]])
    reference.insert_many([{"_id": key, "a": 2} for key in IDS[::2]])
    revision, inserted = [0], [0]
    for step in range(40):
        store = EmbeddedStore(tmp_path, DB)  # a new process, each time
        db = store.database()
        ops = a_batch(rng, revision, inserted)
        assert counts(db.things.bulk_write(ops, ordered=False)) == counts(
            reference.bulk_write(ops, ordered=False)), step
        assert not db.things._store._full
        assert fast_writes(db) == 1
        memory_equals_disk(db, tmp_path, "things")
        store.close()
    assert as_bson(EmbeddedStore(tmp_path, DB).database().things.find()) == as_bson(
        reference.find())


# --------------------------------------------------------------- which path, and when
def test_one_operation_of_another_kind_sends_the_whole_batch_to_mongomock(tmp_path):
    db = EmbeddedStore(tmp_path, DB).database()
    db.things.insert_many([{"_id": f"k{i}", "n": i} for i in range(4)])
    before = fast_writes(db)
    for ops in (
        [UpdateOne({"_id": "k1"}, {"$set": {"n": 10}}), DeleteOne({"_id": "k2"})],
        [UpdateOne({"_id": "k1"}, {"$set": {"n": 11}}),
         UpdateOne({"_id": "k3"}, {"$push": {"log": 1}})],                    # $push
        [UpdateOne({"_id": "k1"}, {"$set": {"n.deep": 1}})],                  # a dotted path
        [UpdateOne({"_id": {"$in": ["k1"]}}, {"$set": {"n": 12}})],           # not a plain _id
        [UpdateOne({"_id": "k1", "n": 11}, {"$set": {"n": 12}})],             # more in the filter
        [UpdateOne({"_id": "k1"}, {"$set": {"n": 13}, "$inc": {"n": 1}})],    # a conflict
        [UpdateOne({"_id": "k1"}, {"$max": {"n": [1]}})],                     # $max on a list
        [UpdateOne({"_id": "k1"}, {"$set": {"n": 14}}, hint="_id_")],         # an option
    ):
        try:
            db.things.bulk_write(ops)
        except Exception:  # noqa: BLE001, S110 - mongomock may refuse some: its business
            pass
        assert fast_writes(db) == before, ops
    assert db.things.find_one({"_id": "k2"}) is None  # the generic path did the work
    assert db.things.find_one({"_id": "k3"})["log"] == [1]
    db.things.bulk_write([UpdateOne({"_id": "k1"}, {"$set": {"n": 20}})])
    assert fast_writes(db) == before + 1
    memory_equals_disk(db, tmp_path, "things")


def test_a_collection_with_a_unique_index_or_a_validator_takes_the_generic_path(tmp_path):
    db = EmbeddedStore(tmp_path, DB).database()
    db.tracks.create_index("isrc", unique=True)
    db.tracks.insert_many([{"_id": "t1", "isrc": "I1"}, {"_id": "t2", "isrc": "I2"}])
    with pytest.raises(BulkWriteError):
        db.tracks.bulk_write([UpdateOne({"_id": "t1"}, {"$set": {"isrc": "I2"}})])
    db.create_collection("users", validator={"name": {"$exists": True}})
    with pytest.raises(BulkWriteError):
        db.users.bulk_write([UpdateOne({"_id": "u"}, {"$set": {"x": 1}}, upsert=True)])
    assert fast_writes(db) == 0
    db.tracks.create_index("other")  # non-unique indexes are no obstacle
    db.plays.create_index("played_at")
    db.plays.bulk_write([UpdateOne({"_id": "p"}, {"$set": {"x": 1}}, upsert=True)])
    assert fast_writes(db) == 1


def test_a_duplicate_insert_is_reported_by_mongomock_and_nothing_is_kept(tmp_path):
    db = EmbeddedStore(tmp_path, DB).database()
    db.things.insert_one({"_id": "k1", "n": 1})
    with pytest.raises(BulkWriteError) as caught:
        db.things.bulk_write([UpdateOne({"_id": "k2"}, {"$set": {"n": 2}}, upsert=True),
                              InsertOne({"_id": "k1"}),
                              UpdateOne({"_id": "k3"}, {"$set": {"n": 3}}, upsert=True)])
    assert caught.value.details["writeErrors"][0]["index"] == 1
    assert [d["_id"] for d in db.things.find()] == ["k1"]  # all or nothing, as before
    assert fast_writes(db) == 0
    memory_equals_disk(db, tmp_path, "things")


def test_ordered_and_unordered_batches_see_their_own_earlier_operations(tmp_path):
    db = EmbeddedStore(tmp_path, DB).database()
    for ordered in (True, False):
        key = f"k-{ordered}"
        result = db.things.bulk_write([
            UpdateOne({"_id": key}, {"$inc": {"n": 1}, "$setOnInsert": {"first": 1}},
                      upsert=True),
            UpdateOne({"_id": key}, {"$inc": {"n": 1}, "$setOnInsert": {"first": 2}},
                      upsert=True),
            ReplaceOne({"_id": key}, {"n": 10}),
            UpdateOne({"_id": key}, {"$max": {"n": 5}}),       # no change
            UpdateOne({"_id": key}, {"$min": {"n": 5}}),
        ], ordered=ordered)
        assert (result.upserted_count, result.matched_count, result.modified_count) == (1, 4, 3)
        assert result.upserted_ids == {0: key}
        assert db.things.find_one({"_id": key}) == {"_id": key, "n": 5}
    assert fast_writes(db) == 2


# ----------------------------------------------------------- the write path around it
def test_another_process_catches_up_with_fast_path_writes_and_back(tmp_path):
    db = EmbeddedStore(tmp_path, DB).database()
    db.artists.insert_many([{"_id": f"a{i}", "n": i} for i in range(5)])
    assert db.artists.find_one({"_id": "a1"})["n"] == 1
    fresh = EmbeddedStore(tmp_path, DB).database()  # partially loaded: a1 and a2 only
    assert fresh.artists.find_one({"_id": "a2"})["n"] == 2
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from pymongo import ReplaceOne, UpdateOne
        from spotify_etl.storage.embedded import EmbeddedStore
        db = EmbeddedStore({str(tmp_path)!r}, {DB!r}).database()
        result = db.artists.bulk_write([
            UpdateOne({{"_id": "a1"}}, {{"$set": {{"n": 100}}, "$max": {{"seen": "d2"}}}},
                      upsert=True),
            UpdateOne({{"_id": "a9"}}, {{"$set": {{"n": 9}}}}, upsert=True),
            ReplaceOne({{"_id": "a2"}}, {{"name": "two"}})])
        db.artists.update_one({{"_id": "a3"}}, {{"$inc": {{"n": 30}}}})
        print(db._store._engine._stats["fast_writes"], result.modified_count,
              result.upserted_count)
    """)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "2", "1"]
    for target in (db, fresh):
        assert target.artists.find_one({"_id": "a1"}) == {"_id": "a1", "n": 100, "seen": "d2"}
        assert target.artists.find_one({"_id": "a2"}) == {"_id": "a2", "name": "two"}
        assert target.artists.find_one({"_id": "a3"})["n"] == 33
        assert target.artists.find_one({"_id": "a9"})["n"] == 9
        memory_equals_disk(target, tmp_path, "artists")
    # and back: this process's fast-path write reaches the other store
    fresh.artists.bulk_write([UpdateOne({"_id": "a4"}, {"$set": {"n": 44}})])
    assert fast_writes(fresh) == 1
    assert db.artists.find_one({"_id": "a4"})["n"] == 44
    assert db.artists.count_documents({"n": {"$gte": 0}}) == 5  # a2 has no n any more


def test_a_failure_after_the_fast_path_rolls_back_and_memory_equals_disk(tmp_path):
    store = EmbeddedStore(tmp_path, DB)
    db = store.database()
    db.things.insert_many([{"_id": f"k{i}", "n": i} for i in range(5)])
    assert db.things.count_documents({"n": {"$gte": 0}}) == 5  # fully loaded
    partial = EmbeddedStore(tmp_path, DB).database()
    assert partial.things.find_one({"_id": "k1"})["n"] == 1

    real = EmbeddedStore._flush_definitions

    def broken(self):
        real(self)
        raise OSError("disk full")

    before = {id(db): fast_writes(db), id(partial): fast_writes(partial)}
    for target in (db, partial):
        EmbeddedStore._flush_definitions = broken
        try:
            with pytest.raises(OSError):
                target.things.bulk_write([
                    UpdateOne({"_id": "k1"}, {"$set": {"n": 100}}),
                    UpdateOne({"_id": "new"}, {"$set": {"n": 7}}, upsert=True),
                    ReplaceOne({"_id": "k2"}, {"x": 1})])
            with pytest.raises(OSError):
                target.things.update_one({"_id": "k3"}, {"$inc": {"n": 1}})
        finally:
            EmbeddedStore._flush_definitions = real
        assert fast_writes(target) - before[id(target)] == 2
        assert target.things.find_one({"_id": "k1"}) == {"_id": "k1", "n": 1}
        assert target.things.find_one({"_id": "k2"}) == {"_id": "k2", "n": 2}
        assert target.things.find_one({"_id": "k3"}) == {"_id": "k3", "n": 3}
        assert target.things.find_one({"_id": "new"}) is None
        memory_equals_disk(target, tmp_path, "things")
    assert [d["_id"] for d in EmbeddedStore(tmp_path, DB).database().things.find()] == [
        f"k{i}" for i in range(5)]
    db.things.bulk_write([UpdateOne({"_id": "k1"}, {"$set": {"n": 101}})])  # works on
    assert partial.things.find_one({"_id": "k1"})["n"] == 101


def test_an_unencodable_value_is_refused_as_before_and_nothing_is_kept(tmp_path):
    db = EmbeddedStore(tmp_path, DB).database()
    db.things.insert_one({"_id": "k1", "n": 1})
    for value in ({1, 2}, object(), 2**70, "\ud800"):
        with pytest.raises(Exception):  # noqa: B017 - bson's own error, as without fast path
            db.things.bulk_write([UpdateOne({"_id": "k2"}, {"$set": {"n": 2}}, upsert=True),
                                  UpdateOne({"_id": "k1"}, {"$set": {"n": value}})])
    assert [d for d in db.things.find()] == [{"_id": "k1", "n": 1}]
    assert fast_writes(db) == 0
    memory_equals_disk(db, tmp_path, "things")


def test_unchanged_documents_are_not_written_again(tmp_path):
    store = EmbeddedStore(tmp_path, DB)
    db = store.database()
    ops = [UpdateOne({"_id": f"k{i}"}, {"$set": {"name": f"n{i}", "tags": ["a", "b"]},
                                        "$max": {"seen": "2026-11-20"}}, upsert=True)
           for i in range(50)]
    assert db.things.bulk_write(ops).upserted_count == 50
    written = store._stats["documents_written"]
    result = db.things.bulk_write(ops)  # a rerun: matched, nothing modified, nothing written
    assert (result.matched_count, result.modified_count) == (50, 0)
    assert store._stats["documents_written"] == written
    result = db.things.bulk_write(ops[:10] + [UpdateOne({"_id": "k3"}, {"$max": {
        "seen": "2026-11-21"}})])
    assert (result.matched_count, result.modified_count) == (11, 1)
    assert store._stats["documents_written"] == written + 1


# ------------------------------------------------------------------ what is stored
def test_values_are_stored_as_the_generic_path_stores_them(tmp_path):
    db = EmbeddedStore(tmp_path, DB).database()
    played_at = datetime(2026, 11, 20, 21, 4, 5, 123456, tzinfo=UTC)
    nested = {"images": [{"url": "u", "height": 300}], "genres": ("pop", "rock")}
    document = {"played_at": played_at, "n": 5, "big": 2**40, "f": 1.5, "flag": True,
                "none": None, "local": played_at.astimezone(timezone(timedelta(hours=-5))),
                **nested}
    db.plays.bulk_write([UpdateOne({"_id": "p1"}, {"$set": document}, upsert=True),
                         ReplaceOne({"_id": "p2"}, dict(document), upsert=True)])
    with generic_path():
        db.plays.bulk_write([UpdateOne({"_id": "g1"}, {"$set": document}, upsert=True),
                             ReplaceOne({"_id": "g2"}, dict(document), upsert=True)])
    # callers changing their values afterwards change nothing stored
    nested["images"][0]["url"] = "changed"
    document["n"] = 6
    store = db.plays._store
    for fast_key, generic_key in (("p1", "g1"), ("p2", "g2")):
        fast = dict(store._documents[fast_key], _id="x")
        generic = dict(store._documents[generic_key], _id="x")
        assert as_bson([fast]) == as_bson([generic])
    fresh = EmbeddedStore(tmp_path, DB).database()
    for target in (db, fresh):
        stored = target.plays.find_one({"_id": "p1"})
        assert stored["played_at"] == played_at.replace(microsecond=123000)
        assert stored["played_at"].utcoffset() == timedelta(0)
        assert stored["local"] == played_at.replace(microsecond=123000)
        assert type(stored["n"]) is int and stored["n"] == 5
        assert stored["big"] == 2**40 and stored["flag"] is True and stored["none"] is None
        assert stored["images"] == [{"url": "u", "height": 300}]
        assert stored["genres"] == ["pop", "rock"]
    # the cache holds its own copies, never the caller's objects
    assert store._documents["p1"]["images"] is not nested["images"]
    memory_equals_disk(db, tmp_path, "plays")


def test_pandas_timestamps_and_numpy_floats_as_the_loader_sends_them(tmp_path):
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    db = EmbeddedStore(tmp_path, DB).database()
    reference = mongomock_ng.MongoClient(tz_aware=True)[DB].plays
    when = pd.Timestamp("2026-11-20T21:04:05.123456789Z")
    ops = [UpdateOne({"_id": "p"}, {"$set": {"at": when, "x": np.float64(2.5)},
                                    "$max": {"last": when, "score": np.float64(1.5)}},
                     upsert=True)]
    assert counts(db.plays.bulk_write(ops)) == counts(reference.bulk_write(ops))
    assert counts(db.plays.bulk_write(ops)) == counts(reference.bulk_write(ops))
    assert fast_writes(db) == 2
    assert as_bson(db.plays.find()) == as_bson(reference.find())
    assert db.plays.find_one()["at"] == datetime(2026, 11, 20, 21, 4, 5, 123000, tzinfo=UTC)


def test_an_insert_without_an_id_gets_an_objectid_in_the_callers_document(tmp_path):
    db = EmbeddedStore(tmp_path, DB).database()
    document = {"name": "x"}
    result = db.things.bulk_write([InsertOne(document)])
    assert result.inserted_count == 1 and isinstance(document["_id"], ObjectId)
    assert fast_writes(db) == 1
    assert EmbeddedStore(tmp_path, DB).database().things.find_one() == document


# ------------------------------------------------- MongoDB's semantics, not mongomock's
def test_max_and_min_compare_across_types_in_bson_order(tmp_path):
    """null < numbers < strings < dates; mongomock raises TypeError for these."""
    db = EmbeddedStore(tmp_path, DB).database()
    day = datetime(2026, 11, 20, tzinfo=UTC)
    db.things.insert_one({"_id": "k", "a": None, "b": 5, "c": "x", "d": day, "e": None})
    result = db.things.update_one({"_id": "k"}, {
        "$max": {"a": 1, "b": "text", "c": day, "d": "later?"},
        "$min": {"e": 3}})
    assert (result.matched_count, result.modified_count) == (1, 1)
    assert db.things.find_one({"_id": "k"}) == {
        "_id": "k", "a": 1, "b": "text", "c": day, "d": day, "e": None}
    db.things.update_one({"_id": "k"}, {"$min": {"a": None, "b": 2.5}, "$max": {"new": None}})
    assert db.things.find_one({"_id": "k"}) == {
        "_id": "k", "a": None, "b": 2.5, "c": day, "d": day, "e": None, "new": None}
    equal = db.things.update_one({"_id": "k"}, {"$max": {"b": 2.5, "e": None}})
    assert (equal.matched_count, equal.modified_count) == (1, 0)
    assert fast_writes(db) == 3
    with pytest.raises(TypeError):  # what mongomock does (and the generic path, so)
        mongomock_ng.MongoClient()[DB].things.update_one(
            {"_id": "k"}, {"$max": {"a": None}}, upsert=True)


def test_modified_means_the_stored_document_changed(tmp_path):
    store = EmbeddedStore(tmp_path, DB)
    db = store.database()
    db.things.insert_one({"_id": "k", "n": 1, "a": 1, "b": 2})
    # a change of type only: MongoDB modifies (and mongomock's == would not see it)
    result = db.things.update_one({"_id": "k"}, {"$set": {"n": 1.0}})
    assert result.modified_count == 1
    assert type(EmbeddedStore(tmp_path, DB).database().things.find_one()["n"]) is float
    # the same fields in another order: a replacement modifies
    assert db.things.replace_one({"_id": "k"}, {"b": 2, "a": 1, "n": 1.0}).modified_count == 1
    assert list(db.things.find_one()) == ["_id", "b", "a", "n"]
    # exactly the same: no change, nothing written
    written = store._stats["documents_written"]
    assert db.things.replace_one({"_id": "k"}, {"b": 2, "a": 1, "n": 1.0}).modified_count == 0
    assert db.things.update_one({"_id": "k"}, {"$set": {"a": 1}, "$unset": {"gone": ""},
                                               "$setOnInsert": {"x": 1}}).modified_count == 0
    assert store._stats["documents_written"] == written
    memory_equals_disk(db, tmp_path, "things")


def test_upserts_report_as_mongodb_does(tmp_path):
    db = EmbeddedStore(tmp_path, DB).database()
    for key in (0, "", "x", 5, Int64(6), ObjectId()):
        result = db.things.bulk_write([UpdateOne({"_id": key}, {"$set": {"n": 1}},
                                                 upsert=True)])
        assert (result.upserted_count, result.matched_count) == (1, 0), key  # mongomock: 0, 1
        assert result.upserted_ids == {0: key}
    one = db.things.update_one({"_id": "y"}, {"$setOnInsert": {"n": 1}}, upsert=True)
    assert (one.upserted_id, one.matched_count, one.modified_count, one.did_upsert) == (
        "y", 0, 0, True)
    again = db.things.update_one({"_id": "y"}, {"$setOnInsert": {"n": 2}}, upsert=True)
    assert (again.upserted_id, again.matched_count, again.modified_count,
            again.did_upsert) == (None, 1, 0, False)
    missing = db.things.replace_one({"_id": "z"}, {"n": 1})
    assert (missing.upserted_id, missing.matched_count, missing.modified_count) == (None, 0, 0)
    assert db.things.find_one({"_id": "z"}) is None
    assert fast_writes(db) == 9


# --------------------------------------------------------------------- the bounded cache
def test_insert_many_takes_the_fast_path_and_a_duplicate_writes_nothing(tmp_path):
    reference = mongomock_ng.MongoClient(tz_aware=True)[DB].things
    db = EmbeddedStore(tmp_path, DB).database()
    batch = [{"_id": f"k{i}", "n": i, "at": BASE} for i in range(5)]
    want = reference.insert_many([dict(d) for d in batch])
    got = db.things.insert_many([dict(d) for d in batch])
    assert got.inserted_ids == want.inserted_ids == [f"k{i}" for i in range(5)]
    assert fast_writes(db) == 1
    fresh = {"n": 9}  # no _id: one is given, in the caller's document, as pymongo does
    db.things.insert_many([fresh])
    assert isinstance(fresh["_id"], ObjectId)
    with pytest.raises(BulkWriteError):
        db.things.insert_many([{"_id": "new", "n": 1}, {"_id": "k2", "n": 2}], ordered=False)
    assert db.things.find_one({"_id": "new"}) is None  # all or nothing
    assert as_bson(db.things.find({"_id": {"$ne": fresh["_id"]}})) == as_bson(reference.find())
    memory_equals_disk(db, tmp_path, "things")


def test_a_big_import_streams_past_a_bounded_cache(tmp_path):
    store = EmbeddedStore(tmp_path, DB, cache_limit=100)
    db = store.database()
    for start in range(0, 1000, 50):
        db.plays.bulk_write([UpdateOne({"_id": f"p{i:04d}"}, {"$set": {"n": i, "user": i % 3}},
                                       upsert=True) for i in range(start, start + 50)])
        assert len(db.plays._store._documents) <= 100
    assert db.plays._store._evicted and not db.plays._store._full
    # an evicted collection's new documents go to the file, not to the cache
    db.plays.insert_many([{"_id": f"q{i}", "n": -i} for i in range(60)])
    assert "q1" not in db.plays._store._documents and "q1" not in db.plays._store._probed
    # one write inserting and then updating a new document: counted as MongoDB counts it
    result = db.plays.bulk_write([InsertOne({"_id": "r1", "n": 1}),
                                  UpdateOne({"_id": "r1"}, {"$inc": {"n": 1}})])
    assert (result.inserted_count, result.matched_count, result.modified_count) == (1, 1, 1)
    assert db.plays.find_one({"_id": "r1"}) == {"_id": "r1", "n": 2}
    assert db.plays.find_one({"_id": "q59"})["n"] == -59
    assert db.plays.find_one({"_id": "p0003"}) == {"_id": "p0003", "n": 3, "user": 0}
    # a query by another field streams the file: every match, the cache still bounded
    assert sorted(d["n"] for d in db.plays.find({"user": 2})) == list(range(2, 1000, 3))
    assert db.plays.count_documents({"n": {"$lt": 0}}) == 59
    assert store._stats["streamed_reads"] == 2 and not db.plays._store._full
    # the third such read loads it whole and keeps it (a process that queries it so)
    assert db.plays.count_documents({"user": 1}) == 333
    assert db.plays._store._full and db.plays._store._pinned
    db.plays.insert_many([{"_id": f"s{i}"} for i in range(200)])
    assert len(db.plays._store._documents) == 1261
    other = EmbeddedStore(tmp_path, DB).database()
    assert other.plays.count_documents({}) == 1261
    memory_equals_disk(db, tmp_path, "plays")


def test_big_documents_are_evicted_by_size_and_read_back(tmp_path):
    store = EmbeddedStore(tmp_path, DB, cache_limit=1000, cache_bytes=100_000)
    db = store.database()
    for day in range(300):
        db.days.replace_one({"_id": f"d{day}"}, {"plays": list(range(day, day + 1000))},
                            upsert=True)
    cached = len(db.days._store._documents)
    assert cached * len(bson.encode({"plays": list(range(1000))})) <= 100_000 * 1.1
    assert db.days.find_one({"_id": "d7"})["plays"][:2] == [7, 8]
    assert sum(1 for _ in db.days.find({"plays": 299})) == 300


def test_a_failed_streamed_write_leaves_nothing_behind(tmp_path):
    store = EmbeddedStore(tmp_path, DB, cache_limit=10)
    db = store.database()
    db.things.insert_many([{"_id": f"k{i}", "n": i} for i in range(40)])
    db.things.insert_many([{"_id": f"m{i}", "n": i} for i in range(40)])
    assert db.things._store._evicted
    real = EmbeddedStore._flush_definitions

    def broken(self):
        real(self)
        raise OSError("disk full")

    EmbeddedStore._flush_definitions = broken
    try:
        with pytest.raises(OSError):
            db.things.insert_many([{"_id": f"new{i}"} for i in range(20)])
    finally:
        EmbeddedStore._flush_definitions = real
    assert db.things.find_one({"_id": "new3"}) is None
    assert db.things.count_documents({}) == 80
    assert EmbeddedStore(tmp_path, DB).database().things.count_documents({}) == 80
    memory_equals_disk(db, tmp_path, "things")
