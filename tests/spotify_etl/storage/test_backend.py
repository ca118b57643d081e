"""Choosing the store: MongoDB whenever it is configured, loudly; the embedded store otherwise."""

from __future__ import annotations

from datetime import date

import pytest

from spotify_etl.storage import StorageConfigError, backend_name, database, open_database
from spotify_etl.storage import backend as backend_module


@pytest.fixture
def unreachable_mongodb(data_dir, monkeypatch):
    """MongoDB configured at a port where nothing listens (answers refused at once)."""
    monkeypatch.setenv("MONGODB_URI", "mongodb://app:pw-s3cret@127.0.0.1:1/?directConnection=true")
    monkeypatch.setenv("SPOTIFY_ETL_MONGO_TIMEOUT_MS", "300")
    return data_dir


def test_embedded_store_is_used_when_no_mongodb_is_configured(data_dir):
    assert backend_name() == "embedded"


def test_mongodb_uri_selects_a_real_server_and_an_airflow_connection_wins(data_dir, monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "mongodb://127.0.0.1:1")
    assert backend_name() == "mongodb-uri"
    monkeypatch.setenv("AIRFLOW_CONN_MONGO_DEFAULT", "mongo://127.0.0.1:1/")
    assert backend_name() == "airflow-connection"


def test_an_unreachable_mongodb_fails_loudly_and_nothing_goes_to_the_embedded_store(
        unreachable_mongodb):
    with pytest.raises(StorageConfigError) as raised:
        with open_database() as db:
            db.users.insert_one({"_id": "lost"})
    message = str(raised.value)
    assert "MONGODB_URI" in message and "127.0.0.1:1" in message and "cannot be reached" in message
    assert "pw-s3cret" not in message  # the password never reaches a message
    assert not (unreachable_mongodb / "embedded-mongo").exists()


def test_a_snapshot_batch_with_a_broken_mongodb_fails_instead_of_writing_elsewhere(
        unreachable_mongodb, monkeypatch):
    from spotify_etl.pipeline.snapshot import snapshot_batch

    monkeypatch.setenv("SPOTIFY_CLIENT_ID", "someone")
    with pytest.raises(StorageConfigError, match="MONGODB_URI"):
        snapshot_batch(["alice"], date(2026, 11, 20), run_id="r")
    assert not (unreachable_mongodb / "embedded-mongo").exists()


def test_a_broken_airflow_connection_names_the_connection(data_dir, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MONGO_DEFAULT", "mongo://127.0.0.1:1/?directConnection=true"
                                                     "&serverSelectionTimeoutMS=300")
    with pytest.raises(StorageConfigError, match="connection 'mongo_default'"):
        database()
    assert not (data_dir / "embedded-mongo").exists()


def test_an_airflow_connection_that_cannot_be_read_is_an_error_not_a_fallback(monkeypatch):
    from airflow.sdk import BaseHook

    def broken(conn_id):
        raise ConnectionError("metadata database unreachable")

    monkeypatch.setattr(BaseHook, "get_connection", staticmethod(broken))
    backend_module._stored_connection_exists.cache_clear()
    try:
        with pytest.raises(StorageConfigError, match="Cannot read the Airflow connection"):
            backend_module._stored_connection_exists("mongo_default")
    finally:
        backend_module._stored_connection_exists.cache_clear()


def test_a_missing_airflow_connection_means_none_is_configured(monkeypatch):
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    def missing(conn_id):
        raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")

    monkeypatch.setattr(BaseHook, "get_connection", staticmethod(missing))
    backend_module._stored_connection_exists.cache_clear()
    try:
        assert backend_module._stored_connection_exists("mongo_default") is False
    finally:
        backend_module._stored_connection_exists.cache_clear()


def test_the_backend_handle_is_opened_once_per_process_and_configuration(data_dir, tmp_path,
                                                                        monkeypatch):
    first = database()
    assert database() is first
    monkeypatch.setenv("SPOTIFY_ETL_DATA_DIR", str(tmp_path / "elsewhere"))
    assert database() is not first
