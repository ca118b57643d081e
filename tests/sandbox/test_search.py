"""GET /v1/search in both API shapes: tracks by name and artist, Spotify's limits and 400s."""

from __future__ import annotations

import pytest
import requests

from sandbox_helpers import access_token


def _search(server, token, **params):
    return requests.get(f"{server.url}/v1/search", params=params,
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_a_track_is_found_by_its_name_and_its_artist(srv, sp_for):
    world = srv.world
    track = 1234
    name = world.track_name(track)
    artist = world.artist_names[int(world.track_artist[track])]
    sp = sp_for(srv)
    page = sp.search(q=f'track:"{name}" artist:"{artist}"', type="track", limit=5)["tracks"]
    ids = [item["id"] for item in page["items"]]
    assert str(world.track_ids[track]) in ids
    assert all(item["name"].casefold() == name.casefold() or
               name.casefold() in item["name"].casefold() for item in page["items"])
    assert all(any(a["name"] == artist for a in item["artists"]) for item in page["items"])
    first = page["items"][0]
    assert first["name"].casefold() == name.casefold()
    if srv.mode == "development":
        assert "popularity" not in first and "available_markets" not in first
    else:
        assert isinstance(first["popularity"], int)


def test_free_text_matches_track_or_artist_names(ext, sp_for):
    world = ext.world
    artist = world.artist_names[77]
    page = sp_for(ext).search(q=artist, type="track", limit=10)["tracks"]
    assert page["total"] >= 1
    assert all(all(word.casefold() in (item["name"] + " " + " ".join(
        a["name"] for a in item["artists"])).casefold() for word in artist.split())
        for item in page["items"])


def test_nothing_found_is_an_empty_page(srv, sp_for):
    page = sp_for(srv).search(q='track:"zzqx no such song"', type="track")["tracks"]
    assert page["items"] == [] and page["total"] == 0


def test_development_mode_caps_limit_at_ten_default_five(dev, ext):
    dev_token, ext_token = access_token(dev, 1), access_token(ext, 1)
    assert len(_search(dev, dev_token, q="love", type="track").json()["tracks"]["items"]) == 5
    assert _search(dev, dev_token, q="love", type="track", limit=11).status_code == 400
    assert len(_search(ext, ext_token, q="love", type="track", limit=11)
               .json()["tracks"]["items"]) == 11
    assert len(_search(ext, ext_token, q="love", type="track").json()["tracks"]["items"]) == 20


@pytest.mark.parametrize(("params", "message"), [
    ({"type": "track"}, "No search query"),
    ({"q": "love"}, "Missing parameter type"),
    ({"q": "love", "type": "song"}, "Bad search type field"),
])
def test_bad_searches_are_400(ext, params, message):
    answer = _search(ext, access_token(ext, 1), **params)
    assert answer.status_code == 400 and answer.json()["error"]["message"] == message


def test_paging_next_points_back_at_the_sandbox(ext, sp_for):
    sp = sp_for(ext)
    page = sp.search(q="love", type="track", limit=3)["tracks"]
    following = sp.next(page)["tracks"]  # a search page wraps its items by type
    assert page["next"].startswith(ext.url)
    assert following["offset"] == 3
    assert not {i["id"] for i in page["items"]} & {i["id"] for i in following["items"]}
