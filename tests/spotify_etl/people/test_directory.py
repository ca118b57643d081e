from __future__ import annotations

from datetime import UTC, datetime

from spotify_etl.people.directory import display_names, list_users, user_rows
from spotify_etl.storage import database


def _people(db):
    db.users.insert_many([
        {"_id": "bob", "display_name": "Bob", "status": "needs_reauth",
         "reauth_reason": "invalid_grant", "refresh_token_expires_at":
             datetime(2027, 5, 1, tzinfo=UTC), "last_snapshot_date": "2026-11-19"},
        {"_id": "alice", "display_name": None, "status": "active"},
    ])
    db.tokens.insert_one({"_id": "alice", "token": "ciphertext"})


def test_people_are_listed_by_id_and_filtered_by_status_or_id(data_dir):
    db = database()
    _people(db)
    assert [u["_id"] for u in list_users(db)] == ["alice", "bob"]
    assert [u["_id"] for u in list_users(db, status="active")] == ["alice"]
    assert [u["_id"] for u in list_users(db, user_ids=["bob", "nobody"])] == ["bob"]


def test_rows_show_status_reason_and_expiry_and_never_a_token(data_dir):
    db = database()
    _people(db)
    rows = user_rows(db)
    assert rows[1] == {"user_id": "bob", "display_name": "Bob", "status": "needs_reauth",
                       "reason": "invalid_grant", "last_snapshot_date": "2026-11-19",
                       "refresh_token_expires": "2027-05-01"}
    assert "ciphertext" not in str(rows)


def test_display_names_fall_back_to_the_id(data_dir):
    db = database()
    _people(db)
    assert display_names(db, ["alice", "bob", "ghost"]) == {"alice": "alice", "bob": "Bob",
                                                            "ghost": "ghost"}
