"""A person who just logged in gets an API token, shown once; nobody else gets one for them."""

from __future__ import annotations

import re

from spotify_etl.people.api_tokens import person_of
from spotify_etl.storage import open_database

ORIGIN = "http://127.0.0.1:8888"


def csrf_from(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_after_logging_in_a_person_creates_a_token_that_opens_the_api_as_them(client, env,
                                                                             robot):
    person = env.world.users[3].id
    client.get(robot.callback_path(robot.consent(client, user_id=person)))
    page = client.get("/connected").get_data(as_text=True)
    assert "Create an API token" in page
    answer = client.post(f"/people/{person}/api-token", data={"csrf_token": csrf_from(page)},
                         headers={"Origin": ORIGIN})
    assert answer.status_code == 200
    token = re.search(r'<code id="api-token">([^<]+)</code>', answer.get_data(as_text=True))[1]
    with open_database() as db:
        assert person_of(db, token) == person
        stored = db.api_tokens.find_one({"user_id": person})
    assert token not in str(stored)  # only its hash is kept
    assert answer.headers["Cache-Control"] == "no-store"


def test_no_token_without_logging_in_as_that_person_or_from_another_site(client, env, robot):
    person, other = env.world.users[3].id, env.world.users[5].id
    client.get(robot.callback_path(robot.consent(client, user_id=person)))
    token = csrf_from(client.get("/connected").get_data(as_text=True))
    someone_else = client.post(f"/people/{other}/api-token", data={"csrf_token": token},
                               headers={"Origin": ORIGIN})
    cross_site = client.post(f"/people/{person}/api-token", data={"csrf_token": token},
                             headers={"Origin": "http://evil.example"})
    no_csrf = client.post(f"/people/{person}/api-token", data={}, headers={"Origin": ORIGIN})
    assert someone_else.status_code == cross_site.status_code == no_csrf.status_code == 403
    with open_database() as db:
        assert db.api_tokens.count_documents({}) == 0
