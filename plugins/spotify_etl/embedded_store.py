"""The embedded development store: MongoDB's API with no MongoDB server.

mongomock-ng holds the data in memory; this module persists it under the data directory as
BSON files and serialises access across processes with a file lock, so several Airflow task
processes can share it. For development and demos only: production uses a real MongoDB.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import bson
from filelock import FileLock

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pymongo.database import Database

log = logging.getLogger(__name__)


def _install_id_lookup() -> None:
    """Give mongomock the `_id` lookup every MongoDB has.

    mongomock scans every document for every filter, so each upsert of a daily load cost
    O(collection size): minutes for a week of demo data. Filters on `_id` alone (a value or
    `$in`), which is how the loaders address documents, are answered from its id map instead.
    Results are the same; only the speed differs.
    """
    from bson import ObjectId
    from mongomock_ng.collection import Collection

    if getattr(Collection, "_spotify_etl_id_lookup", False):
        return
    scan = Collection._iter_documents
    scalar = (str, int, ObjectId)

    def iter_documents(self, filter):  # noqa: A002 - mongomock's own parameter name
        if isinstance(filter, dict) and len(filter) == 1 and "_id" in filter:
            wanted = filter["_id"]
            if isinstance(wanted, scalar):
                ids = [wanted]
            elif (isinstance(wanted, dict) and list(wanted) == ["$in"]
                  and all(isinstance(i, scalar) for i in wanted["$in"])):
                ids = list(dict.fromkeys(wanted["$in"]))
            else:
                return scan(self, filter)
            store = self._store
            return (store[i] for i in ids if i in store)
        return scan(self, filter)

    Collection._iter_documents = iter_documents
    Collection._spotify_etl_id_lookup = True


class EmbeddedStore:
    """A persisted mongomock database, one generation directory per committed write."""

    def __init__(self, directory: Path, database: str) -> None:
        self.directory = Path(directory) / "embedded-mongo" / database
        self.database = database
        self._lock = FileLock(str(self.directory) + ".lock")
        self._thread_lock = threading.RLock()
        self._client = None
        self._generation: str | None = None
        self._announced = False

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Database]:
        """Open the database exclusively; on a clean exit, persist it atomically."""
        import mongomock_ng as mongomock

        _install_id_lookup()
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self._announced:
            log.info("Using the embedded development store at %s (not a MongoDB server; set "
                     "MONGODB_URI or the mongo_default connection for production)", self.directory)
            self._announced = True
        with self._thread_lock, self._lock:
            current = self._read_current()
            if self._client is None or current != self._generation:
                self._client = mongomock.MongoClient(tz_aware=True)
                self._load(current)
                self._generation = current
            db = self._client[self.database]
            try:
                yield db
                if write:
                    self._generation = self._commit(db)
            except BaseException:
                # Drop what this session changed in memory: the files still hold the last commit.
                self._client, self._generation = None, None
                raise

    def _read_current(self) -> str | None:
        pointer = self.directory / "CURRENT"
        return pointer.read_text().strip() if pointer.exists() else None

    def _load(self, generation: str | None) -> None:
        if generation is None:
            return
        folder = self.directory / generation
        db = self._client[self.database]
        meta = json.loads((folder / "indexes.json").read_text())
        for name, indexes in meta.items():
            collection = db[name]
            for index in indexes:
                collection.create_index([tuple(k) for k in index["key"]], name=index["name"],
                                        unique=index.get("unique", False))
            data = (folder / f"{name}.bson").read_bytes()
            documents = bson.decode_all(data, codec_options=bson.CodecOptions(tz_aware=True))
            if documents:
                collection.insert_many(documents)

    def _commit(self, db: Database) -> str:
        # Leftovers of a process killed mid-commit (never pointed to by CURRENT) go first, so
        # the next generation's name is always free.
        for leftover in self.directory.glob("gen-*"):
            if leftover.name != self._generation:
                shutil.rmtree(leftover, ignore_errors=True)
        number = int((self._generation or "gen-0").split("-")[1]) + 1
        generation = f"gen-{number}"
        staging = self.directory / (generation + ".tmp")
        staging.mkdir()
        meta = {}
        for name in db.list_collection_names():
            collection = db[name]
            meta[name] = [
                {"name": index_name, "key": list(map(list, info["key"])),
                 "unique": bool(info.get("unique", False))}
                for index_name, info in collection.index_information().items()
                if index_name != "_id_"
            ]
            with open(staging / f"{name}.bson", "wb") as handle:
                for document in collection.find():
                    handle.write(bson.encode(document))
        (staging / "indexes.json").write_text(json.dumps(meta))
        os.replace(staging, self.directory / generation)
        pointer = self.directory / "CURRENT.tmp"
        pointer.write_text(generation)
        os.replace(pointer, self.directory / "CURRENT")  # the commit point
        if self._generation:
            shutil.rmtree(self.directory / self._generation, ignore_errors=True)
        return generation
