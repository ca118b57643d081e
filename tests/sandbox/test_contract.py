"""Contract: the sandbox returns exactly the fields Spotify documents, per API shape.

The lists below are Spotify's documented object fields (Web API reference), minus the optional
market-relinking fields (`is_playable`, `linked_from`, `restrictions`) that only appear with a
`market` parameter, and minus the February-2026 development-mode removals.
"""

from __future__ import annotations

import pytest

SIMPLIFIED_ARTIST = {"external_urls", "href", "id", "name", "type", "uri"}
ARTIST = {"external_urls", "followers", "genres", "href", "id", "images", "name", "popularity",
          "type", "uri"}
SIMPLIFIED_ALBUM = {"album_type", "total_tracks", "available_markets", "external_urls", "href",
                    "id", "images", "name", "release_date", "release_date_precision", "type",
                    "uri", "artists"}
ARTIST_ALBUM = SIMPLIFIED_ALBUM | {"album_group"}
TRACK = {"album", "artists", "available_markets", "disc_number", "duration_ms", "explicit",
         "external_ids", "external_urls", "href", "id", "is_local", "name", "popularity",
         "preview_url", "track_number", "type", "uri"}
PLAY_HISTORY = {"track", "played_at", "context"}
CONTEXT = {"type", "href", "external_urls", "uri"}
PRIVATE_USER = {"country", "display_name", "email", "explicit_content", "external_urls",
                "followers", "href", "id", "images", "product", "type", "uri", "account_id"}
PAGING = {"href", "items", "limit", "next", "offset", "previous", "total"}
CURSOR_PAGING = {"href", "items", "limit", "next", "cursors", "total"}
CURSORS = {"after", "before"}
IMAGE = {"url", "height", "width"}
OWNER = {"display_name", "external_urls", "href", "id", "type", "uri"}
SIMPLIFIED_PLAYLIST_EXT = {"collaborative", "description", "external_urls", "href", "id",
                           "images", "name", "owner", "primary_color", "public", "snapshot_id",
                           "tracks", "type", "uri"}
PLAYLIST_TRACK_EXT = {"added_at", "added_by", "is_local", "primary_color", "track"}

DEV_REMOVED = {
    "artist": {"popularity", "followers"},
    "track": {"popularity", "available_markets", "linked_from"},
    "album": {"popularity", "label", "available_markets", "album_group"},
    "user": {"country", "email", "product", "followers", "explicit_content"},
}


def expected(fields: set[str], kind: str | None, mode: str) -> set[str]:
    """Return the documented fields of an object in one API shape."""
    if mode == "development" and kind:
        return fields - DEV_REMOVED[kind]
    return fields


def renamed(fields: set[str], mode: str) -> set[str]:
    """Apply the development-mode playlist renames (`tracks`→`items`, `track`→`item`)."""
    if mode != "development":
        return fields
    return {{"tracks": "items", "track": "item"}.get(f, f) for f in fields}


def test_private_user_fields(srv, sp_for):
    me = sp_for(srv).me()
    assert set(me) == expected(PRIVATE_USER, "user", srv.mode)
    for image in me["images"]:
        assert set(image) == IMAGE


def test_top_tracks_paging_track_album_and_artist_fields(srv, sp_for):
    page = sp_for(srv).current_user_top_tracks(limit=5, time_range="long_term")
    assert set(page) == PAGING
    assert len(page["items"]) == 5
    for track in page["items"]:
        assert set(track) == expected(TRACK, "track", srv.mode)
        assert set(track["album"]) == expected(SIMPLIFIED_ALBUM, "album", srv.mode)
        assert set(track["external_ids"]) == {"isrc"}
        for artist in track["artists"] + track["album"]["artists"]:
            assert set(artist) == SIMPLIFIED_ARTIST


def test_top_artists_and_artist_fields(srv, sp_for):
    sp = sp_for(srv)
    page = sp.current_user_top_artists(limit=3)
    assert set(page) == PAGING
    for artist in page["items"]:
        assert set(artist) == expected(ARTIST, "artist", srv.mode)
    one = sp.artist(page["items"][0]["id"])
    assert set(one) == expected(ARTIST, "artist", srv.mode)
    assert [set(i) for i in one["images"]] == [IMAGE] * 3


def test_artist_albums_fields(srv, sp_for):
    sp = sp_for(srv)
    artist_id = sp.current_user_top_artists(limit=1)["items"][0]["id"]
    page = sp.artist_albums(artist_id, limit=5)
    assert set(page) == PAGING
    for album in page["items"]:
        assert set(album) == expected(ARTIST_ALBUM, "album", srv.mode)


def test_recently_played_cursor_paging_and_play_history_fields(srv, sp_for):
    page = sp_for(srv, 2).current_user_recently_played(limit=50)
    assert set(page) == CURSOR_PAGING
    assert set(page["cursors"]) == CURSORS
    for item in page["items"]:
        assert set(item) == PLAY_HISTORY
        if item["track"] is not None:
            assert set(item["track"]) == expected(TRACK, "track", srv.mode)
        if item["context"] is not None:
            assert set(item["context"]) == CONTEXT


def test_playlist_fields(srv, sp_for):
    sp = sp_for(srv, 3)
    created = sp.current_user_playlist_create("Contract", public=False)
    track = sp.current_user_top_tracks(limit=1)["items"][0]
    sp.playlist_add_items(created["id"], [track["uri"]])
    simple = renamed_fields = renamed(SIMPLIFIED_PLAYLIST_EXT, srv.mode)
    listed = sp.current_user_playlists()
    assert set(listed) == PAGING
    assert set(listed["items"][0]) == simple
    assert set(listed["items"][0]["owner"]) == OWNER
    key = "items" if srv.mode == "development" else "tracks"
    assert set(listed["items"][0][key]) == {"href", "total"}
    full = sp.playlist(created["id"])
    assert set(full) == renamed_fields | {"followers"}
    assert set(full[key]) == PAGING
    items = sp.playlist_items(created["id"])
    assert set(items) == PAGING
    entry = items["items"][0]
    assert set(entry) == renamed(PLAYLIST_TRACK_EXT, srv.mode)
    inner = entry["item" if srv.mode == "development" else "track"]
    assert set(inner) == expected(TRACK, "track", srv.mode)


@pytest.mark.parametrize("kind", sorted(DEV_REMOVED))
def test_dev_removals_are_real_fields_of_the_extended_shape(kind):
    # Guards the lists above: every removed field (bar linked_from/label) exists in extended.
    full = {"artist": ARTIST, "track": TRACK, "album": ARTIST_ALBUM, "user": PRIVATE_USER}[kind]
    assert DEV_REMOVED[kind] - full <= {"linked_from", "label", "popularity"}
