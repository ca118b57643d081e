from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cryptography.fernet import Fernet

from spotify_etl.settings import load_settings
from spotify_etl.storage import database, document_id, open_database
from spotify_etl.people.tokens import TokenStore
from spotify_etl.people.deletion import delete_user

DAY = date(2026, 11, 20).isoformat()
TRACK = "4uLU6hMCjMI75M1A2tKUQC"


def seed_person(db, user_id: str) -> None:
    """Give one person their own document in every per-person collection."""
    db.top_lists.insert_one({"_id": document_id(user_id, DAY, "tracks", "short_term"),
                             "user_id": user_id, "snapshot_date": DAY, "kind": "tracks",
                             "time_range": "short_term", "item_count": 1,
                             "items": [{"rank": 1, "item_id": TRACK}]})
    db.plays.insert_one({"_id": document_id(user_id, "2026-11-20T08:00:00.000Z"),
                         "user_id": user_id, "played_at": datetime(2026, 11, 20, 8, tzinfo=UTC),
                         "track_id": TRACK})
    db.runs.insert_one({"_id": document_id(user_id, DAY), "user_id": user_id,
                        "snapshot_date": DAY, "status": "success"})
    db.diffs.insert_one({"_id": document_id("change", user_id, DAY, 7, "short_term"),
                         "kind": "change", "user_id": user_id, "snapshot_date": DAY})


@pytest.fixture
def seeded(data_dir, monkeypatch):
    """Alice, Bob and Carol with their own data, plus everything they share."""
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    store = TokenStore(database(), load_settings())
    for person in ("alice", "bob", "carol"):
        store.save_user({"id": person, "display_name": person.title()},
                        {"refresh_token": f"AQ-{person}", "access_token": f"BQ-{person}",
                         "expires_at": 0})
    with open_database() as db:
        for person in ("alice", "bob", "carol"):
            seed_person(db, person)
        # Shared and derived documents, in the shapes the analytics write.
        db.diffs.insert_one({"_id": document_id("pair", "alice", "bob", DAY, "short_term"),
                             "kind": "pair", "users": ["alice", "bob"]})
        db.diffs.insert_one({"_id": document_id("pair", "bob", "carol", DAY, "short_term"),
                             "kind": "pair", "users": ["bob", "carol"]})
        db.groups.insert_one({"_id": "flatmates", "owner": "bob",
                              "members": ["alice", "bob", "carol"]})
        db.groups.insert_one({"_id": "alices-club", "owner": "alice", "members": ["alice", "bob"]})
        db.groups.insert_one({"_id": "legacy", "owner_id": "carol",
                              "members": [{"user_id": "alice"}, {"user_id": "carol"}]})
        db.mixes.insert_one({"_id": document_id("flatmates", DAY), "group": "flatmates",
                             "owner": "bob", "members": ["alice", "bob", "carol"],
                             "ranks": [{"user_id": "alice", "rank": 1}]})
        db.mixes.insert_one({"_id": document_id("duo", DAY), "group": "duo", "owner": "bob",
                             "members": ["bob", "carol"]})
        for person, twins in (("alice", ["bob"]), ("bob", ["alice", "carol"]),
                              ("carol", ["bob"])):
            db.taste_twins.insert_one({"_id": document_id(person, DAY, "medium_term"),
                                       "user_id": person, "snapshot_date": DAY,
                                       "twins": [{"user_id": t, "score": 50.0} for t in twins]})
        db.artists.insert_one({"_id": "0OdUWJ0sBjDrqHygGUXeCF", "name": "Band of Horses"})
    return store


def mentions(user_id: str) -> dict[str, int]:
    """Count documents that mention the person anywhere we know of, per collection."""
    query = {"$or": [{"_id": user_id}, {"user_id": user_id}, {"user_ids": user_id},
                     {"users": user_id}, {"owner": user_id}, {"owner_id": user_id},
                     {"members": user_id}, {"members.user_id": user_id},
                     {"twins.user_id": user_id}, {"ranks.user_id": user_id}]}
    with open_database() as db:
        return {name: db[name].count_documents(query) for name in db.list_collection_names()}


def everything() -> dict[str, list[dict]]:
    with open_database() as db:
        return {name: sorted(db[name].find(), key=lambda d: str(d["_id"]))
                for name in db.list_collection_names()}


def test_deletion_removes_everything_of_that_person(seeded):
    counts = delete_user(database(), "alice")
    assert counts == {"users": 1, "tokens": 1, "top_lists": 1, "plays": 1, "runs": 1,
                      "diffs": 2, "mixes": 1, "taste_twins": 2, "groups": 3}
    assert sum(mentions("alice").values()) == 0
    assert seeded.token_info("alice") is None


def test_deletion_leaves_everyone_else_alone(seeded):
    before = everything()
    delete_user(database(), "alice")
    after = everything()
    for person in ("bob", "carol"):
        assert seeded.token_info(person)["refresh_token"] == f"AQ-{person}"
    for name in ("top_lists", "plays", "runs"):
        assert after[name] == [d for d in before[name] if d["user_id"] != "alice"]
    assert [d["_id"] for d in after["diffs"]] == [
        document_id("change", "bob", DAY, 7, "short_term"),
        document_id("change", "carol", DAY, 7, "short_term"),
        document_id("pair", "bob", "carol", DAY, "short_term")]
    assert [d["_id"] for d in after["mixes"]] == [document_id("duo", DAY)]
    groups = {d["_id"]: d for d in after["groups"]}
    assert set(groups) == {"flatmates", "legacy"}  # Alice's own group went with her
    assert groups["flatmates"]["members"] == ["bob", "carol"]
    assert groups["legacy"]["members"] == [{"user_id": "carol"}]
    twins = {d["user_id"]: [t["user_id"] for t in d["twins"]] for d in after["taste_twins"]}
    assert twins == {"bob": ["carol"], "carol": ["bob"]}
    assert after["artists"] == before["artists"]
    assert [u["_id"] for u in after["users"]] == ["bob", "carol"]


def test_deleting_an_unknown_person_changes_nothing(seeded):
    before = everything()
    assert delete_user(database(), "nobody") == {}
    assert everything() == before


def test_a_person_is_required():
    with pytest.raises(ValueError):
        delete_user(database(), "")
