from __future__ import annotations

from datetime import date

import pytest

from payloads import recently_played, top_artists, top_tracks
from spotify_etl.pipeline.transform import records, transform_user_day

DAY = date(2026, 11, 20)


def _day(development: bool):
    top = {("tracks", "short_term"): top_tracks(development=development),
           ("artists", "short_term"): top_artists(development=development)}
    return transform_user_day("alice", DAY, top, recently_played(development=development))


@pytest.mark.parametrize("development", [False, True])
def test_nulls_local_files_and_malformed_items_are_dropped_and_counted(development):
    day = _day(development)
    assert day.dropped == {"tracks:null": 1, "tracks:local": 1, "tracks:malformed": 1,
                           "artists:null": 1, "plays:null": 1, "plays:local": 1,
                           "plays:malformed": 1}
    assert list(day.tracks["name"]) == ["Paranoid Android", "Jóga", "First Love"]


@pytest.mark.parametrize("development", [False, True])
def test_top_items_are_ranked_in_spotify_order_without_gaps(development):
    tracks = _day(development).top_items.query("kind == 'tracks'")
    assert list(tracks["rank"]) == [1, 2, 3]
    assert list(tracks["item_id"]) == ["6rqhFgbbKwnb9MLmUQDhG6", "3n3Ppam7vgaVa1iaRUc9Lp",
                                       "2Foc5Q5nqNiosCNqttzHof"]
    assert tracks.iloc[2]["artist_names"] == ["宇多田ヒカル", "Björk"]
    assert set(tracks["snapshot_date"]) == {"2026-11-20"}


def test_development_mode_payloads_leave_popularity_empty_not_missing():
    extended, development = _day(False), _day(True)
    assert list(extended.tracks["popularity"]) == [80, 80, 80]
    assert records(development.tracks)[0]["popularity"] is None
    assert records(development.artists)[0]["followers"] is None
    assert records(extended.artists)[0]["followers"] == 3_100_000


def test_artists_with_empty_genres_are_kept():
    artists = {a["name"]: a for a in records(_day(True).artists)}
    assert artists["Sigur Rós"]["genres"] == []
    assert artists["Björk"]["genres"] == ["art pop", "icelandic experimental"]


def test_plays_are_deduplicated_on_played_at_and_sorted():
    plays = records(_day(False).plays)
    assert [p["track_name"] for p in plays] == ["Jóga", "Paranoid Android"]
    assert plays[1]["played_at"].isoformat() == "2026-11-20T21:04:05.123000+00:00"
    assert plays[0]["context_type"] == "playlist"


def test_artists_named_only_by_tracks_need_details():
    day = _day(False)
    # Björk came as a full artist; Radiohead and Utada only inside tracks.
    assert day.artist_ids_needing_details() == {"4Z8W4fKeB5YxbusRsdQVPb", "7lbSsjYACZHn1MSDXPxNF2"}


def test_albums_come_from_valid_tracks_only():
    albums = records(_day(False).albums)
    assert [a["_id"] for a in albums] == ["1DFixLWuPkv3KT3TnV35m3"]
    assert albums[0]["release_date_precision"] == "day"


def test_empty_payloads_give_empty_tables():
    day = transform_user_day("bob", DAY, {("tracks", "long_term"): []}, [])
    assert day.tracks.empty and day.plays.empty and day.top_items.empty
    assert day.artist_ids_needing_details() == set()


def test_whole_numbers_stay_integers_when_some_are_missing():
    from spotify_etl.pipeline.transform import artists_frame

    frame = artists_frame([{"id": "a", "name": "A", "popularity": 30, "followers": {"total": 5}},
                           {"id": "b", "name": "B"}])  # development mode: no popularity
    first, second = records(frame)
    assert (first["popularity"], first["followers"]) == (30, 5)
    assert type(first["popularity"]) is int and second["popularity"] is None
