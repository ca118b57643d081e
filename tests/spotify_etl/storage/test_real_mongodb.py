"""The storage and loading tests again, against a real MongoDB (7 or 8) when MONGODB_URI is set.

Each test uses a throwaway database and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
from cryptography.fernet import Fernet

from payloads import recently_played, top_artists, top_tracks
from spotify_etl.pipeline.load import load_user_day
from spotify_etl.settings import load_settings
from spotify_etl.storage import backend_name, database, ensure_indexes, open_database
from spotify_etl.people.tokens import TokenStore
from spotify_etl.pipeline.transform import transform_user_day

pytestmark = [
    pytest.mark.mongodb,
    pytest.mark.skipif(not os.environ.get("MONGODB_URI"),
                       reason="MONGODB_URI is not set: no real MongoDB to test against"),
]


@pytest.fixture
def real_db(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_MONGO_DEFAULT", raising=False)
    monkeypatch.setenv("SPOTIFY_ETL_DATABASE", f"spotify_etl_test_{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    assert backend_name() == "mongodb-uri"
    with open_database() as db:
        ensure_indexes(db)
        yield db
        db.client.drop_database(db.name)


def _load(db, day=date(2026, 11, 20)):
    top = {("tracks", "short_term"): top_tracks(), ("artists", "short_term"): top_artists()}
    user_day = transform_user_day("alice", day, top, recently_played())
    return load_user_day(db, "alice", day, user_day, set(top))


def test_indexes_are_created_idempotently(real_db):
    ensure_indexes(real_db)
    ensure_indexes(real_db)
    keys = [list(i["key"].items()) for i in real_db.top_lists.list_indexes()]
    assert [("user_id", 1), ("snapshot_date", 1), ("kind", 1), ("time_range", 1)] in keys
    assert [("kind", 1), ("items.item_id", 1), ("snapshot_date", 1)] in keys


def test_rerun_of_same_date_changes_nothing_on_mongodb(real_db):
    _load(real_db)
    first = {n: sorted(real_db[n].find(), key=lambda d: str(d["_id"]))
             for n in real_db.list_collection_names()}
    counts = _load(real_db)
    again = {n: sorted(real_db[n].find(), key=lambda d: str(d["_id"]))
             for n in real_db.list_collection_names()}
    assert again == first
    assert counts["top_lists"] == 0 and counts["plays"] == 0


def test_tokens_round_trip_encrypted_on_mongodb(real_db):
    store = TokenStore(database(), load_settings())
    store.save_user({"id": "alice", "display_name": "Alice"},
                    {"refresh_token": "AQ-secret", "expires_at": 0, "scope": "user-top-read"})
    assert "AQ-secret" not in str(real_db.tokens.find_one())
    assert store.token_info("alice")["refresh_token"] == "AQ-secret"
    assert real_db.users.find_one()["refresh_token_expires_at"].tzinfo is not None
