from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from spotify_etl.settings import load_settings
from spotify_etl.storage import database, document_id, open_database
from spotify_etl.people.tokens import TokenStore

ORIGIN = "http://127.0.0.1:8888"


def give_data(user_id: str, other: str) -> None:
    """Put one document of this person in every collection that can hold their id."""
    day = "2026-11-20"
    with open_database() as db:
        db.top_lists.insert_one({"_id": document_id(user_id, day, "artists", "long_term"),
                                 "user_id": user_id, "snapshot_date": day, "kind": "artists",
                                 "time_range": "long_term", "item_count": 1,
                                 "items": [{"rank": 1, "item_id": "0OdUWJ0sBjDrqHygGUXeCF"}]})
        db.plays.insert_one({"_id": document_id(user_id, "2026-11-20T07:59:00.000Z"),
                             "user_id": user_id, "played_at": datetime(2026, 11, 20, 7, 59,
                                                                      tzinfo=UTC)})
        db.runs.insert_one({"_id": document_id(user_id, day), "user_id": user_id,
                            "snapshot_date": day, "status": "success"})
        db.diffs.insert_one({"_id": document_id(user_id, day, "tracks"), "user_id": user_id})
        db.mixes.insert_one({"_id": document_id(user_id, day, "mix"), "owner_id": user_id})
        db.taste_twins.insert_one({"_id": document_id(user_id, other, day),
                                   "user_ids": [user_id, other], "taste_match": 0.5})
        db.groups.insert_one({"_id": f"{user_id}-friends", "owner_id": user_id,
                              "members": [user_id, other]})


def mentions(user_id: str) -> int:
    with open_database() as db:
        return sum(db[name].count_documents(
            {"$or": [{"_id": user_id}, {"user_id": user_id}, {"user_ids": user_id},
                     {"owner_id": user_id}, {"members": user_id}]})
            for name in db.list_collection_names())


def own_documents(user_id: str) -> int:
    """Documents that are only this person's (not shared with the other)."""
    with open_database() as db:
        return sum(db[name].count_documents({"$or": [{"_id": user_id}, {"user_id": user_id}]})
                   for name in db.list_collection_names())


@pytest.fixture
def alice_and_bob(client, env, robot):
    """Alice connects through the sandbox in this browser; Bob is connected elsewhere."""
    alice = env.world.users[4].id
    assert client.get(robot.callback_path(robot.consent(client, user_id=alice))).status_code == 302
    TokenStore(database(), load_settings()).save_user({"id": "bob", "display_name": "Bob"},
                                          {"refresh_token": "AQ-bob", "access_token": "BQ-bob",
                                           "expires_at": 0})
    give_data(alice, "bob")
    give_data("bob", alice)
    return alice


def csrf_from(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_deletion_after_confirmation_removes_that_person_and_nobody_else(client, alice_and_bob):
    alice = alice_and_bob
    bob_before = own_documents("bob")
    page = client.get(f"/people/{alice}/delete").get_data(as_text=True)
    assert "Delete everything" in page
    answer = client.post(f"/people/{alice}/delete", data={"csrf_token": csrf_from(page)},
                         headers={"Origin": ORIGIN})
    assert answer.status_code == 200
    assert "has been deleted" in answer.get_data(as_text=True)
    assert mentions(alice) == 0
    assert TokenStore(database(), load_settings()).token_info(alice) is None
    # users, tokens, top item, play, run, diff
    assert own_documents("bob") == bob_before == 6
    assert TokenStore(database(), load_settings()).token_info("bob")["refresh_token"] == "AQ-bob"
    with open_database() as db:
        assert db.groups.find_one({"_id": "bob-friends"})["members"] == ["bob"]
        assert db.mixes.count_documents({"owner_id": "bob"}) == 1
    assert alice not in client.get("/").get_data(as_text=True)


def test_a_post_without_the_csrf_token_deletes_nothing(client, alice_and_bob):
    before = mentions(alice_and_bob)
    answer = client.post(f"/people/{alice_and_bob}/delete", data={}, headers={"Origin": ORIGIN})
    assert answer.status_code == 403
    assert mentions(alice_and_bob) == before > 0


def test_a_cross_site_post_deletes_nothing_even_with_the_token(client, alice_and_bob):
    token = csrf_from(client.get(f"/people/{alice_and_bob}/delete").get_data(as_text=True))
    before = mentions(alice_and_bob)
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Referer": "http://evil.example/page"}, {}):
        answer = client.post(f"/people/{alice_and_bob}/delete", data={"csrf_token": token},
                             headers=headers)
        assert answer.status_code == 403, headers
    assert mentions(alice_and_bob) == before


def test_only_someone_who_just_logged_in_as_that_person_may_delete_them(
        client, make_client, alice_and_bob):
    page = client.get("/people/bob/delete").get_data(as_text=True)
    assert "Delete everything" not in page and "Log in with Spotify" in page
    token = csrf_from(client.get(f"/people/{alice_and_bob}/delete").get_data(as_text=True))
    answer = client.post("/people/bob/delete", data={"csrf_token": token},
                         headers={"Origin": ORIGIN})
    assert answer.status_code == 403
    assert own_documents("bob") == 6


def test_deleting_after_proving_identity_through_spotify(make_client, env, robot):
    user_id = env.world.users[6].id
    first = make_client()
    first.get(robot.callback_path(robot.consent(first, user_id=user_id)))
    give_data(user_id, "nobody")
    browser = make_client()  # another browser: must log in as the person first
    start = browser.get(f"/people/{user_id}/reconnect?then=delete")
    query = robot.consent(browser, user_id=user_id, login_path=start.headers["Location"])
    landed = browser.get(robot.callback_path(query))
    assert landed.headers["Location"].endswith(f"/people/{user_id}/delete")
    page = browser.get(landed.headers["Location"]).get_data(as_text=True)
    answer = browser.post(f"/people/{user_id}/delete", data={"csrf_token": csrf_from(page)},
                          headers={"Referer": f"{ORIGIN}/people/{user_id}/delete"})
    assert answer.status_code == 200 and mentions(user_id) == 0
