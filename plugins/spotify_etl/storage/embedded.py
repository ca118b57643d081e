"""The embedded development store: MongoDB's pymongo API with no MongoDB server.

One SQLite file per database (``<directory>/embedded-mongo/<database>.sqlite3``, WAL journal)
holds every document as BSON, keyed by collection and ``_id``. mongomock-ng answers the
queries, as an in-process cache filled lazily from that file:

* a filter on ``_id`` (a value or ``{"$in": [...]}``, possibly with other conditions) loads just
  those documents; any other query loads its collection once (it is then "fully loaded");
* a write runs as ``BEGIN IMMEDIATE`` (the cross-process write lock), catch-up, the operation on
  mongomock while the collection's store records which ``_id`` it set or deleted, then exactly
  those documents (and tombstones for deletions) are written and committed. A failure rolls
  back and refreshes from the file what the operation touched, so memory never diverges from
  disk; a process killed at any moment leaves the last committed state;
* every operation first reads a global change counter; when another process committed since,
  the changes (documents and tombstones with a newer ``seq``) are applied to the caches;
* the fast path: an ``insert_many`` or a ``bulk_write`` (or ``update_one``/``replace_one``) whose every operation is an
  InsertOne/UpdateOne/ReplaceOne on a plain ``_id`` (str, int, ObjectId; nothing else in the
  filter, no options) with only ``$set``/``$setOnInsert``/``$max``/``$min``/``$inc``/``$unset``
  on top-level fields, on a collection with no unique index, validator or TTL index, skips
  mongomock's generic update machinery: each new document is built in plain Python from the
  cached one, encoded to BSON, compared with the old one ("modified" as MongoDB counts it) and
  decoded into the cache; the same write path (dirty ids, flush, commit, recovery) follows.
  The documents and counts are mongomock's (differential tests hold it to that), except where
  mongomock is not MongoDB: ``$max``/``$min`` across types and on null compare in BSON order;
  an upsert of ``_id`` 0 or "" counts as upserted; a change of type only (1 to 1.0, or fields
  reordered by a replacement) counts as modified and is written. Anything else - another
  operation in the batch, a duplicate insert, a value the fast path does not compare - sends
  the whole write to mongomock, unchanged.
* the cache is bounded: after an operation, a collection caching more than ``cache_limit``
  documents (or, judged by its newest one, more than ``cache_bytes`` of BSON) drops its
  oldest half from memory (they stay in the file and are looked up again
  by `_id`, or with the rest by the next query that needs the whole collection). A collection
  that is loaded whole again twice after such an eviction is queried that way: it stays
  loaded (``pinned``). Collections with a unique or TTL index are never evicted (mongomock
  checks those against every document). New documents a fast-path write adds to an evicted
  collection go to the file without entering the cache: a bulk import streams through. A
  read that is not by `_id`, of a collection larger than the cache and not loaded, streams
  the file in chunks (filtered as mongomock filters) instead of loading it; the third such
  read loads it whole and pins it.

Public API: ``EmbeddedStore(directory, database, cache_limit=, cache_bytes=)``, ``.database()`` (a mongomock Database, to keep
for the process lifetime), ``.close()``, ``.path``. Each operation is durable when it returns;
there are no sessions. A failed write changes nothing (also an ordered bulk_write or
insert_many that fails half-way, where MongoDB would keep the operations before the error).

mongomock-ng internals relied on (checked against 7.11), all through subclasses, so plain
``mongomock_ng.MongoClient()`` objects are untouched: ``CollectionStore`` (``_documents``, the
item methods, ``documents``, ``is_empty``, ``is_created``, ``drop``, ``create``,
``create_index``, ``drop_index``, ``indexes``, ``_ttl_indexes``, ``options``,
``_is_force_created``, ``_remove_expired_documents``), ``DatabaseStore`` (``_collections``,
``__getitem__``, ``rename``), ``ServerStore._databases``, ``MongoClient._database_accesses``,
``Collection`` (``_iter_documents``, ``_get_dataset``, ``_store``, ``_db_store``, ``_name``) and
``Database`` (``get_collection``, ``_collection_accesses``, ``_store``); pymongo's request
objects' ``_filter``/``_doc`` (to prefetch the ids of a bulk_write) and, for the fast path,
``_upsert``/``_collation``/``_hint``/``_array_filters``/``_sort``/``_namespace``, and
``CollectionStore._rwlock``.

For development and demos only: production uses a real MongoDB.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import bson
from bson import Int64, ObjectId, Timestamp, json_util
from bson.codec_options import CodecOptions, TypeDecoder, TypeRegistry
from mongomock_ng import InvalidName, InvalidOperation, MongoClient
from mongomock_ng import codec_options as mongomock_codec_options
from mongomock_ng import read_preferences
from mongomock_ng.collection import Collection, Cursor
from mongomock_ng.database import Database
from mongomock_ng.filtering import filter_applies
from mongomock_ng.helpers import hashdict
from mongomock_ng.results import BulkWriteResult, UpdateResult
from mongomock_ng.store import CollectionStore, DatabaseStore

__all__ = ["EmbeddedStore"]

log = logging.getLogger(__name__)

_FORMAT = 1
_BUSY_TIMEOUT_S = 60.0
_CHUNK = 500  # ids per "IN (...)" query
_REFRESH_LIMIT = 5000  # after a failure, refresh up to this many ids, else reload the collection
# The cache is bounded: a collection holding more documents than this after an operation keeps
# its newest half (evicted ids are looked up in the file again when asked for). A collection
# that non-`_id` queries load whole again this many times after an eviction stays loaded.
CACHE_LIMIT = 20_000
CACHE_BYTES = 32 << 20  # nor more than about this much BSON (big documents: fewer of them)
_RELOADS_BEFORE_PIN = 2
# A read of a collection larger than the cache (not loaded) streams the file this many times;
# the next one loads it whole (and it stays loaded).
_STREAMS_BEFORE_LOAD = 2
_STREAM_CHUNK = 5_000
_MISSING = object()

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)",
    "CREATE TABLE IF NOT EXISTS collections ("
    " name TEXT PRIMARY KEY, indexes TEXT NOT NULL, options TEXT NOT NULL,"
    " created INTEGER NOT NULL, meta_seq INTEGER NOT NULL, reset_seq INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS documents ("
    " collection TEXT NOT NULL, id_key TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL,"
    " PRIMARY KEY (collection, id_key))",
    # catch-up: what changed in a collection since a given seq
    "CREATE INDEX IF NOT EXISTS documents_changes ON documents (collection, seq)",
    # full load in natural (insertion) order: entries are sorted by (collection, rowid)
    "CREATE INDEX IF NOT EXISTS documents_order ON documents (collection)",
    "CREATE TABLE IF NOT EXISTS tombstones ("
    " collection TEXT NOT NULL, id_key TEXT NOT NULL, seq INTEGER NOT NULL,"
    " PRIMARY KEY (collection, id_key)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS tombstones_changes ON tombstones (collection, seq)",
)
_UPSERT_DOCUMENT = (
    "INSERT INTO documents (collection, id_key, seq, body) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (collection, id_key) DO UPDATE SET seq = excluded.seq, body = excluded.body")
_UPSERT_COLLECTION = (
    "INSERT INTO collections (name, indexes, options, created, meta_seq, reset_seq) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET indexes = excluded.indexes, "
    "options = excluded.options, created = excluded.created, meta_seq = excluded.meta_seq, "
    "reset_seq = MAX(reset_seq, excluded.reset_seq)")


# ------------------------------------------------------------------------------- _id encoding
def _id_key(value: Any) -> str:
    """A stable text key for an `_id`; values MongoDB's `_id` index deems equal share it."""
    if isinstance(value, str):
        return "s:" + value
    if isinstance(value, ObjectId):
        return "o:" + str(value)
    if isinstance(value, bool):
        return "b:1" if value else "b:0"
    if isinstance(value, int):
        return "n:" + str(int(value))
    if isinstance(value, float):
        return "n:" + (str(int(value)) if value.is_integer() else repr(value))
    if isinstance(value, dict):
        value = dict(value)
    return "x:" + bson.encode({"v": value}).hex()


def _key_of_id_key(text: str) -> Any:
    """The mongomock store key an `_id_key` stands for (the inverse of `_id_key`)."""
    tag, rest = text[0], text[2:]
    if tag == "s":
        return rest
    if tag == "o":
        return ObjectId(rest)
    if tag == "b":
        return rest == "1"
    if tag == "n":
        try:
            return int(rest)
        except ValueError:
            return float(rest)
    value = bson.decode(bytes.fromhex(rest))["v"]
    return hashdict(value) if isinstance(value, dict) else value


def _doc_key(document: Mapping) -> Any:
    """The key mongomock files a document under in its CollectionStore."""
    value = document["_id"]
    return hashdict(value) if isinstance(value, dict) else value


def _is_plain_id(value: Any) -> bool:
    return isinstance(value, (str, ObjectId)) or (
        isinstance(value, int) and not isinstance(value, bool))


def _ids_in(spec: Any) -> list | None:
    """The `_id`s a filter is restricted to (a value, `$eq` or `$in`), or None."""
    if not isinstance(spec, Mapping) or "_id" not in spec:
        return None
    wanted = spec["_id"]
    if _is_plain_id(wanted):
        return [wanted]
    if isinstance(wanted, Mapping) and len(wanted) == 1:
        if "$eq" in wanted and _is_plain_id(wanted["$eq"]):
            return [wanted["$eq"]]
        values = wanted.get("$in")
        if isinstance(values, (list, tuple)) and all(_is_plain_id(v) for v in values):
            return list(dict.fromkeys(values))
    return None


@contextlib.contextmanager
def _no_gc():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _chunks(items: list, size: int = _CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _indexes_json(indexes: Mapping[str, Mapping]) -> str:
    listed = []
    for name, config in indexes.items():
        entry = {"name": name}
        for field, value in config.items():
            entry[field] = [list(part) for part in value] if field == "key" else value
        listed.append(entry)
    return json_util.dumps(listed)


def _meta_of(store: _CachedCollection) -> tuple[str, str, bool]:
    return (_indexes_json(store.indexes), json_util.dumps(store.options, sort_keys=True),
            bool(store.is_created))


# ------------------------------------------------------------------------ mongomock's stores
class _CachedCollection(CollectionStore):
    """mongomock's CollectionStore as a lazy cache of one collection of the SQLite file.

    `_documents` holds what is loaded: everything when `_full`, else the ids in `_probed`
    (looked up in the file, found or not). Each set/delete is reported to the store, which
    writes exactly those documents when the operation commits.
    """

    def __init__(self, name: str, engine: EmbeddedStore) -> None:
        super().__init__(name)
        self._engine = engine
        self._full = False
        self._probed: set = set()
        self._checked_empty = False
        self._created_flag = False  # MongoDB semantics: created until dropped
        self._disk_meta: tuple[str, str, bool] | None = None
        self._evicted = False  # documents were dropped from memory since it was loaded whole
        self._reloads = 0  # whole loads after an eviction
        self._pinned = False  # queried whole too often to evict
        self._streamed = 0  # reads answered by streaming the file

    def _evictable(self) -> bool:
        return not (self._pinned or self._ttl_indexes
                    or any(index.get("unique") for index in self.indexes.values()))

    def _ensure_full(self) -> None:
        if not self._full:
            self._engine._load_all(self)

    def _ensure_ids(self, keys) -> None:
        if not self._full:
            missing = [key for key in keys if key not in self._probed]
            if missing:
                self._engine._load_ids(self, missing)

    def _forget(self) -> None:
        """Drop the cached documents and definitions (they are reloaded from the file)."""
        self._documents = collections.OrderedDict()
        self.indexes = {}
        self._ttl_indexes = {}
        self.options = {}
        self._is_force_created = False
        self._full = False
        self._probed = set()
        self._checked_empty = False
        self._created_flag = False
        self._disk_meta = None
        self._evicted = False

    @property
    def is_created(self):
        return bool(self._created_flag or self._documents or self.indexes
                    or self._is_force_created)

    @property
    def is_empty(self):
        self._ensure_full()
        return CollectionStore.is_empty.fget(self)

    @property
    def documents(self):
        self._ensure_full()
        return CollectionStore.documents.fget(self)

    def __len__(self):
        self._ensure_full()
        return super().__len__()

    def __contains__(self, key):
        self._ensure_ids((key,))
        return super().__contains__(key)

    def __getitem__(self, key):
        self._ensure_ids((key,))
        return super().__getitem__(key)

    def __setitem__(self, key, val):
        super().__setitem__(key, val)
        if not self._full:
            self._probed.add(key)
        self._engine._note(self, key)

    def __delitem__(self, key):
        self._ensure_ids((key,))
        super().__delitem__(key)
        self._engine._note(self, key)

    def drop(self):
        super().drop()
        self.options = {}  # MongoDB drops the options (validators) with the collection
        self._created_flag = False
        self._full, self._probed, self._checked_empty = True, set(), True
        self._engine._note_drop(self)

    def create(self, **options):
        super().create(**options)
        self._engine._note_meta(self)

    def create_index(self, index_name, index_dict):
        super().create_index(index_name, index_dict)
        self._engine._note_meta(self)

    def drop_index(self, index_name):
        super().drop_index(index_name)
        self._engine._note_meta(self)


class _CachedDatabase(DatabaseStore):
    def __init__(self, engine: EmbeddedStore) -> None:
        super().__init__()
        self._engine = engine

    def __getitem__(self, col_name):
        try:
            return self._collections[col_name]
        except KeyError:
            store = self._collections[col_name] = _CachedCollection(col_name, self._engine)
            return store

    def rename(self, name, new_name):
        source = self[name]
        source._ensure_full()
        super().rename(name, new_name)
        self._engine._note_rename(name, source)


# ------------------------------------------------------------------------ the write fast path
# The loader's writes (bulk upserts by natural key) cost ~0.45 ms an operation in mongomock's
# generic update machinery. When every operation of a write is an InsertOne, UpdateOne or
# ReplaceOne addressed by a plain `_id`, with update operators on top-level fields only, on a
# collection with no unique index, validator or TTL index, the write is checked before the
# lock, then applied here in plain Python: each new document is built from (a shallow copy of)
# the cached one, encoded, and what the cache keeps is that BSON decoded - a deep copy, with
# datetimes naive UTC in whole milliseconds and tuples as lists, exactly what mongomock keeps
# after its own write and flush. Same documents, same dirty ids, same counts as mongomock,
# with MongoDB's semantics where mongomock has none (`$max`/`$min` across types; "modified"
# when the stored BSON changed). Anything unusual, found while checking or applying (before
# the cache is touched), sends the whole write to mongomock's generic path instead.
_FAST_OPERATORS = frozenset(("$set", "$setOnInsert", "$max", "$min", "$inc", "$unset"))
_FAST_ID_TYPES = (str, int, Int64, ObjectId)  # exact types: bool is not an `_id` we take
_FAST_NUMBERS = (int, Int64, float)
_INT64_MIN, _INT64_MAX = -2**63, 2**63 - 1
_fast_names: set = set()  # top-level field names already found plain (a bounded cache)
_fast_shapes: set = set()  # update shapes ((operator, fields), ...) already found plain
_fast_documents: set = set()  # field names of documents (in order) already found plain


class _NotFast(Exception):
    """The write is not for the fast path: mongomock's generic path takes all of it."""


class _RefuseEmptyTimestamps(TypeDecoder):
    """mongomock turns Timestamp(0, 0) into "now" (as MongoDB does): leave those to it."""

    bson_type = Timestamp

    def transform_bson(self, value):
        if value.time or value.inc:
            return value
        raise _NotFast


_FAST_CODEC = CodecOptions(type_registry=TypeRegistry([_RefuseEmptyTimestamps()]))


def _fast_name(name: Any) -> bool:
    """A plain top-level field name: no dots, no `$`, no NUL, encodable."""
    if name in _fast_names:
        return True
    if type(name) is not str or name == "" or name[0] == "$" or "." in name or "\0" in name:
        return False
    try:
        name.encode()
    except UnicodeEncodeError:
        return False
    if len(_fast_names) < 10_000:
        _fast_names.add(name)
    return True


def _fast_scalar(value: Any) -> Any:
    """A `$max`/`$min` operand as the store keeps it (None, number, string or datetime)."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is Int64:
        return value
    if isinstance(value, float):  # also numpy's float64
        if value != value:
            raise _NotFast  # NaN: BSON orders it below every number; left to mongomock
        return float(value)
    if isinstance(value, datetime):  # also pandas' Timestamp: naive UTC, whole milliseconds
        offset = value.utcoffset()
        if offset is not None:
            value = value - offset
        return datetime(value.year, value.month, value.day, value.hour, value.minute,
                        value.second, value.microsecond // 1000 * 1000)
    raise _NotFast


def _fast_order(value: Any) -> tuple:
    """A sort key in BSON order (null < numbers < strings < dates) for `$max`/`$min`."""
    if value is None:
        return (0, 0)
    kind = type(value)
    if kind is str:
        return (2, value)
    if kind is int or kind is Int64 or (kind is float and value == value):
        return (1, value)
    if kind is datetime and value.tzinfo is None:
        return (3, value)
    raise _NotFast


def _fast_id(spec: Any) -> Any:
    if (isinstance(spec, dict) and len(spec) == 1 and "_id" in spec
            and type(spec["_id"]) in _FAST_ID_TYPES):
        return spec["_id"]
    raise _NotFast


def _check_shape(shape: tuple) -> None:
    """Operators and field names of an update, ((operator, (field, ...)), ...), all plain."""
    seen: set = set()
    for operator, names in shape:
        if operator not in _FAST_OPERATORS or not names:
            raise _NotFast
        for name in names:
            if name == "_id" or not _fast_name(name):
                raise _NotFast
            if name in seen:
                raise _NotFast  # a field under two operators: MongoDB refuses, mongomock decides
            seen.add(name)


def _plan_update(update: Any) -> list:
    """An update document as [(operator, fields), ...] in mongomock's order of application."""
    if type(update) is not dict or not update:
        raise _NotFast
    shape = []
    for operator, fields in update.items():
        if type(fields) is not dict:
            raise _NotFast
        shape.append((operator, tuple(fields)))
    shape = tuple(shape)
    if shape not in _fast_shapes:  # the loader sends the same few shapes again and again
        _check_shape(shape)
        if len(_fast_shapes) < 10_000:
            _fast_shapes.add(shape)
    steps = []
    for operator, fields in update.items():
        if operator == "$max" or operator == "$min":
            fields = [(name, _fast_scalar(value)) for name, value in fields.items()]
        elif operator == "$inc":
            for value in fields.values():
                if type(value) not in _FAST_NUMBERS:
                    raise _NotFast
        # $set / $setOnInsert values are copied when the result is encoded and decoded
        steps.append((operator, fields))
    return steps


def _plan_document(document: Any, key: Any) -> dict:
    """A replacement or inserted document: plain top-level names, the same `_id` if any."""
    if not isinstance(document, dict) or not document:
        raise _NotFast
    names = tuple(document)
    if names not in _fast_documents:  # an importer sends documents of few shapes
        for name in names:
            if name != "_id" and not _fast_name(name):
                raise _NotFast
        if len(_fast_documents) < 10_000:
            _fast_documents.add(names)
    if "_id" in document:
        value = document["_id"]
        if type(value) is not type(key) or value != key:
            raise _NotFast
    return document


def _fast_plan(entries: list) -> list | None:
    """Check (kind, filter, document, upsert) entries; a plan, or None for the generic path.

    kind is "insert" (no filter), "update" or "replace"; a plan step is
    (kind, _id, document or update steps, upsert). The caller's values are used as they are,
    never changed: the documents built from them are encoded, then decoded into the cache.
    """
    plan = []
    try:
        for kind, spec, document, upsert in entries:
            if kind == "insert":
                if not isinstance(document, dict):
                    raise _NotFast
                if "_id" not in document:
                    document["_id"] = ObjectId()  # in the caller's document, as pymongo does
                key = document["_id"]
                if type(key) not in _FAST_ID_TYPES:
                    raise _NotFast
                plan.append((kind, key, _plan_document(document, key), False))
            else:
                key = _fast_id(spec)
                payload = (_plan_update(document) if kind == "update"
                           else _plan_document(document, key))
                plan.append((kind, key, payload, bool(upsert)))
    except Exception:  # noqa: BLE001 - anything odd is mongomock's to handle (or refuse)
        return None
    return plan or None


def _fast_requests(requests: list) -> list | None:
    """A bulk_write's requests as plan entries, when all are of the fast path's kinds."""
    from pymongo.operations import InsertOne, ReplaceOne, UpdateOne

    entries = []
    try:
        for request in requests:
            kind = type(request)
            if kind is InsertOne:
                if getattr(request, "_namespace", None) is not None:
                    return None
                entries.append(("insert", None, request._doc, False))
                continue
            if kind is UpdateOne:
                if request._array_filters is not None:
                    return None
            elif kind is not ReplaceOne:
                return None
            if (request._collation is not None or request._hint is not None
                    or getattr(request, "_sort", None) is not None
                    or getattr(request, "_namespace", None) is not None):
                return None
            entries.append(("update" if kind is UpdateOne else "replace", request._filter,
                            request._doc, request._upsert))
    except AttributeError:  # another pymongo's request objects: mongomock reads them
        return None
    return entries


def _fast_update(document: dict, steps: list, inserting: bool) -> bool:
    """Apply planned update operators to a document, as mongomock's updaters would.

    Returns True when the document surely changed (a field added or removed, a number
    incremented, a `$max`/`$min` that took), so that its BSON need not be compared; False when
    unsure.
    """
    surely = False
    for operator, fields in steps:
        if operator == "$set" or (operator == "$setOnInsert" and inserting):
            size = len(document)
            document.update(fields)  # in order; a field already there keeps its place
            if len(document) != size:
                surely = True  # a field was added
        elif operator == "$unset":
            for name in fields:
                if document.pop(name, _MISSING) is not _MISSING:
                    surely = True
        elif operator == "$inc":
            for name, value in fields.items():
                old = document.get(name, _MISSING)
                if old is _MISSING:
                    old, surely = 0, True
                elif type(old) not in _FAST_NUMBERS:
                    raise _NotFast  # MongoDB refuses; mongomock may do odd things: its call
                new = old + value
                if type(new) is int and not _INT64_MIN <= new <= _INT64_MAX:
                    raise _NotFast
                if new != old:
                    surely = True
                document[name] = new
        elif operator == "$max" or operator == "$min":
            for name, value in fields:
                if name not in document:
                    document[name] = value
                    surely = True
                    continue
                old, new = _fast_order(document[name]), _fast_order(value)
                if (new > old) if operator == "$max" else (new < old):
                    document[name] = value  # another value in BSON's order: surely changed
                    surely = True
    return surely


_UPDATE_ONE_OPTIONS = ("bypass_document_validation", "collation", "array_filters", "hint",
                       "session", "let", "sort", "comment")
_REPLACE_ONE_OPTIONS = ("bypass_document_validation", "session", "hint", "sort")


def _fast_plan_one(kind: str, spec: Any, document: Any, upsert: Any, args: tuple,
                   kwargs: dict, options: tuple) -> list | None:
    """update_one / replace_one as a one-step plan, when called with no options."""
    if args or any(name not in options or value not in (None, False)
                   for name, value in kwargs.items()):
        return None
    return _fast_plan([(kind, spec, document, upsert)])


# ---------------------------------------------------------------- mongomock's API, persisted
def _operation(write: bool, base: Callable) -> Callable:
    @functools.wraps(base)
    def method(self, *args, **kwargs):
        return self._db_store._engine._run(write, self._name, lambda: base(self, *args, **kwargs))
    return method


class _Cursor(Cursor):
    """mongomock's Cursor, iterated in linear time.

    mongomock slices its result list (skip and limit) again on every `next()`: reading
    120,000 documents cost 7 billion copied references (185 s). The slice is kept here while
    the results, skip and limit it came from stay the same.
    """

    _sliced: tuple | None = None

    def _compute_results(self, with_limit_and_skip=False):
        results = Cursor._compute_results(self, with_limit_and_skip=False)
        if not with_limit_and_skip:
            return results
        kept = self._sliced
        if kept is None or kept[0] is not results or kept[1:3] != (self._skip, self._limit):
            sliced = results[self._skip:]
            if self._limit:
                sliced = sliced[:abs(self._limit)]
            kept = self._sliced = (results, self._skip, self._limit, sliced)
        return kept[3]

    def clone(self):
        cursor = Cursor.clone(self)
        cursor.__class__ = _Cursor
        return cursor


class EmbeddedCollection(Collection):
    """mongomock's Collection; each public call is one read or one committed write."""

    def find(self, *args, **kwargs):
        cursor = Collection.find(self, *args, **kwargs)
        cursor.__class__ = _Cursor  # the same object, iterated in linear time
        return cursor

    def _iter_documents(self, filter):  # noqa: A002 - mongomock's parameter name
        store = self._store
        engine = store._engine
        ids = _ids_in(filter)
        if ids is None:
            if engine._txn is None and engine._streams(store):
                return engine._stream(store, filter)
            store._ensure_full()
            found = Collection._iter_documents(self, filter)
            if engine._txn is not None:
                return engine._exposing(store, found)
            return found
        # The `_id` lookup every MongoDB has: answered from the id map, not by a scan.
        store._ensure_ids(ids)
        store._remove_expired_documents()
        documents = store._documents
        found = [documents[i] for i in ids if i in documents]
        if len(filter) > 1:
            found = [doc for doc in found if filter_applies(filter, doc)]
        if engine._txn is not None and found:
            engine._txn.exposed.setdefault(store, set()).update(_doc_key(d) for d in found)
        return iter(found)

    def _get_dataset(self, spec, sort, fields, as_class):
        # Cursors evaluate lazily: the read happens here, as one operation.
        return self._db_store._engine._run(False, self._name, lambda: iter(list(
            Collection._get_dataset(self, spec, sort, fields, as_class))))

    def _prefetch(self, ids: list) -> None:
        store = self._store
        if ids and not store._full:
            store._ensure_ids(ids)

    def insert_many(self, documents, *args, **kwargs):
        if isinstance(documents, Mapping) or not hasattr(documents, "__iter__"):
            return Collection.insert_many(self, documents, *args, **kwargs)
        documents = list(documents)
        plan = None
        if not args and all(name in ("ordered", "bypass_document_validation", "session",
                                     "comment") and value in (None, False, True)
                            and (name == "ordered" or not value)
                            for name, value in kwargs.items()):
            plan = _fast_plan([("insert", None, document, False) for document in documents])

        def work():
            if plan is not None and self._fast_apply(plan) is not None:
                from mongomock_ng.results import InsertManyResult

                return InsertManyResult([step[1] for step in plan], acknowledged=True)
            self._prefetch([d["_id"] for d in documents if isinstance(d, Mapping)
                            and _is_plain_id(d.get("_id"))])
            return Collection.insert_many(self, documents, *args, **kwargs)
        return self._db_store._engine._run(True, self._name, work)

    def bulk_write(self, requests, ordered=True, bypass_document_validation=False,
                   session=None, comment=None):
        requests = list(requests)
        plan = None
        if not bypass_document_validation and session is None and comment is None:
            entries = _fast_requests(requests)
            plan = _fast_plan(entries) if entries else None  # before the lock: no store read

        def work():
            if plan is not None:
                done = self._fast_apply(plan)
                if done is not None:
                    return BulkWriteResult({
                        "nModified": done["modified"], "nUpserted": len(done["upserted"]),
                        "nMatched": done["matched"], "writeErrors": [],
                        "upserted": done["upserted"], "writeConcernErrors": [],
                        "nRemoved": 0, "nInserted": done["inserted"]}, True)
            from pymongo.operations import InsertOne

            ids = []
            for request in requests:
                if isinstance(request, InsertOne):
                    document = getattr(request, "_doc", None)
                    if isinstance(document, Mapping) and _is_plain_id(document.get("_id")):
                        ids.append(document["_id"])
                else:
                    ids.extend(_ids_in(getattr(request, "_filter", None)) or ())
            self._prefetch(list(dict.fromkeys(ids)))
            return Collection.bulk_write(self, requests, ordered, bypass_document_validation,
                                         session, comment)
        return self._db_store._engine._run(True, self._name, work)

    def update_one(self, filter, update, upsert=False, *args, **kwargs):  # noqa: A002
        plan = _fast_plan_one("update", filter, update, upsert, args, kwargs,
                              _UPDATE_ONE_OPTIONS)
        return self._db_store._engine._run(True, self._name, lambda: self._fast_one(
            plan, lambda: Collection.update_one(self, filter, update, upsert, *args, **kwargs)))

    def replace_one(self, filter, replacement, upsert=False, *args, **kwargs):  # noqa: A002
        plan = _fast_plan_one("replace", filter, replacement, upsert, args, kwargs,
                              _REPLACE_ONE_OPTIONS)
        return self._db_store._engine._run(True, self._name, lambda: self._fast_one(
            plan, lambda: Collection.replace_one(self, filter, replacement, upsert, *args,
                                                 **kwargs)))

    def _fast_one(self, plan: list | None, generic: Callable[[], Any]) -> Any:
        done = self._fast_apply(plan) if plan is not None else None
        if done is None:
            return generic()
        if done["upserted"]:  # the raw result MongoDB sends (mongomock adds "upserted": None)
            raw = {"n": 1, "nModified": 0, "upserted": done["upserted"][0]["_id"],
                   "ok": 1.0, "updatedExisting": False}
        else:
            raw = {"n": done["matched"], "nModified": done["modified"], "ok": 1.0,
                   "updatedExisting": bool(done["matched"])}
        return UpdateResult(raw, True)

    def _fast_apply(self, plan: list) -> dict | None:
        """Apply a planned write to copies of the cached documents, all or nothing.

        Returns the counts, or None (nothing touched) when the write needs mongomock: a
        collection with a unique index, a validator or a TTL index, a duplicate insert, a
        `$inc` or `$max` on a value the fast path does not compare, an unencodable value.
        """
        store = self._store
        if (store.options or store._ttl_indexes
                or any(index.get("unique") for index in store.indexes.values())):
            return None
        self._prefetch(list(dict.fromkeys(step[1] for step in plan)))
        documents, encode, decode = store._documents, bson.encode, bson.decode
        # In an evicted collection, new documents go to the file only (a bulk import streams).
        stream = store._evicted and not store._full
        latest: dict = {}  # key -> (document, its BSON) as the write left it, in write order
        done = {"inserted": 0, "matched": 0, "modified": 0, "upserted": []}
        try:
            for index, (kind, key, payload, upsert) in enumerate(plan):
                if key in latest:
                    old, old_body = latest[key]
                    if old is None:  # streamed earlier in this write
                        old = decode(old_body, _FAST_CODEC)
                else:
                    old, old_body = documents.get(key), None
                    if old is not None and type(old.get("_id")) not in _FAST_ID_TYPES:
                        raise _NotFast  # e.g. an `_id` True where 1 was asked: mongomock's
                if kind == "insert":
                    if old is not None:
                        raise _NotFast  # a duplicate key: mongomock reports it
                    new = payload
                    done["inserted"] += 1
                elif old is None:
                    if not upsert:
                        continue
                    new = {"_id": key}
                    if kind == "replace":
                        new.update(payload)
                    else:
                        _fast_update(new, payload, True)
                    done["upserted"].append({"index": index, "_id": key})
                else:
                    if kind == "replace":  # mongomock keeps the filter's `_id`, then the rest
                        new = {"_id": key}
                        new.update(payload)
                        surely = False
                    else:
                        new = dict(old)  # values are replaced, never changed in place
                        surely = _fast_update(new, payload, False)
                    done["matched"] += 1
                    body = encode(new)
                    if not surely and body == (
                            old_body if old_body is not None else encode(old)):
                        continue  # MongoDB's "modified": the stored document changed
                    done["modified"] += 1
                    latest[key] = (decode(body, _FAST_CODEC), body)
                    continue
                body = encode(new)
                if stream:
                    if b"\x11" in body:  # maybe a Timestamp: refused as the cache would
                        decode(body, _FAST_CODEC)
                    latest[key] = (None, body)
                else:
                    latest[key] = (decode(body, _FAST_CODEC), body)
        except Exception:  # noqa: BLE001 - nothing is touched yet: mongomock decides
            return None
        engine = store._engine
        encoded = engine._txn.encoded.setdefault(store, {})
        with store._rwlock.writer():  # what __setitem__ does, for the whole write at once
            for key, (document, _) in latest.items():
                if document is not None:
                    documents[key] = document
        if not store._full:
            probed = store._probed
            for key, (document, _) in latest.items():
                if document is None:
                    probed.discard(key)  # in the file only: looked up there when asked for
                else:
                    probed.add(key)
        touched = engine._txn.touched.setdefault(store, {})
        for key, known in latest.items():
            touched[key] = None  # noted, as mongomock's own writes are (_note)
            encoded[key] = known
        engine._stats["fast_writes"] += 1
        engine._stats["fast_operations"] += len(plan)
        return done

    def aggregate(self, pipeline, *args, **kwargs):
        writes = any(isinstance(stage, Mapping) and ("$out" in stage or "$merge" in stage)
                     for stage in pipeline or ())
        return self._db_store._engine._run(
            writes, self._name, lambda: Collection.aggregate(self, pipeline, *args, **kwargs))

    def count_documents(self, filter, *args, **kwargs):  # noqa: A002
        def work():
            store = self._store
            engine = store._engine
            if (not filter and not args and not kwargs and not store._full
                    and not store._ttl_indexes and engine._txn is None):
                return engine._count(store)  # no need to load the collection to count it
            return Collection.count_documents(self, filter, *args, **kwargs)
        return self._db_store._engine._run(False, self._name, work)

    def list_indexes(self, *args, **kwargs):
        return self._db_store._engine._run(
            False, self._name, lambda: iter(list(Collection.list_indexes(self, *args, **kwargs))))

    def with_options(self, codec_options=None, read_preference=None, write_concern=None,
                     read_concern=None):
        other = Collection.with_options(self, codec_options, read_preference, write_concern,
                                        read_concern)
        if other is self:
            return self
        return EmbeddedCollection(
            self.database, self.name, _db_store=self._db_store,
            write_concern=other.write_concern, read_concern=other.read_concern,
            read_preference=other.read_preference, codec_options=other.codec_options)


_COLLECTION_WRITES = (
    "insert_one", "update_one", "update_many", "replace_one", "delete_one", "delete_many",
    "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "create_index",
    "create_indexes", "drop_index", "drop_indexes", "drop", "rename", "remove", "save",
    "update", "insert", "find_and_modify", "ensure_index")
_COLLECTION_READS = (
    "find_one", "estimated_document_count", "distinct", "index_information", "options",
    "count")
for _name in _COLLECTION_WRITES + _COLLECTION_READS:
    if hasattr(Collection, _name) and _name not in EmbeddedCollection.__dict__:
        setattr(EmbeddedCollection, _name,
                _operation(_name in _COLLECTION_WRITES, getattr(Collection, _name)))


def _database_operation(write: bool, base: Callable) -> Callable:
    @functools.wraps(base)
    def method(self, *args, **kwargs):
        name = args[0] if args else kwargs.get("name_or_collection", kwargs.get("name"))
        name = getattr(name, "name", name)
        return self._store._engine._run(write, name if isinstance(name, str) else None,
                                        lambda: base(self, *args, **kwargs))
    return method


class EmbeddedDatabase(Database):
    """mongomock's Database whose collections are EmbeddedCollections."""

    def get_collection(self, name, codec_options=None, read_preference=None,
                       write_concern=None, read_concern=None):
        if read_preference is not None:
            read_preferences.ensure_read_preference_type("read_preference", read_preference)
        mongomock_codec_options.is_supported(codec_options)
        try:
            return self._collection_accesses[name].with_options(
                codec_options=codec_options or self._codec_options,
                read_preference=read_preference or self.read_preference,
                read_concern=read_concern, write_concern=write_concern)
        except KeyError:
            self._ensure_valid_collection_name(name)
            collection = self._collection_accesses[name] = EmbeddedCollection(
                self, name=name, read_concern=read_concern, write_concern=write_concern,
                read_preference=read_preference or self.read_preference,
                codec_options=codec_options or self._codec_options, _db_store=self._store)
            return collection

    def with_options(self, codec_options=None, read_preference=None, write_concern=None,
                     read_concern=None):
        other = Database.with_options(self, codec_options, read_preference, write_concern,
                                      read_concern)
        if other is self:
            return self
        return EmbeddedDatabase(self._client, self.name, self._store,
                                read_preference=other.read_preference,
                                codec_options=other.codec_options,
                                read_concern=other.read_concern)

    def command(self, command, value=1, *args, **kwargs):
        name = command if isinstance(command, str) else next(iter(command), None)
        target = None
        if name == "collMod":
            target = value if isinstance(command, str) else command.get("collMod")
        return self._store._engine._run(
            name == "collMod", target if isinstance(target, str) else None,
            lambda: Database.command(self, command, value, *args, **kwargs))


for _name, _write in (("list_collection_names", False), ("list_collections", False),
                      ("drop_collection", True), ("create_collection", True),
                      ("rename_collection", True), ("dereference", False)):
    setattr(EmbeddedDatabase, _name, _database_operation(_write, getattr(Database, _name)))


# ------------------------------------------------------------------------------- the store
class _EmbeddedClient(MongoClient):
    def start_session(self, *args, **kwargs):
        raise NotImplementedError(
            "the embedded store has no sessions or transactions: each operation is durable "
            "when it returns")


class _Txn:
    """What one write transaction changed, to write it and, on failure, to undo it."""

    def __init__(self) -> None:
        self.seq: int | None = None
        self.touched: dict[_CachedCollection, dict] = {}      # to write at the next flush
        self.all_touched: dict[_CachedCollection, set] = {}   # written (maybe mid-operation)
        self.exposed: dict[_CachedCollection, set] = {}       # handed out, maybe changed in place
        self.meta_objs: set[_CachedCollection] = set()
        self.meta_names: set[str] = set()
        self.cleared: list[str] = []
        self.reset_names: set[str] = set()
        self.renamed = False
        self.meta_written: set[_CachedCollection] = set()
        # documents the fast path wrote: (document, its BSON); the document is that BSON decoded
        self.encoded: dict[_CachedCollection, dict] = {}


_STORES: weakref.WeakSet[EmbeddedStore] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for store in list(_STORES):
        busy = store._depth or store._txn is not None
        store._lock = threading.RLock()  # another thread may have held it at fork()
        store._depth, store._txn, store._stray = 0, None, {}
        if busy and not store._closed:
            # forked in the middle of an operation: memory may hold uncommitted changes
            store._dbstore._collections.clear()
            store._needs_reset = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class EmbeddedStore:
    """A MongoDB-like database in one SQLite file, shared safely by several processes."""

    def __init__(self, directory: Path | str, database: str, *,
                 cache_limit: int = CACHE_LIMIT, cache_bytes: int = CACHE_BYTES) -> None:
        if not isinstance(database, str) or not database or any(
                c in database for c in '/\\. "$\x00'):
            raise InvalidName(f"invalid database name: {database!r}")
        self._directory = Path(directory)
        self._database_name = database
        self._path = self._directory / "embedded-mongo" / f"{database}.sqlite3"
        self._lock = threading.RLock()
        self._depth = 0
        self._txn: _Txn | None = None
        self._stray: dict[_CachedCollection, dict] = {}
        self._closed = False
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._inherited: list[sqlite3.Connection] = []  # never closed: see _connection
        self._stats: collections.Counter = collections.Counter()
        self._seen = 0
        self._needs_reset = False
        if cache_limit < 2:
            raise ValueError(f"cache_limit must be at least 2, not {cache_limit!r}")
        self._cache_limit, self._cache_bytes = cache_limit, cache_bytes

        self._client = _EmbeddedClient(tz_aware=True)
        self._dbstore = _CachedDatabase(self)
        self._client._store._databases[database] = self._dbstore
        self._db = EmbeddedDatabase(self._client, database, _store=self._dbstore,
                                    read_preference=self._client.read_preference,
                                    codec_options=self._client.codec_options)
        self._client._database_accesses[database] = self._db
        _STORES.add(self)
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                self._seen = self._counter()
                for row in conn.execute("SELECT name, indexes, options, created FROM collections "
                                        "WHERE created = 1"):
                    self._apply_meta(self._dbstore[row[0]], *row[1:])
            finally:
                conn.execute("COMMIT")

    # ------------------------------------------------------------------------ public API
    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._path

    def database(self):
        """The (mongomock) Database; safe to keep for the process lifetime."""
        if self._closed:
            raise InvalidOperation("the embedded store is closed")
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
            self._dbstore._collections.clear()

    def __repr__(self) -> str:
        return f"EmbeddedStore({str(self._path)!r})"

    # ------------------------------------------------------------------------ connection
    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        if self._conn is not None:
            # Forked: SQLite connections must not cross fork(), and closing this one would drop
            # the POSIX locks of the new one, so it is kept open and unused.
            self._inherited.append(self._conn)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self._path), timeout=_BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise RuntimeError(f"{self._path}: cannot use SQLite's WAL journal")
        conn.execute("PRAGMA synchronous = NORMAL")
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'tombstones_changes'"
                        ).fetchone() is None:
            self._create_schema(conn)
        version = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if version is None or version[0] != _FORMAT:
            raise RuntimeError(f"{self._path}: unknown embedded store format {version}")
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            fresh = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'"
                                 ).fetchone() is None
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (_FORMAT,))
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('seq', 0)")
            if fresh:
                self._import_legacy(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _import_legacy(self, conn: sqlite3.Connection) -> None:
        """Take over the data of the previous store (BSON generations), once, if there is any."""
        legacy = self._directory / "embedded-mongo" / self._database_name
        pointer = legacy / "CURRENT"
        if not pointer.exists():
            return
        from filelock import FileLock

        with FileLock(str(legacy) + ".lock", timeout=_BUSY_TIMEOUT_S):
            folder = legacy / pointer.read_text().strip()
            definitions = json_util.loads((folder / "indexes.json").read_text())
            for name, indexes in definitions.items():
                configs = {}
                for index in indexes:
                    config = {"key": [tuple(part) for part in index["key"]]}
                    if index.get("unique"):
                        config["unique"] = True
                    configs[index["name"]] = config
                rows = []
                for document in bson.decode_all((folder / f"{name}.bson").read_bytes()):
                    rows.append((name, _id_key(_doc_key(document)), 1, bson.encode(document)))
                conn.executemany(_UPSERT_DOCUMENT, rows)
                conn.execute(_UPSERT_COLLECTION, (name, _indexes_json(configs), "{}", 1, 1, 0))
            conn.execute("UPDATE meta SET value = 1 WHERE key = 'seq'")
        log.info("Embedded store: imported %s from %s", self._path.name, folder)

    def _counter(self) -> int:
        return self._conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]

    # ------------------------------------------------------------------------ operations
    def _run(self, write: bool, collection: str | None, work: Callable[[], Any]) -> Any:
        """Run `work` as one operation: a read, or a write committed when it returns."""
        with self._lock:
            if self._closed:
                raise InvalidOperation("the embedded store is closed")
            if self._depth:  # nested in an operation (bulk_write, $lookup, cursor in update…)
                self._depth += 1
                try:
                    if write and self._txn is not None and collection is not None:
                        self._txn.meta_names.add(collection)
                    return work()
                finally:
                    self._depth -= 1
            self._depth = 1
            try:
                if self._needs_reset:
                    self._needs_reset = False
                    self._reset_all()
                return self._write(collection, work) if write else self._read(work)
            finally:
                self._depth = 0
                if self._stray:
                    self._persist_stray()
                self._trim()

    def _trim(self) -> None:
        """Bound the cache (between operations): see the module's docstring."""
        limit = self._cache_limit
        for store in list(self._dbstore._collections.values()):
            documents = store._documents
            if len(store._probed) > 2 * limit:  # ids probed and not found, many
                store._probed = set(documents) if not store._full else set()
            count = len(documents)
            if count <= limit // 8 or not store._evictable():
                continue
            keep = limit // 2
            if count <= limit:  # few documents: are they big? (the newest as a sample)
                try:
                    size = len(bson.encode(documents[next(reversed(documents))]))
                except Exception:  # noqa: BLE001 - a document BSON cannot hold: no estimate
                    continue
                if count * size <= self._cache_bytes:
                    continue
                keep = max(1, self._cache_bytes // size // 2)
            with store._rwlock.writer():
                for _ in range(count - keep):
                    documents.popitem(last=False)  # the oldest first
            store._full, store._probed, store._evicted = False, set(documents), True
            store._checked_empty = True
            self._stats["evictions"] += 1

    def _read(self, work: Callable[[], Any]) -> Any:
        conn = self._connection()
        conn.execute("BEGIN")  # one snapshot for catch-up and lazy loads
        try:
            self._catch_up()
            return work()
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _write(self, collection: str | None, work: Callable[[], Any]) -> Any:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")  # the cross-process write lock
        txn = self._txn = _Txn()
        if collection is not None:
            txn.meta_names.add(collection)
        try:
            self._catch_up()
            result = work()
            self._flush(final=True)
            if txn.seq is not None:
                conn.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (txn.seq,))
            conn.execute("COMMIT")
            if txn.seq is not None:
                self._seen = txn.seq
                self._stats["commits"] += 1
            return result
        except BaseException:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            finally:
                self._txn = None
                self._recover(txn)
            raise
        finally:
            self._txn = None

    def _persist_stray(self) -> None:
        """Persist changes mongomock made outside a write (TTL expiry during a read)."""
        stray, self._stray = self._stray, {}

        def mark():
            for store, keys in stray.items():
                self._txn.touched.setdefault(store, {}).update(keys)
                self._txn.meta_objs.add(store)
        self._run(True, None, mark)

    # ------------------------------------------------------------------ hooks of the stores
    def _note(self, store: _CachedCollection, key: Any) -> None:
        txn = self._txn
        target = self._stray if txn is None else txn.touched
        target.setdefault(store, {})[key] = None

    def _note_meta(self, store: _CachedCollection) -> None:
        if self._txn is not None:
            self._txn.meta_objs.add(store)
        else:
            self._stray.setdefault(store, {})

    def _note_drop(self, store: _CachedCollection) -> None:
        txn = self._txn
        if txn is None:
            raise RuntimeError("embedded store: a collection was dropped outside an operation")
        txn.touched.pop(store, None)
        txn.meta_objs.add(store)
        if store._disk_meta is None and store not in txn.all_touched:
            return  # never written to the file: nothing to clear there
        txn.cleared.append(store.name)
        txn.reset_names.add(store.name)

    def _note_rename(self, old_name: str, store: _CachedCollection) -> None:
        txn = self._txn
        if txn is None:
            raise RuntimeError("embedded store: a collection was renamed outside an operation")
        txn.renamed = True
        txn.cleared += [old_name, store.name]
        txn.reset_names.update((old_name, store.name))
        txn.touched[store] = dict.fromkeys(store._documents)
        txn.meta_objs.add(store)

    def _exposing(self, store: _CachedCollection, documents):
        exposed = self._txn.exposed.setdefault(store, set())
        for document in documents:
            exposed.add(_doc_key(document))
            yield document

    # ---------------------------------------------------------------------- loading
    def _load_ids(self, store: _CachedCollection, keys: list) -> None:
        conn = self._connection()
        if not store._checked_empty:
            store._checked_empty = True
            if conn.execute("SELECT 1 FROM documents WHERE collection = ? LIMIT 1",
                            (store.name,)).fetchone() is None:
                store._full, store._probed = True, set()  # nothing stored: all is in memory
                return
        documents = store._documents
        loaded = 0
        id_keys = [_id_key(key) for key in keys]
        for chunk in _chunks(id_keys):
            for (body,) in conn.execute(
                    "SELECT body FROM documents WHERE collection = ? AND id_key IN "
                    f"({','.join('?' * len(chunk))})", (store.name, *chunk)):
                document = bson.decode(body)
                documents[_doc_key(document)] = document
                loaded += 1
        store._probed.update(keys)
        self._stats["id_loads"] += 1
        self._stats["documents_loaded"] += loaded

    def _load_all(self, store: _CachedCollection) -> None:
        txn = self._txn
        if txn is not None and txn.touched:
            self._flush(final=False)  # the file then holds this operation's changes so far
        conn = self._connection()
        keep = txn.exposed.get(store, ()) if txn is not None else ()
        old = store._documents
        documents = collections.OrderedDict()
        with _no_gc():  # 200k fresh documents: the cyclic GC would triple the time, for nothing
            bodies = [row[0] for row in conn.execute(
                "SELECT body FROM documents WHERE collection = ? ORDER BY rowid", (store.name,))]
            loaded = bson.decode_all(b"".join(bodies)) if bodies else []
            del bodies
            for document in loaded:
                key = _doc_key(document)
                # A document mongomock holds mid-update stays the same object.
                documents[key] = old[key] if key in keep and key in old else document
        store._documents = documents
        store._full, store._probed, store._checked_empty = True, set(), True
        if store._evicted:
            store._evicted = False
            store._reloads += 1
            store._pinned = store._pinned or store._reloads >= _RELOADS_BEFORE_PIN
        self._stats["full_loads"] += 1
        self._stats["documents_loaded"] += len(loaded)

    def _streams(self, store: _CachedCollection) -> bool:
        """Whether a read of this (not loaded) collection should stream the file."""
        if store._full or not store._evictable() or store._streamed >= _STREAMS_BEFORE_LOAD:
            if not store._full and store._streamed >= _STREAMS_BEFORE_LOAD:
                store._pinned = True  # read whole again and again: keep it loaded
            return False
        if not store._evicted and self._count(store) <= self._cache_limit:
            return False
        store._streamed += 1
        return True

    def _stream(self, store: _CachedCollection, filter: Any):  # noqa: A002 - mongomock's name
        """The documents matching `filter`, decoded a chunk at a time from the file."""
        conn, name, last = self._connection(), store.name, 0
        self._stats["streamed_reads"] += 1
        while True:
            rows = conn.execute("SELECT rowid, body FROM documents WHERE collection = ? "
                                "AND rowid > ? ORDER BY rowid LIMIT ?",
                                (name, last, _STREAM_CHUNK)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for document in bson.decode_all(b"".join(body for _, body in rows)):
                if filter_applies(filter, document):
                    yield document

    def _count(self, store: _CachedCollection) -> int:
        self._stats["sql_counts"] += 1
        return self._connection().execute("SELECT COUNT(*) FROM documents WHERE collection = ?",
                                          (store.name,)).fetchone()[0]

    # ---------------------------------------------------------------------- catch-up
    def _apply_meta(self, store: _CachedCollection, indexes_json: str, options_json: str,
                    created: int) -> None:
        indexes, ttl = {}, {}
        for entry in json_util.loads(indexes_json):
            name = entry.pop("name")
            entry["key"] = [tuple(part) for part in entry["key"]]
            indexes[name] = entry
            if entry.get("expireAfterSeconds") is not None:
                ttl[name] = entry
        store.indexes, store._ttl_indexes = indexes, ttl
        store.options = json_util.loads(options_json)
        store._created_flag = bool(created)
        store._disk_meta = (indexes_json, options_json, bool(created))

    def _catch_up(self) -> None:
        """Apply what other processes (or other EmbeddedStores) committed since we last looked."""
        current = self._counter()
        if current == self._seen:
            return
        conn = self._conn
        last = self._seen
        self._stats["catch_ups"] += 1
        if current < last:  # the file was replaced: start over
            self._reset_all()
            self._seen = current
            return
        known = self._dbstore._collections
        for name, indexes, options, created, reset_seq in conn.execute(
                "SELECT name, indexes, options, created, reset_seq FROM collections "
                "WHERE meta_seq > ?", (last,)).fetchall():
            if name not in known and not created:
                continue
            store = self._dbstore[name]
            if reset_seq > last:
                store._forget()
            self._apply_meta(store, indexes, options, created)
        for store in list(known.values()):
            if not (store._full or store._probed):
                continue
            documents, name = store._documents, store.name
            rows = conn.execute("SELECT id_key, body FROM documents "
                                "WHERE collection = ? AND seq > ?", (name, last)).fetchall()
            for id_key, body in rows:
                if store._full:
                    document = bson.decode(body)
                    documents[_doc_key(document)] = document
                else:
                    key = _key_of_id_key(id_key)
                    if key in store._probed:
                        documents[key] = bson.decode(body)
            for (id_key,) in conn.execute("SELECT id_key FROM tombstones "
                                          "WHERE collection = ? AND seq > ?", (name, last)):
                documents.pop(_key_of_id_key(id_key), None)
            self._stats["changes_applied"] += len(rows)
        self._seen = current

    # -------------------------------------------------------------------------- writing
    def _txn_seq(self) -> int:
        txn = self._txn
        if txn.seq is None:
            txn.seq = self._seen + 1  # we hold the write lock and caught up: _seen is current
        return txn.seq

    def _flush(self, *, final: bool) -> None:
        txn, conn = self._txn, self._conn
        if txn.cleared:
            for name in dict.fromkeys(txn.cleared):
                self._txn_seq()
                conn.execute("DELETE FROM documents WHERE collection = ?", (name,))
                conn.execute("DELETE FROM tombstones WHERE collection = ?", (name,))
            txn.cleared = []
        for store, keys in txn.touched.items():
            if not keys:
                continue
            seq = self._txn_seq()
            name, documents = store.name, store._documents
            encoded = txn.encoded.get(store, {})
            upserts, deletions = [], []
            for key in keys:
                id_key = _id_key(key)
                document = documents.get(key, _MISSING)
                known = encoded.get(key)
                if document is _MISSING:
                    if known is not None and known[0] is None:  # streamed past the cache
                        upserts.append((name, id_key, seq, known[1]))
                    else:
                        deletions.append((name, id_key))
                    continue
                if known is not None and known[0] is document:
                    upserts.append((name, id_key, seq, known[1]))  # decoded from it already
                    continue
                body = bson.encode(document)
                upserts.append((name, id_key, seq, body))
                if final:  # memory then holds exactly what the file (and other processes) hold
                    documents[key] = bson.decode(body)
            if upserts:
                conn.executemany(_UPSERT_DOCUMENT, upserts)
                if conn.execute("SELECT 1 FROM tombstones WHERE collection = ? LIMIT 1",
                                (name,)).fetchone() is not None:
                    conn.executemany("DELETE FROM tombstones WHERE collection = ? AND id_key = ?",
                                     [row[:2] for row in upserts])
            if deletions:
                conn.executemany("DELETE FROM documents WHERE collection = ? AND id_key = ?",
                                 deletions)
                conn.executemany("INSERT OR REPLACE INTO tombstones (collection, id_key, seq) "
                                 "VALUES (?, ?, ?)", [(*row, seq) for row in deletions])
            txn.all_touched.setdefault(store, set()).update(keys)
            self._stats["documents_written"] += len(upserts)
            self._stats["tombstones_written"] += len(deletions)
        txn.touched, txn.encoded = {}, {}
        if final:
            self._flush_definitions()

    def _flush_definitions(self) -> None:
        txn, conn, known = self._txn, self._conn, self._dbstore._collections
        stores = set(txn.meta_objs) | set(txn.all_touched)
        for name in txn.meta_names:
            if name in known:
                stores.add(known[name])
        for name in txn.reset_names:
            stores.add(self._dbstore[name])
        for store in stores:
            if store.name not in known or known[store.name] is not store:
                continue  # replaced by a rename: its data now lives under the new name
            meta = _meta_of(store)
            reset = store.name in txn.reset_names
            if not reset and (meta == store._disk_meta
                              or (store._disk_meta is None and not meta[2])):
                continue
            seq = self._txn_seq()
            conn.execute(_UPSERT_COLLECTION,
                         (store.name, meta[0], meta[1], int(meta[2]), seq, seq if reset else 0))
            store._disk_meta, store._created_flag = meta, meta[2]
            txn.meta_written.add(store)

    # ------------------------------------------------------------------------- recovery
    def _reset(self, store: _CachedCollection) -> None:
        store._forget()
        row = self._connection().execute(
            "SELECT indexes, options, created FROM collections WHERE name = ?",
            (store.name,)).fetchone()
        if row is not None:
            self._apply_meta(store, *row)

    def _reset_all(self) -> None:
        self._dbstore._collections.clear()
        for row in self._connection().execute(
                "SELECT name, indexes, options, created FROM collections WHERE created = 1"):
            self._apply_meta(self._dbstore[row[0]], *row[1:])

    def _recover(self, txn: _Txn) -> None:
        """After a rollback, make memory equal to the file again, where the operation touched."""
        self._stats["recoveries"] += 1
        try:
            if txn.renamed:
                self._reset_all()
                return
            known = self._dbstore._collections
            stores = (set(txn.all_touched) | set(txn.touched) | set(txn.exposed)
                      | txn.meta_objs | txn.meta_written)
            stores.update(known[n] for n in txn.meta_names | txn.reset_names if n in known)
            for store in stores:
                keys = (txn.all_touched.get(store, set()) | set(txn.touched.get(store, ()))
                        | txn.exposed.get(store, set()))
                if (store in txn.meta_objs or store in txn.meta_written
                        or store.name in txn.reset_names or len(keys) > _REFRESH_LIMIT
                        or _meta_of(store) != (store._disk_meta or ("[]", "{}", False))):
                    self._reset(store)
                elif keys:
                    self._refresh(store, keys)
        except BaseException:
            log.exception("embedded store: recovery failed, dropping every cache")
            self._reset_all()
            raise

    def _refresh(self, store: _CachedCollection, keys: set) -> None:
        conn, documents = self._connection(), store._documents
        by_id_key = {_id_key(key): key for key in keys}
        found = set()
        for chunk in _chunks(list(by_id_key)):
            for id_key, body in conn.execute(
                    "SELECT id_key, body FROM documents WHERE collection = ? AND id_key IN "
                    f"({','.join('?' * len(chunk))})", (store.name, *chunk)):
                documents[by_id_key[id_key]] = bson.decode(body)
                found.add(by_id_key[id_key])
        for key in keys - found:
            documents.pop(key, None)
        if not store._full:
            store._probed.update(keys)
