from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import requests

from spotify_etl.constants import SCOPES
from spotify_etl.settings import load_settings
from spotify_etl.storage import database, open_database
from spotify_etl.people.tokens import TokenStore


def stored_users() -> list[dict]:
    with open_database() as db:
        return list(db.users.find())


def stored_tokens() -> int:
    with open_database() as db:
        return db.tokens.count_documents({})


def test_connecting_stores_the_person_and_shows_their_name(client, env, robot):
    query = robot.consent(client)
    answer = client.get(robot.callback_path(query), follow_redirects=True)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    [person] = stored_users()
    sandbox_user = env.world.users[env.world.user_index[person["_id"]]]
    assert person["status"] == "active"
    assert person["display_name"] == sandbox_user.display_name
    assert person["account_id"]  # the sandbox's /me has the May-2026 account_id
    assert (person["refresh_token_expires_at"] - person["consented_at"]).days == 182
    assert f"Connected: {person['display_name'] or person['_id']}" in page
    token = TokenStore(database(), load_settings()).token_info(person["_id"])
    assert token["refresh_token"] and token["access_token"]
    assert token["refresh_token"] not in page and token["access_token"] not in page
    assert set(token["scope"].split()) == set(SCOPES)


def test_login_asks_for_exactly_the_pipeline_scopes_with_a_fresh_state(client):
    first = urlsplit(client.get("/login").headers["Location"])
    second = urlsplit(client.get("/login").headers["Location"])
    params = parse_qs(first.query)
    assert params["scope"][0].split() == list(SCOPES)
    assert params["redirect_uri"] == ["http://127.0.0.1:8888/callback"]
    assert params["response_type"] == ["code"]
    assert len(params["state"][0]) >= 40
    assert params["state"] != parse_qs(second.query)["state"]
    assert "code_challenge" not in params  # a client secret is configured


def test_without_a_client_secret_pkce_is_used(make_client, env, monkeypatch, robot):
    monkeypatch.delenv("SPOTIFY_CLIENT_SECRET")
    client = make_client()
    params = parse_qs(urlsplit(client.get("/login").headers["Location"]).query)
    assert params["code_challenge_method"] == ["S256"] and params["code_challenge"][0]
    answer = client.get(robot.callback_path(robot.consent(client)), follow_redirects=True)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert len(stored_users()) == 1 and stored_tokens() == 1


def test_a_mismatched_state_is_refused_and_nothing_stored(client, robot):
    query = robot.consent(client)
    answer = client.get(robot.callback_path({**query, "state": query["state"][:-2] + "xx"}))
    assert answer.status_code == 400
    assert "Nothing was stored" in answer.get_data(as_text=True)
    # The state was single use: the genuine answer no longer works either.
    assert client.get(robot.callback_path(query)).status_code == 400
    assert stored_users() == [] and stored_tokens() == 0


def test_a_missing_state_is_refused(client, robot):
    query = robot.consent(client)
    assert client.get(robot.callback_path({"code": query["code"]})).status_code == 400
    assert stored_users() == []


def test_a_callback_from_another_browser_is_refused(client, make_client, robot):
    query = robot.consent(client)
    stranger = make_client()  # no session: the state was never issued to it
    assert stranger.get(robot.callback_path(query)).status_code == 400
    assert stored_users() == []


def test_a_replayed_callback_is_refused(client, robot):
    query = robot.consent(client)
    assert client.get(robot.callback_path(query)).status_code == 302
    assert client.get(robot.callback_path(query)).status_code == 400
    assert len(stored_users()) == 1


def test_a_replayed_session_cookie_with_a_fresh_code_connects_nobody_else(client, env, robot):
    authorize_url = client.get("/login").headers["Location"]
    before_callback = client.get_cookie("spotify_auth_session", domain="127.0.0.1").value
    first, second = (u.id for u in env.world.users[2:4])
    assert client.get(robot.callback_path(robot.decide(authorize_url, user_id=first))
                      ).status_code == 302
    # The attacker keeps the cookie from before the callback and gets a fresh code for the
    # same state by consenting as someone else.
    client.set_cookie("spotify_auth_session", before_callback, domain="127.0.0.1")
    replay = client.get(robot.callback_path(robot.decide(authorize_url, user_id=second)))
    assert replay.status_code == 400
    assert "Nothing was stored" in replay.get_data(as_text=True)
    assert [u["_id"] for u in stored_users()] == [first]


def test_a_new_login_uses_up_the_pending_state_it_replaces(client, env, robot):
    first_url = client.get("/login").headers["Location"]
    first_cookie = client.get_cookie("spotify_auth_session", domain="127.0.0.1").value
    client.get("/login")
    client.set_cookie("spotify_auth_session", first_cookie, domain="127.0.0.1")
    answer = client.get(robot.callback_path(robot.decide(first_url)))
    assert answer.status_code == 400 and stored_users() == []


def test_a_code_spotify_does_not_accept_stores_nothing(client, robot):
    query = robot.consent(client)
    answer = client.get(robot.callback_path({**query, "code": "AQ-forged-code"}))
    assert answer.status_code == 400
    assert "did not accept this authorization" in answer.get_data(as_text=True)
    assert stored_users() == [] and stored_tokens() == 0


def test_denying_consent_shows_a_friendly_page_and_stores_nothing(client, robot):
    query = robot.consent(client, decision="deny")
    assert query["error"] == "access_denied"
    answer = client.get(robot.callback_path(query))
    assert answer.status_code == 200
    assert "nothing was connected" in answer.get_data(as_text=True)
    assert stored_users() == [] and stored_tokens() == 0


def test_someone_off_the_allowlist_gets_the_allowlist_page(make_client, dev_sandbox, monkeypatch,
                                                          robot):
    robot.point_at(monkeypatch, dev_sandbox)
    client = make_client()
    page = requests.get(client.get("/login").headers["Location"], timeout=10).text
    outsider = next(uid for uid, label in robot.options(page) if "(allowlisted)" not in label)
    answer = client.get(robot.callback_path(robot.consent(client, user_id=outsider)))
    assert answer.status_code == 403
    text = answer.get_data(as_text=True)
    assert "allowlist" in text and "may not be registered" in text
    assert stored_users() == [] and stored_tokens() == 0


def test_an_allowlisted_person_connects_in_development_mode(make_client, dev_sandbox,
                                                             monkeypatch, robot):
    robot.point_at(monkeypatch, dev_sandbox)
    client = make_client()
    allowlisted = dev_sandbox.world.users[0].id
    answer = client.get(robot.callback_path(robot.consent(client, user_id=allowlisted)))
    assert answer.status_code == 302
    assert [u["_id"] for u in stored_users()] == [allowlisted]


def test_the_five_person_cap_is_explained_before_sending_anyone_to_spotify(
        make_client, monkeypatch):
    monkeypatch.setenv("SPOTIFY_APP_MODE", "development")
    client = make_client()
    store = TokenStore(database(), load_settings())
    for number in range(5):
        store.save_user({"id": f"person{number}", "display_name": f"Person {number}"},
                        {"refresh_token": f"AQ-{number}", "access_token": "BQ", "expires_at": 0})
    answer = client.get("/login")
    assert answer.status_code == 409
    assert "at most 5" in answer.get_data(as_text=True)
    # Someone already connected may still renew.
    again = client.get("/people/person3/reconnect", follow_redirects=False)
    assert client.get(again.headers["Location"]).status_code == 302


def test_reauthorization_flips_needs_reauth_back_to_active(client, env, robot):
    user_id = env.world.users[2].id
    client.get(robot.callback_path(robot.consent(client, user_id=user_id)))
    TokenStore(database(), load_settings()).mark_needs_reauth(user_id, "invalid_grant: Refresh token revoked")
    listing = client.get("/").get_data(as_text=True)
    assert "needs re-authorization" in listing and "Refresh token revoked" in listing
    start = client.get(f"/people/{user_id}/reconnect")
    assert start.status_code == 302
    login_path = start.headers["Location"]
    assert "reconnect=" in login_path
    query = robot.consent(client, user_id=user_id, login_path=login_path)
    assert client.get(robot.callback_path(query)).status_code == 302
    [person] = stored_users()
    assert person["status"] == "active" and "reauth_reason" not in person
    assert "needs re-authorization" not in client.get("/").get_data(as_text=True)


def test_status_page_lists_people_with_expiry_and_last_snapshot(client):
    store = TokenStore(database(), load_settings())
    store.save_user({"id": "alice", "display_name": "Alice <script>"},
                    {"refresh_token": "AQ-a", "access_token": "BQ-a", "expires_at": 0})
    with open_database() as db:
        db.users.update_one({"_id": "alice"}, {"$set": {"last_snapshot_date": "2026-11-19"}})
    page = client.get("/").get_data(as_text=True)
    expires = stored_users()[0]["refresh_token_expires_at"].date().isoformat()
    assert "Alice &lt;script&gt;" in page and "<script>" not in page
    assert expires in page and "2026-11-19" in page and "Connect Spotify" in page


def test_healthz_answers_json_without_secrets(client, env):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body == {"status": "ok", "database": "ok", "people": 0, "flow": "client-secret",
                    "app_mode": "unspecified"}
    assert "sandbox-client-secret" not in answer.get_data(as_text=True)


def test_no_token_appears_in_any_response_or_log_line(client, env, robot, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("spotipy", "spotipy.oauth2", "spotipy.client", "werkzeug", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    bodies = []
    query = robot.consent(client)
    for path in (robot.callback_path(query), "/connected", "/", "/healthz",
                 robot.callback_path(query)):
        bodies.append(client.get(path).get_data(as_text=True))
    [person] = stored_users()
    bodies.append(client.get(f"/people/{person['_id']}/delete").get_data(as_text=True))
    token = TokenStore(database(), load_settings()).token_info(person["_id"])
    secrets = [token["access_token"], token["refresh_token"], query["code"], "sandbox-client-secret"]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Connected user" in logged  # the log was captured at all
    for secret in secrets:
        assert all(secret not in body for body in bodies)
        assert secret not in logged and secret not in caplog.text
    cookie = client.get_cookie("spotify_auth_session", domain="127.0.0.1")
    app = client.application
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert person["_id"] in str(session)  # decoded for real
    assert all(secret not in str(session) for secret in secrets)


def test_the_status_page_shows_consent_and_the_day_access_ends_with_a_warning(client, env):
    from datetime import UTC, datetime, timedelta

    store = TokenStore(database(), load_settings())
    token = {"refresh_token": "AQ-a", "access_token": "BQ-a", "expires_at": 0}
    now = datetime.now(UTC)
    store.save_user({"id": "soon", "display_name": "Soon"}, token,
                    consented_at=now - timedelta(days=177, hours=-1))
    store.save_user({"id": "fresh", "display_name": "Fresh"}, token, consented_at=now)
    page = client.get("/").get_data(as_text=True)
    assert "Connected on" in page and "Access ends" in page
    soon = page.split('data-user-id="soon"')[1].split("</tr>")[0]
    fresh = page.split('data-user-id="fresh"')[1].split("</tr>")[0]
    assert (now - timedelta(days=177)).date().isoformat() in soon
    assert (now + timedelta(days=5)).date().isoformat() in soon
    assert "in 5 days: reconnect" in soon
    assert now.date().isoformat() in fresh and "reconnect</small>" not in fresh
