from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet

from spotify_etl.settings import load_settings
from spotify_etl.storage import database, open_database
from spotify_etl.people.tokens import TokenStore, TokenStoreError

SECRET_REFRESH = "AQ-refresh-token-that-must-never-be-readable"


@pytest.fixture
def store(data_dir, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    return TokenStore(database(), load_settings())


def _connect(store, user_id="alice"):
    return store.save_user({"id": user_id, "display_name": "Alice Ærø", "account_id": "acc-1"},
                           {"refresh_token": SECRET_REFRESH, "access_token": "BQ-access",
                            "expires_at": 0, "scope": "user-top-read"})


def test_tokens_are_encrypted_at_rest_and_readable_with_the_key(store, caplog):
    caplog.set_level(logging.DEBUG)
    _connect(store)
    with open_database() as db:
        raw = str(list(db.tokens.find())) + str(list(db.users.find()))
    assert SECRET_REFRESH not in raw and "BQ-access" not in raw
    assert SECRET_REFRESH not in caplog.text
    assert store.token_info("alice")["refresh_token"] == SECRET_REFRESH


def test_people_live_apart_from_their_tokens(store):
    _connect(store)
    with open_database() as db:
        user = db.users.find_one({"_id": "alice"})
    assert user["status"] == "active" and user["account_id"] == "acc-1"
    assert (user["refresh_token_expires_at"] - user["consented_at"]).days == 182
    assert not any("token" in key and key != "refresh_token_expires_at" for key in user)


def test_without_a_key_tokens_are_refused(data_dir, monkeypatch):
    monkeypatch.delenv("SPOTIFY_ETL_FERNET_KEY", raising=False)
    with pytest.raises(TokenStoreError, match="SPOTIFY_ETL_FERNET_KEY"):
        _connect(TokenStore(database(), load_settings()))
    with open_database() as db:
        assert db.users.count_documents({}) == 0


def test_a_malformed_key_is_named(data_dir, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", "not-a-key")
    with pytest.raises(TokenStoreError, match="not a valid Fernet key"):
        _connect(TokenStore(database(), load_settings()))


def test_a_changed_key_is_reported_without_leaking_the_token(store, monkeypatch):
    _connect(store)
    other = TokenStore(database(), load_settings(), fernet=Fernet(Fernet.generate_key()))
    with pytest.raises(TokenStoreError, match="encryption key") as raised:
        other.token_info("alice")
    assert SECRET_REFRESH not in str(raised.value)


def test_rotated_refresh_token_replaces_the_old_one_through_the_cache_handler(store):
    _connect(store)
    handler = store.cache_handler("alice")
    assert handler.get_cached_token()["refresh_token"] == SECRET_REFRESH
    handler.save_token_to_cache({"access_token": "BQ-new", "refresh_token": "AQ-rotated",
                                 "expires_at": 1, "scope": "user-top-read", "extra": "dropped"})
    assert store.token_info("alice") == {"access_token": "BQ-new", "refresh_token": "AQ-rotated",
                                         "expires_at": 1, "scope": "user-top-read"}


def test_needs_reauth_records_reason_and_reconnecting_clears_it(store):
    _connect(store)
    store.mark_needs_reauth("alice", "Refresh token revoked")
    with open_database() as db:
        user = db.users.find_one({"_id": "alice"})
    assert user["status"] == "needs_reauth" and user["reauth_reason"] == "Refresh token revoked"
    assert user["reauth_since"] is not None
    _connect(store)
    with open_database() as db:
        user = db.users.find_one({"_id": "alice"})
    assert user["status"] == "active" and "reauth_reason" not in user
