"""Where the data lives: pick MongoDB or the embedded store, and declare the collections.

`open_database()` is the one way in. It uses Airflow's `MongoHook` when the `mongo_default`
connection exists, `MONGODB_URI` otherwise, and the embedded development store when neither is
set. The collections, their natural keys and indexes are declared once, here.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

from spotify_etl.settings import Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pymongo.database import Database

log = logging.getLogger(__name__)

# Every document's `_id` is its natural key (a string built from the key fields, see
# `document_id`), so uniqueness needs no extra index and every upsert is an `_id` lookup.
# The indexes below serve the pipeline's and the analysts' queries (docs/queries.md); a test
# checks that every documented question is served by one of them.
INDEXES: dict[str, list[list[tuple[str, int]]]] = {
    "users": [[("status", 1), ("reauth_since", 1)]],
    "artists": [[("genres", 1)]],
    "tracks": [[("artist_ids", 1)], [("isrc", 1)]],
    "top_items": [
        [("user_id", 1), ("snapshot_date", 1), ("kind", 1), ("time_range", 1), ("rank", 1)],
        [("kind", 1), ("item_id", 1), ("snapshot_date", 1)],
        # questions across all people on one day: leaderboards, top genres, taste twins
        [("snapshot_date", 1), ("kind", 1), ("time_range", 1), ("rank", 1)],
    ],
    "plays": [[("user_id", 1), ("played_at", -1)], [("track_id", 1)], [("played_at", -1)]],
    "runs": [[("snapshot_date", 1), ("status", 1)], [("user_id", 1), ("snapshot_date", -1)]],
    # analytics (docs/analytics.md)
    "diffs": [[("kind", 1), ("snapshot_date", -1)], [("users", 1), ("snapshot_date", -1)]],
    "mixes": [[("group", 1), ("snapshot_date", -1)], [("publish.status", 1)]],
    "groups": [[("members", 1)], [("publish", 1)]],
    "taste_twins": [[("snapshot_date", 1), ("time_range", 1)], [("twins.user_id", 1)]],
}
def document_id(*parts: object) -> str:
    """Build a natural-key `_id` from its parts ("alice|2026-11-20|tracks|short_term|1")."""
    return "|".join(_key_part(part) for part in parts)


def _key_part(part: object) -> str:
    if hasattr(part, "isoformat"):
        text = part.isoformat()
        # played_at: millisecond precision in UTC, as Spotify gives it
        return text.replace("+00:00", "Z") if "T" in text else text
    return str(part)


def ensure_indexes(db: Database) -> None:
    """Create every collection's indexes; a no-op when they exist."""
    for collection, indexes in INDEXES.items():
        for keys in indexes:
            db[collection].create_index(keys)


def ensure_definitions(db: Database) -> None:
    """Create indexes, schema validators and analyst views; changes no document.

    Validators and views need MongoDB (the embedded store skips them) and, to change an
    existing definition, the dbAdmin role (docker/mongo/create-users.js grants it): without it
    the old definition stays, with a warning, and the data is loaded all the same.
    """
    from pymongo.errors import OperationFailure

    from spotify_etl.analyst.schemas import apply_validators
    from spotify_etl.analyst.views import create_views

    ensure_indexes(db)
    for step in (apply_validators, create_views):
        try:
            step(db)
        except OperationFailure as error:
            if error.code != 13:  # Unauthorized
                raise
            log.warning("%s skipped: the MongoDB user lacks the dbAdmin role on %s (%s)",
                        step.__name__, db.name, error.details or error)


def backend_name(settings: Settings | None = None) -> str:
    """Say which store `open_database` will use: 'airflow-connection', 'mongodb-uri' or 'embedded'."""
    settings = settings or load_settings()
    if _airflow_mongo_uri(settings.mongo_conn_id):
        return "airflow-connection"
    if settings.mongodb_uri:
        return "mongodb-uri"
    return "embedded"


def _airflow_mongo_uri(conn_id: str) -> bool:
    """Tell whether an Airflow connection for MongoDB is configured, without touching a DB."""
    if os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"):
        return True
    if "airflow.sdk" not in sys.modules:  # not inside Airflow: no stored connections to ask
        return False
    try:  # Inside a running task the Task SDK can resolve connections stored in Airflow.
        from airflow.sdk import get_current_context

        get_current_context()
    except Exception:
        return False
    return _stored_connection_exists(conn_id)


@lru_cache(maxsize=4)
def _stored_connection_exists(conn_id: str) -> bool:
    """Ask Airflow once per task process (each open_database would ask again otherwise)."""
    try:
        from airflow.sdk import BaseHook

        BaseHook.get_connection(conn_id)
        return True
    except Exception:
        return False


@lru_cache(maxsize=4)
def _embedded(data_dir: str, database: str):
    from spotify_etl.embedded_store import EmbeddedStore

    return EmbeddedStore(data_dir, database)


@lru_cache(maxsize=4)
def _client_for_connection(conn_id: str):
    """One MongoClient per process and connection (it pools connections itself)."""
    from airflow.providers.mongo.hooks.mongo import MongoHook

    return MongoHook(mongo_conn_id=conn_id).get_conn()


@lru_cache(maxsize=4)
def _client_for_uri(uri: str):
    from pymongo import MongoClient

    return MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=10_000, appname="spotify_etl")


@contextmanager
def open_database(settings: Settings | None = None, *, write: bool = True) -> Iterator[Database]:
    """Yield the project's database; hold it only as long as the work needs it."""
    settings = settings or load_settings()
    backend = backend_name(settings)
    if backend == "embedded":
        with _embedded(str(settings.data_dir), settings.database).session(write=write) as db:
            yield db
        return
    if backend == "airflow-connection":
        from bson import CodecOptions

        client = _client_for_connection(settings.mongo_conn_id)
        yield client.get_database(settings.database, codec_options=CodecOptions(tz_aware=True))
        return
    yield _client_for_uri(settings.mongodb_uri).get_database(settings.database)
