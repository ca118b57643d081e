"""The Web API through spotipy, in both shapes: answers, paging, errors, dev-mode rules."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from sandbox_helpers import TODAY, access_token, client
from spotipy import SpotifyException


def raw(srv, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{srv.url}/v1/{path}", headers=headers, timeout=10, **kwargs)


def test_missing_and_unknown_tokens_get_spotify_401s(ext):
    answer = raw(ext, "me")
    assert answer.status_code == 401
    assert answer.json() == {"error": {"status": 401, "message": "No token provided"}}
    answer = raw(ext, "me", token="bogus")
    assert answer.json() == {"error": {"status": 401, "message": "Invalid access token"}}


def test_every_answer_declares_its_as_of_date(ext):
    token = access_token(ext, 1)
    assert raw(ext, "me", token).headers["X-Sandbox-Clock"] == TODAY.isoformat()
    answer = raw(ext, "me", token, headers={"X-Sandbox-Date": "2026-01-02"})
    assert answer.headers["X-Sandbox-Clock"] == "2026-01-02"
    bad = raw(ext, "me", token, headers={"X-Sandbox-Date": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["status"] == 400


@pytest.mark.parametrize("kind", ["artists", "tracks"])
def test_top_items_page_through_next_up_to_fifty(srv, sp_for, kind):
    sp = sp_for(srv)
    fetch = getattr(sp, f"current_user_top_{kind}")
    page = fetch(limit=20, time_range="short_term")
    assert page["next"].startswith(srv.url + "/v1/me/top/")
    seen = list(page["items"])
    while page["next"]:
        page = sp.next(page)
        seen += page["items"]
    assert len(seen) == page["total"] == 50
    assert len({i["id"] for i in seen}) == 50
    assert sp.previous(page)["offset"] == 20
    assert fetch(limit=10, offset=50)["items"] == []


@pytest.mark.parametrize("params, message", [
    ({"limit": 0}, "Invalid limit"), ({"limit": 51}, "Invalid limit"),
    ({"limit": "x"}, "Invalid limit"), ({"offset": -1}, "Invalid offset"),
    ({"time_range": "forever"}, "Invalid time range")])
def test_bad_top_parameters_are_400(ext, params, message):
    answer = raw(ext, "me/top/tracks", access_token(ext, 1), params=params)
    assert answer.status_code == 400
    assert answer.json() == {"error": {"status": 400, "message": message}}


def test_top_tracks_agree_with_top_artists(ext, sp_for):
    sp = sp_for(ext)
    artists = {a["id"] for a in sp.current_user_top_artists(limit=50)["items"]}
    tracks = sp.current_user_top_tracks(limit=50)["items"]
    share = sum(t["artists"][0]["id"] in artists for t in tracks) / len(tracks)
    assert share > 0.8


def test_recently_played_is_newest_first_within_now_and_pages_by_before(srv, sp_for):
    sp = sp_for(srv, 2)
    page = sp.current_user_recently_played(limit=20)
    stamps = [i["played_at"] for i in page["items"]]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[0] <= f"{TODAY.isoformat()}T23:59:59.999Z"
    assert page["next"] == (f"{srv.url}/v1/me/player/recently-played?"
                            f"before={page['cursors']['before']}&limit=20")
    older = sp.next(page)
    assert older["items"][0]["played_at"] < stamps[-1]
    everything = sp.current_user_recently_played(limit=50)
    assert everything["next"] is None and len(everything["items"]) == 50
    after = sp.current_user_recently_played(limit=5, after=int(page["cursors"]["before"]))
    assert [i["played_at"] for i in after["items"]] == stamps[-6:-1]


def test_recently_played_refuses_after_and_before_together(ext):
    answer = raw(ext, "me/player/recently-played", access_token(ext, 1),
                 params={"after": 1, "before": 2})
    assert answer.status_code == 400


def test_artist_lookup_and_errors(srv, sp_for):
    sp = sp_for(srv)
    artist_id = sp.current_user_top_artists(limit=1)["items"][0]["id"]
    assert sp.artist(artist_id)["id"] == artist_id
    with pytest.raises(SpotifyException) as missing:
        sp.artist("0" * 22)
    assert missing.value.http_status == 404 and "Resource not found" in missing.value.msg
    answer = raw(srv, "artists/short", access_token(srv, 1))
    assert answer.json() == {"error": {"status": 400, "message": "Invalid base62 id"}}


def test_track_lookup(srv, sp_for):
    sp = sp_for(srv)
    track = sp.current_user_top_tracks(limit=1)["items"][0]
    assert sp.track(track["id"]) == track
    assert len(track["id"]) == 22 and track["uri"] == f"spotify:track:{track['id']}"


def test_batch_endpoints_work_in_extended_and_are_forbidden_in_development(ext, dev, sp_for):
    sp = sp_for(ext)
    ids = [a["id"] for a in sp.current_user_top_artists(limit=3)["items"]]
    got = sp.artists(ids + ["0" * 22])["artists"]
    assert [a["id"] for a in got[:3]] == ids and got[3] is None
    assert len(sp.artist_top_tracks(ids[0])["tracks"]) <= 10
    assert sp.user(ext.world.users[3].id)["id"] == ext.world.users[3].id
    dsp = sp_for(dev)
    for call in (lambda: dsp.artists(ids), lambda: dsp.artist_top_tracks(ids[0]),
                 lambda: dsp.tracks(["0" * 22]), lambda: dsp.user(dev.world.users[3].id)):
        with pytest.raises(SpotifyException) as refused:
            call()
        assert refused.value.http_status == 403 and "Forbidden" in refused.value.msg


@pytest.mark.parametrize("path", ["artists/{id}/related-artists", "recommendations?seed_genres=pop"])
def test_november_2024_removals_are_404_in_both_modes(srv, sp_for, path):
    sp = sp_for(srv)
    track = sp.current_user_top_tracks(limit=1)["items"][0]
    url = path.format(id=track["artists"][0]["id"], track=track["id"])
    assert raw(srv, url, access_token(srv, 1)).status_code == 404


@pytest.mark.parametrize("path", ["audio-features/{track}", "audio-features?ids={track}",
                                  "audio-analysis/{track}"])
def test_audio_features_and_analysis_are_refused_with_spotify_s_bare_403(srv, sp_for, path):
    track = sp_for(srv).current_user_top_tracks(limit=1)["items"][0]
    answer = raw(srv, path.format(track=track["id"]), access_token(srv, 1))
    assert answer.status_code == 403
    assert answer.json() == {"error": {"status": 403}}
    with pytest.raises(SpotifyException) as refused:  # spotipy copes with the missing message
        sp_for(srv).audio_features([track["id"]])
    assert refused.value.http_status == 403


def test_artists_can_be_served_without_genres():
    from spotify_sandbox import SandboxServer

    with SandboxServer(mode="development", seed=42, users=10, today=TODAY,
                       genres=False) as bare:
        sp = client(bare, access_token(bare, 1))
        top = sp.current_user_top_artists(limit=5)["items"]
        full = sp.artist(top[0]["id"])
        info = requests.get(f"{bare.url}/__sandbox/info", timeout=10).json()
    assert top and all("genres" not in artist for artist in top)
    assert "genres" not in full and full["name"] and full["images"]
    assert info["genres"] is False


def test_artist_albums_limits_per_mode(ext, dev, sp_for):
    artist_id = next(a for a in range(ext.world.n_artists)
                     if ext.world.artist_album_start[a + 1] - ext.world.artist_album_start[a] > 6)
    aid = str(ext.world.artist_ids[artist_id])
    full = raw(ext, f"artists/{aid}/albums", access_token(ext, 1)).json()
    assert full["limit"] == 20 and full["total"] > 6
    years = [int(a["release_date"][:4]) for a in full["items"]]
    assert years == sorted(years, reverse=True)
    dsp = sp_for(dev)
    assert raw(dev, f"artists/{aid}/albums", access_token(dev, 1)).json()["limit"] == 5
    with pytest.raises(SpotifyException) as refused:
        dsp.artist_albums(aid)  # spotipy's default limit=20 is over the dev-mode cap of 10
    assert refused.value.http_status == 400 and "Invalid limit" in refused.value.msg
    page = dsp.artist_albums(aid, limit=3)
    assert len(page["items"]) == 3 and page["next"]
    assert dsp.next(page)["offset"] == 3
    singles = dsp.artist_albums(aid, include_groups="single", limit=10)["items"]
    assert all(a["album_type"] == "single" for a in singles)


def test_dev_mode_allowlist_blocks_unregistered_users(dev):
    outsider = client(dev, access_token(dev, 7))
    with pytest.raises(SpotifyException) as refused:
        outsider.me()
    assert refused.value.http_status == 403 and "may not be registered" in refused.value.msg
    requests.post(f"{dev.url}/__sandbox/allowlist",
                  json={"user_ids": [dev.world.users[i].id for i in (0, 1, 2, 3, 7)]}, timeout=10)
    try:
        assert outsider.me()["id"] == dev.world.users[7].id
    finally:
        requests.post(f"{dev.url}/__sandbox/allowlist",
                      json={"user_ids": [dev.world.users[i].id for i in range(5)]}, timeout=10)
    too_many = requests.post(f"{dev.url}/__sandbox/allowlist",
                             json={"user_ids": [u.id for u in dev.world.users[:6]]}, timeout=10)
    assert too_many.status_code == 400


def test_playlist_lifecycle_with_spotipy(srv, sp_for):
    sp = sp_for(srv, 4)
    uris = [t["uri"] for t in sp.current_user_top_tracks(limit=50)["items"]]
    created = sp.current_user_playlist_create("Weekly — ñ", public=False, description="d")
    assert created["owner"]["id"] == srv.world.users[4].id and created["public"] is False
    first = sp.playlist_add_items(created["id"], uris[:3])
    assert set(first) == {"snapshot_id"}
    sp.playlist_add_items(created["id"], uris[3:4], position=0)
    key = "item" if srv.mode == "development" else "track"
    items = sp.playlist_items(created["id"])
    assert [i[key]["uri"] for i in items["items"]] == [uris[3], *uris[:3]]
    replaced = sp.playlist_replace_items(created["id"], uris[10:15])
    assert replaced["snapshot_id"] != first["snapshot_id"]
    assert [i[key]["uri"] for i in sp.playlist_items(created["id"])["items"]] == uris[10:15]
    mine = sp.current_user_playlists()["items"]
    assert created["id"] in [p["id"] for p in mine]
    listed = requests.get(f"{srv.url}/__sandbox/playlists", timeout=10).json()["playlists"]
    assert next(p for p in listed if p["id"] == created["id"])["uris"] == uris[10:15]


def test_playlist_rules_owner_only_and_at_most_100_uris(ext, sp_for):
    owner = sp_for(ext, 5)
    created = owner.current_user_playlist_create("Mine")
    uri = owner.current_user_top_tracks(limit=1)["items"][0]["uri"]
    with pytest.raises(SpotifyException) as too_many:
        owner.playlist_add_items(created["id"], [uri] * 101)
    assert too_many.value.http_status == 400 and "Too many ids" in too_many.value.msg
    with pytest.raises(SpotifyException) as not_owner:
        sp_for(ext, 6).playlist_add_items(created["id"], [uri])
    assert not_owner.value.http_status == 403
    with pytest.raises(SpotifyException) as missing:
        owner.playlist_add_items(created["id"], ["spotify:track:" + "0" * 22])
    assert missing.value.http_status == 400
    assert owner.playlist(created["id"])["tracks"]["total"] == 0


def test_snapshot_date_drives_top_items(ext):
    token = access_token(ext, 1)
    def top(day):
        answer = raw(ext, "me/top/artists", token, params={"time_range": "short_term"},
                     headers={"X-Sandbox-Date": day.isoformat()})
        return [a["id"] for a in answer.json()["items"][:10]]
    assert top(TODAY) == top(TODAY)
    assert top(TODAY) != top(TODAY + dt.timedelta(days=14))


def test_clock_control_moves_the_default_date(fresh):
    token = access_token(fresh, 1)
    assert requests.post(f"{fresh.url}/__sandbox/clock", json={"date": "2026-12-01"},
                         timeout=10).json() == {"date": "2026-12-01"}
    assert raw(fresh, "me", token).headers["X-Sandbox-Clock"] == "2026-12-01"
    info = requests.get(f"{fresh.url}/__sandbox/info", timeout=10).json()
    assert info["clock"] == "2026-12-01" and "sandbox-client-secret" not in str(info)
