"""Pick where the data lives, once per process: MongoDB when configured, else the embedded store.

`open_database()` is the one way in. It uses Airflow's `MongoHook` when the connection
`mongo_default` exists, `MONGODB_URI` otherwise, and the embedded development store only when
neither is configured. A MongoDB that is configured but cannot be read or reached fails the
caller with a message naming the setting: it never falls back to the embedded store.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from spotify_etl.settings import Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pymongo.database import Database

log = logging.getLogger(__name__)
AIRFLOW_CONNECTION, MONGODB_URI, EMBEDDED = "airflow-connection", "mongodb-uri", "embedded"


class StorageConfigError(RuntimeError):
    """MongoDB is configured but cannot be read or reached; the message names the setting."""


def backend_name(settings: Settings | None = None) -> str:
    """Say which store `open_database` uses: 'airflow-connection', 'mongodb-uri' or 'embedded'."""
    settings = settings or load_settings()
    if _airflow_connection_configured(settings.mongo_conn_id):
        return AIRFLOW_CONNECTION
    if settings.mongodb_uri:
        return MONGODB_URI
    return EMBEDDED


def _airflow_connection_configured(conn_id: str) -> bool:
    """Tell whether an Airflow connection for MongoDB exists; raise if Airflow cannot say."""
    if os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"):
        return True
    if "airflow.sdk" not in sys.modules:  # not inside Airflow: no stored connections to ask
        return False
    try:
        from airflow.sdk import get_current_context

        get_current_context()
    except Exception:  # noqa: BLE001 - not inside a running task: nothing stored to ask
        return False
    return _stored_connection_exists(conn_id)


@lru_cache(maxsize=4)
def _stored_connection_exists(conn_id: str) -> bool:
    """Ask Airflow once per task process whether the connection is stored."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    except Exception as error:
        raise StorageConfigError(
            f"Cannot read the Airflow connection {conn_id!r} (SPOTIFY_ETL_MONGO_CONN_ID): "
            f"{type(error).__name__}. Fix the connection, or remove it to use MONGODB_URI; "
            "nothing was written anywhere else.") from None
    return True


@lru_cache(maxsize=4)
def _embedded(data_dir: str, database: str):
    from spotify_etl.storage.embedded import EmbeddedStore

    return EmbeddedStore(data_dir, database)


@lru_cache(maxsize=4)
def _client_for_connection(conn_id: str):
    """One MongoClient per process and connection (it pools connections itself)."""
    from airflow.providers.mongo.hooks.mongo import MongoHook

    try:
        client = MongoHook(mongo_conn_id=conn_id).get_conn()
    except Exception as error:
        raise StorageConfigError(
            f"The Airflow connection {conn_id!r} does not describe a usable MongoDB: "
            f"{type(error).__name__}. Nothing was written.") from None
    _check_reachable(client, f"the Airflow connection {conn_id!r}")
    return client


@lru_cache(maxsize=4)
def _client_for_uri(uri: str, timeout_ms: int):
    from pymongo import MongoClient

    try:
        client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=timeout_ms,
                             appname="spotify_etl")
    except Exception as error:  # a malformed URI; its text may hold a password: not shown
        raise StorageConfigError(f"MONGODB_URI is not a usable MongoDB URI "
                                 f"({type(error).__name__}). Nothing was written.") from None
    _check_reachable(client, f"MONGODB_URI (host {_host_of(uri)})")
    return client


def _check_reachable(client, setting: str) -> None:
    from pymongo.errors import PyMongoError

    try:
        client.admin.command("ping")
    except PyMongoError as error:
        raise StorageConfigError(
            f"MongoDB configured by {setting} cannot be reached: {type(error).__name__}. "
            "Nothing was written; start the server or fix the setting.") from None


def _host_of(uri: str) -> str:
    """The host part of a MongoDB URI, without user or password."""
    try:
        return urlsplit(uri).netloc.rsplit("@", 1)[-1] or "?"
    except ValueError:
        return "?"


def database(settings: Settings | None = None) -> Database:
    """Return the project's database handle (one per process and configuration).

    Every write is durable when it returns, on MongoDB and on the embedded store alike, so a
    handle may be kept for as long as the process lives.
    """
    settings = settings or load_settings()
    backend = backend_name(settings)
    if backend == EMBEDDED:
        return _embedded(str(settings.data_dir), settings.database).database()
    if backend == AIRFLOW_CONNECTION:
        from bson import CodecOptions

        client = _client_for_connection(settings.mongo_conn_id)
        return client.get_database(settings.database, codec_options=CodecOptions(tz_aware=True))
    return _client_for_uri(settings.mongodb_uri, settings.mongo_timeout_ms).get_database(
        settings.database)


@contextmanager
def open_database(settings: Settings | None = None) -> Iterator[Database]:
    """Open the database for one unit of work (a task, a command) and pass it down from there."""
    yield database(settings)
