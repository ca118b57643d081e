"""The upload page: behind the person's Spotify login, imports the export, refuses bad files."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

from spotify_etl.storage import open_database

ORIGIN = "http://127.0.0.1:8888"


def csrf_from(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _export(world, user: int) -> bytes:
    from spotify_sandbox.exports import write_export

    buffer = io.BytesIO()
    write_export(world, user, buffer, until=dt.date(2026, 11, 10), days=12)
    return buffer.getvalue()


def _post(client, person, content: bytes, name: str, token: str):
    return client.post(f"/people/{person}/history", headers={"Origin": ORIGIN},
                       data={"csrf_token": token, "export": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_a_logged_in_person_uploads_their_export_and_again_changes_nothing(client, env, robot):
    person = env.world.users[3].id
    client.get(robot.callback_path(robot.consent(client, user_id=person)))
    connected = client.get("/connected").get_data(as_text=True)
    assert f"/people/{person}/history" in connected
    page = client.get(f"/people/{person}/history").get_data(as_text=True)
    assert 'id="history-file"' in page
    content = _export(env.world, 3)
    assert len(content) > 64 * 1024  # more than the helper accepts anywhere else
    answer = _post(client, person, content, "my_spotify_data.zip", csrf_from(page))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    added = int(re.search(r'id="history-new">(\d+)<', answer.get_data(as_text=True))[1])
    with open_database() as db:
        assert added > 0 and db.plays.count_documents({"user_id": person}) == added
    again = _post(client, person, content, "my_spotify_data.zip", csrf_from(page))
    assert re.search(r'id="history-new">0<', again.get_data(as_text=True))


def test_no_upload_for_someone_else_or_from_another_site(client, make_client, env, robot):
    person, other = env.world.users[3].id, env.world.users[5].id
    elsewhere = make_client()  # the other person connected from their own browser
    elsewhere.get(robot.callback_path(robot.consent(elsewhere, user_id=other)))
    client.get(robot.callback_path(robot.consent(client, user_id=person)))
    token = csrf_from(client.get(f"/people/{person}/history").get_data(as_text=True))
    content = _export(env.world, 3)
    for_someone_else = _post(client, other, content, "my_spotify_data.zip", token)
    cross_site = client.post(f"/people/{person}/history", headers={"Origin": "http://evil.example"},
                             data={"csrf_token": token,
                                   "export": (io.BytesIO(content), "my_spotify_data.zip")},
                             content_type="multipart/form-data")
    assert for_someone_else.status_code == cross_site.status_code == 403
    assert 'id="history-login"' in client.get(f"/people/{other}/history").get_data(as_text=True)
    with open_database() as db:
        assert db.plays.count_documents({}) == 0


def test_a_foreign_file_names_the_problem_and_imports_nothing(client, env, robot):
    person = env.world.users[3].id
    client.get(robot.callback_path(robot.consent(client, user_id=person)))
    token = csrf_from(client.get(f"/people/{person}/history").get_data(as_text=True))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Spotify Account Data/StreamingHistory_music_0.json",
                         json.dumps([{"endTime": "2026-11-09 20:51", "msPlayed": 1}]))
    answer = _post(client, person, buffer.getvalue(), "my_spotify_data.zip", token)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Nothing was imported: StreamingHistory_music_0.json row 1:" in text
    not_an_export = _post(client, person, b"%PDF-1.7", "statement.pdf", token)
    assert not_an_export.status_code == 400 and "neither a zip nor a JSON" in (
        not_an_export.get_data(as_text=True))
    with open_database() as db:
        assert db.plays.count_documents({}) == 0
