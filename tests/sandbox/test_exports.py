"""The sandbox's data exports: both formats, zipped as Spotify ships them, consistent with the
plays recently played serves."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import requests
from sandbox_helpers import TODAY, access_token

from spotify_sandbox.exports import end_ts_seconds
from spotify_sandbox.world import MIN_LISTED_MS

UNTIL = TODAY - dt.timedelta(days=1)


def _zip(ext, user_id: str, **params) -> zipfile.ZipFile:
    answer = requests.get(f"{ext.url}/__sandbox/users/{user_id}/export",
                          params={"until": UNTIL.isoformat(), **params}, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(answer.content))


def _rows(archive: zipfile.ZipFile, marker: str) -> list[dict]:
    return [row for name in sorted(archive.namelist()) if marker in name
            for row in json.loads(archive.read(name))]


def test_export_holds_both_formats_in_spotifys_folders(ext):
    heavy = next(u for u in ext.world.users if u.heavy)
    archive = _zip(ext, heavy.id, days=30)
    names = archive.namelist()
    assert any(n.startswith("Spotify Account Data/StreamingHistory_music_") for n in names)
    assert any(n.startswith("Spotify Extended Streaming History/Streaming_History_Audio_2026")
               for n in names)
    music = _rows(archive, "StreamingHistory_music_")
    assert set(music[0]) == {"endTime", "artistName", "trackName", "msPlayed"}
    assert len(music[0]["endTime"]) == len("2026-11-19 20:51")
    extended = _rows(archive, "Streaming_History_Audio_")
    assert {"ts", "ms_played", "spotify_track_uri", "master_metadata_track_name",
            "reason_start", "reason_end", "skipped", "shuffle", "offline", "platform",
            "conn_country", "ip_addr", "episode_name", "audiobook_title"} <= set(extended[0])
    assert extended[0]["ts"].endswith("Z") and len(extended[0]["ts"]) == 20


def test_extended_rows_are_the_plays_recently_played_serves(ext):
    world = ext.world
    u = next(u.index for u in world.users if u.heavy)
    archive = _zip(ext, world.users[u].id, days=3)
    extended = [r for r in _rows(archive, "Streaming_History_Audio_") if r["spotify_track_uri"]]
    first = (UNTIL - dt.timedelta(days=2)).toordinal()
    truth = [p for d in range(first, UNTIL.toordinal() + 1) for p in world.plays_on(u, d)
             if p.track >= 0]
    assert [r["spotify_track_uri"] for r in extended] == [
        f"spotify:track:{world.track_ids[p.track]}" for p in truth]
    for row, play in zip(extended, truth):
        end = dt.datetime.fromisoformat(row["ts"]).timestamp()
        assert abs(end - play.played_at_ms / 1000) <= 3  # the end of the play, to the second
        assert row["ms_played"] == play.ms_played
        assert row["skipped"] == (play.ms_played < world.track_duration[play.track])
    # what recently played lists (30 s or more) is every export row of 30 s or more
    token = access_token(ext, u)
    served = requests.get(f"{ext.url}/v1/me/player/recently-played", params={"limit": 50},
                          headers={"Authorization": f"Bearer {token}",
                                   "X-Sandbox-Date": UNTIL.isoformat()}, timeout=10).json()
    listed = [item for item in served["items"] if item["track"] and item["track"]["id"]]
    uris = [r["spotify_track_uri"] for r in extended if r["ms_played"] >= MIN_LISTED_MS]
    assert [f"spotify:track:{i['track']['id']}" for i in reversed(listed)] == uris[-len(listed):]


def test_account_rows_are_the_same_plays_to_the_minute(ext):
    world = ext.world
    u = 2
    archive = _zip(ext, world.users[u].id, days=5)
    music = _rows(archive, "StreamingHistory_music_")
    extended = [r for r in _rows(archive, "Streaming_History_Audio_")
                if r["master_metadata_track_name"]]
    assert len(music) == len(extended)
    for account, row in zip(music, extended):
        assert account["endTime"] == row["ts"][:16].replace("T", " ")
        assert (account["artistName"], account["trackName"]) == (
            row["master_metadata_album_artist_name"], row["master_metadata_track_name"])


def test_podcasts_and_audiobooks_appear_in_the_extended_format(ext):
    world = ext.world
    kinds = {"episode": 0, "audiobook": 0}
    for user in world.users[:20]:
        rows = _rows(_zip(ext, user.id, days=20, formats="extended"), "Streaming_History_Audio_")
        kinds["episode"] += sum(bool(r["spotify_episode_uri"]) for r in rows)
        kinds["audiobook"] += sum(bool(r["audiobook_chapter_uri"]) for r in rows)
        if all(kinds.values()):
            break
    assert all(kinds.values()), kinds


def test_end_time_jitter_stays_within_two_seconds(ext):
    offsets = {end_ts_seconds(ext.world, 3, ms) - ms // 1000 for ms in range(0, 10**6, 997)}
    assert offsets == {-2, -1, 0, 1, 2}


def test_export_refuses_unknown_users_and_bad_parameters(ext):
    assert requests.get(f"{ext.url}/__sandbox/users/nobody/export", timeout=10).status_code == 404
    bad = requests.get(f"{ext.url}/__sandbox/users/{ext.world.users[1].id}/export",
                       params={"formats": "video"}, timeout=10)
    assert bad.status_code == 400 and "formats" in bad.json()["error"]["message"]
