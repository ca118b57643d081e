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
def test_top_items_keep_the_rank_spotify_gave_them_when_others_are_dropped(development):
    tracks = _day(development).top_items.query("kind == 'tracks'")
    assert list(tracks["rank"]) == [1, 4, 6]  # positions 2 (null), 3 (local), 5 (malformed)
    assert list(tracks["item_id"]) == ["6rqhFgbbKwnb9MLmUQDhG6", "3n3Ppam7vgaVa1iaRUc9Lp",
                                       "2Foc5Q5nqNiosCNqttzHof"]
    assert tracks.iloc[2]["artist_names"] == ["宇多田ヒカル", "Björk"]
    assert set(tracks["snapshot_date"]) == {"2026-11-20"}


def test_null_and_malformed_items_are_quarantined_raw_with_where_and_why():
    day = _day(False)
    kept = {(q["source"], q["position"]): (q["reason"], q["item"]) for q in day.quarantined}
    assert kept == {
        ("top:tracks:short_term", 2): ("null", None),
        ("top:tracks:short_term", 5): ("malformed", {"id": "0bad", "artists": "not a list"}),
        ("top:artists:short_term", 3): ("null", None),
        ("plays", 2): ("null", recently_played()[1]),
        ("plays", 6): ("malformed", recently_played()[5]),
    }  # local files are dropped and counted, not quarantined: they are not catalogue items


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
