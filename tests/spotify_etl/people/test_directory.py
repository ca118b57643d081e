from __future__ import annotations

from datetime import UTC, date, datetime

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


def test_rows_show_status_reason_consent_and_end_of_access_and_never_a_token(data_dir):
    db = database()
    _people(db)
    db.users.update_one({"_id": "bob"}, {"$set": {"consented_at": datetime(2026, 10, 31, 9,
                                                                           tzinfo=UTC)}})
    rows = user_rows(db, today=date(2027, 4, 21))
    assert rows[1] == {"user_id": "bob", "display_name": "Bob", "status": "needs_reauth",
                       "reason": "invalid_grant", "consented": "2026-10-31",
                       "access_ends": "2027-05-01", "days_left": 10,
                       "last_snapshot_date": "2026-11-19"}
    assert rows[0]["access_ends"] is None and rows[0]["days_left"] is None
    assert "ciphertext" not in str(rows)


def test_display_names_fall_back_to_the_id(data_dir):
    db = database()
    _people(db)
    assert display_names(db, ["alice", "bob", "ghost"]) == {"alice": "alice", "bob": "Bob",
                                                            "ghost": "ghost"}


def test_a_display_name_two_people_share_gets_their_ids(data_dir):
    db = database()
    db.users.insert_many([{"_id": "m1", "display_name": "Mateo López"},
                          {"_id": "m2", "display_name": "Mateo López"},
                          {"_id": "x", "display_name": "Ximena"}])
    assert display_names(db, ["m1", "m2", "x"]) == {
        "m1": "Mateo López (m1)", "m2": "Mateo López (m2)", "x": "Ximena"}
