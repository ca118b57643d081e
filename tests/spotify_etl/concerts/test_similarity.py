"""Artists like an artist: co-listening across people blended with genre overlap."""

from __future__ import annotations

import pytest

from spotify_etl.concerts.similarity import SimilarityModel, listening_weights

GENRES = {"a": ["indie rock", "shoegaze"], "b": ["indie rock", "shoegaze"],
          "c": ["alternative rock"], "d": ["techno"], "e": ["techno", "house"], "f": []}
NAMES = {k: f"Artist {k}" for k in GENRES}


def test_one_person_alone_gets_genre_similarity_only():
    model = SimilarityModel({"solo": {"a": 1.0, "d": 1.0, "e": 0.9}}, GENRES, NAMES)
    similar = {s["artist_id"]: s for s in model.similar("a", 10)}
    assert set(similar) == {"b", "c"}  # d and e share listening with a, but no genre
    assert similar["b"]["co_listening_weight"] == 0 and similar["b"]["co_listening"] == 0
    # J = |{indie rock, shoegaze}| / (2 + 1) for genres, |{indie, rock, shoegaze}| / 4 for words
    assert similar["b"]["score"] == pytest.approx((2 / 3 + 3 / 4) / 2, abs=1e-4)
    assert similar["c"]["score"] == pytest.approx((0 + 1 / 5) / 2, abs=1e-4)  # shares "rock"


def test_co_listening_counts_more_the_more_people_show_it():
    def d_like_a(people: int) -> dict:
        listening = {f"p{i}": {"a": 1.0, "d": 1.0} for i in range(people)}
        listening["other"] = {"e": 1.0}
        return {s["artist_id"]: s for s in
                SimilarityModel(listening, GENRES, NAMES).similar("a", 10)}

    two, twenty = d_like_a(2)["d"], d_like_a(20)["d"]
    assert two["co_listening"] == twenty["co_listening"] == 1.0  # always listened together
    assert two["co_listening_weight"] == pytest.approx(2 / 5, abs=1e-4)  # n / (n + 3)
    assert twenty["co_listening_weight"] == pytest.approx(20 / 23, abs=1e-4)
    assert two["score"] < twenty["score"] == pytest.approx(20 / 23, abs=1e-4)


def test_the_cosine_follows_how_much_each_person_listens():
    listening = {"p1": {"a": 1.0, "d": 1.0}, "p2": {"a": 1.0, "d": 0.1}, "p3": {"a": 0.2, "e": 1.0}}
    model = SimilarityModel(listening, GENRES, NAMES)
    parts = model.score("a", "d")
    expected = (1.0 * 1.0 + 1.0 * 0.1) / ((1 + 1 + 0.04) ** 0.5 * (1 + 0.01) ** 0.5)
    assert parts["co_listening"] == pytest.approx(expected)
    assert parts["listeners_both"] == 2 and parts["genre_overlap"] == 0
    assert parts["score"] == pytest.approx(2 / 5 * expected)
    assert model.score("a", "e")["co_listening"] == 0  # only one person plays both


def test_ties_are_broken_by_listeners_then_id_and_exclusions_hold():
    genres = {"x": ["folk"], "m": ["folk"], "k": ["folk"], "z": ["folk"]}
    model = SimilarityModel({"p": {"z": 1.0}}, genres, {a: a for a in genres})
    assert [s["artist_id"] for s in model.similar("x", 3)] == ["z", "k", "m"]
    assert [s["artist_id"] for s in model.similar("x", 3, exclude=["z"])] == ["k", "m"]
    assert model.similar("x", 0) == []


def test_unnamed_and_genreless_artists_are_never_offered():
    model = SimilarityModel({"p": {"a": 1.0, "f": 1.0}, "q": {"a": 1.0, "f": 1.0}},
                            {**GENRES, "nameless": ["indie rock"]}, NAMES)
    similar = [s["artist_id"] for s in model.similar("a", 10)]
    assert "nameless" not in similar
    assert "f" in similar  # no genres, but two people listen to both


def test_listening_weights_combine_top_lists_tracks_and_plays():
    ranges = [[{"item_id": "a", "rank": 1}, {"item_id": "b", "rank": 3}],
              [{"item_id": "b", "rank": 2}]]
    tracks = [[{"item_id": "t1", "rank": 1, "artist_ids": ["c", "a"]}],
              [{"item_id": "t2", "rank": 11, "artist_ids": ["b", None]}]]
    weights = listening_weights(ranges, tracks, {"a": 20, "d": 5})
    assert weights["a"] == pytest.approx(1.0 + 0.5 * 1.0)  # plays saturate at 10
    assert weights["b"] == pytest.approx(0.95)  # its best rank (2) beats half a track weight
    assert weights["c"] == pytest.approx(0.5)  # only on a top track: half weight
    assert weights["d"] == pytest.approx(0.25)  # only played: 5/10, half weight
    assert None not in weights
