from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from auth_server import ConfigError, create_app
from auth_server.__main__ import main
from auth_server.security import RedactingFilter, redact


@pytest.mark.parametrize("missing", ["SPOTIFY_CLIENT_ID", "SPOTIFY_ETL_FERNET_KEY",
                                     "AUTH_SERVER_SECRET_KEY"])
def test_refuses_to_start_without_each_setting_and_names_it(env, monkeypatch, missing):
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=missing):
        create_app()


def test_the_command_line_exits_naming_the_missing_setting(env, monkeypatch):
    monkeypatch.delenv("AUTH_SERVER_SECRET_KEY")
    result = CliRunner().invoke(main, [])
    assert result.exit_code == 2
    assert "AUTH_SERVER_SECRET_KEY is not set" in result.output


def test_help_names_the_options_and_settings():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for word in ("--host", "--port", "--sandbox", "127.0.0.1", "AUTH_SERVER_SECRET_KEY",
                 "SPOTIFY_ETL_FERNET_KEY"):
        assert word in result.output


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SPOTIFY_ETL_FERNET_KEY", "not-a-key", "not a valid Fernet key"),
    ("AUTH_SERVER_SECRET_KEY", "short", "too short"),
    ("SPOTIFY_APP_MODE", "sandbox", "SPOTIFY_APP_MODE must be one of"),
    ("SPOTIFY_REDIRECT_URI", "http://localhost:8888/callback", "refuses 'localhost'"),
])
def test_refuses_wrong_settings(env, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_pages_carry_security_headers_and_the_session_cookie_is_locked_down(client):
    answer = client.get("/login")
    csp = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("spotify_auth_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_other_host_names_are_refused(client):
    assert client.get("/", headers={"Host": "attacker.example:8888"}).status_code == 400


def test_login_on_localhost_moves_to_the_redirect_uri_host_first(client):
    answer = client.get("/login", headers={"Host": "localhost:8888"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "http://127.0.0.1:8888/login"


def test_unknown_people_get_a_404_page(client):
    answer = client.get("/people/nobody/delete")
    assert answer.status_code == 404 and "No one with this id" in answer.get_data(as_text=True)


@pytest.mark.parametrize(("line", "secret"), [
    ('127.0.0.1 - - "GET /callback?code=AQBx-secret_code&state=Zz9 HTTP/1.1" 302 -',
     "AQBx-secret_code"),
    ("Sending POST request with Headers: {'Authorization': 'Basic c2FuZGJveDpzZWNyZXQ='}",
     "c2FuZGJveDpzZWNyZXQ="),
    ("Body: {'code': 'AQBx-secret', 'redirect_uri': 'http://127.0.0.1:8888/callback'}",
     "AQBx-secret"),
    ('{"access_token": "BQ-live-token", "token_type": "Bearer"}', "BQ-live-token"),
    ("grant_type=refresh_token&refresh_token=AQ-refresh", "AQ-refresh"),
])
def test_log_redaction_removes_codes_and_tokens(line, secret):
    assert secret not in redact(line)
    assert "[redacted]" in redact(line)


def test_spotipy_debug_records_are_dropped(caplog):
    record = logging.LogRecord("spotipy.oauth2", logging.DEBUG, __file__, 1,
                               "Headers: %s", ({"Authorization": "Basic c2VjcmV0"},), None)
    assert RedactingFilter().filter(record) is False


@pytest.mark.parametrize("state", ["é" * 43, "ß", "\u2028" + "a" * 42, "a" * 500, "%00"])
def test_a_non_ascii_or_malformed_state_is_a_400_not_a_500(client, robot, state):
    query = robot.consent(client)
    answer = client.get(robot.callback_path({**query, "state": state}))
    assert answer.status_code == 400
    assert "Nothing was stored" in answer.get_data(as_text=True)


def test_a_non_ascii_csrf_token_is_a_400_and_deletes_nothing(client, env, robot):
    from spotify_etl.storage import open_database

    client.get(robot.callback_path(robot.consent(client)))
    with open_database() as db:
        user_id = db.users.find_one()["_id"]
    answer = client.post(f"/people/{user_id}/delete", data={"csrf_token": "é" * 43},
                         headers={"Origin": "http://127.0.0.1:8888"})
    assert answer.status_code == 400
    with open_database() as db:
        assert db.users.count_documents({"_id": user_id}) == 1


def test_a_line_break_in_the_error_parameter_cannot_forge_a_log_line(client, robot, caplog):
    caplog.set_level(logging.INFO)
    forged = "server_error\n2026-11-21 10:00:00 INFO auth_server.views: Connected user mallory"
    query = robot.consent(client)
    answer = client.get(robot.callback_path({"state": query["state"], "error": forged}))
    assert answer.status_code == 400
    lines = caplog.text.splitlines()
    assert not any(line.startswith("2026-11-21 10:00:00") for line in lines)
    assert any("server_error\\n2026-11-21" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("path", [
    "/callback?state=%C3%A9&code=%C3%A9", "/callback?error=%0D%0A&state=", "/callback?code=x",
    "/people/%C3%A9%00/delete", "/people/%2E%2E/reconnect", "/login?reconnect=%C3%A9&then=%00",
    "/login?then=delete&reconnect=" + "x" * 3000, "/connected", "/?%C3%A9=%C3%A9",
])
def test_malformed_requests_get_a_4xx_or_a_page_never_a_500(client, path):
    answer = client.get(path)
    assert answer.status_code < 500, (path, answer.status_code)


@pytest.mark.parametrize("form", [{"csrf_token": "x" * 10_000}, {"csrf_token": ""}, {},
                                  {"csrf_token": "\x00" * 43}])
def test_malformed_delete_posts_get_a_4xx(client, form):
    answer = client.post("/people/anyone/delete", data=form,
                         headers={"Origin": "http://127.0.0.1:8888"})
    assert 400 <= answer.status_code < 500
