from __future__ import annotations

import random

import numpy as np
import pytest

from analytics_helpers import profile
from spotify_etl.analytics.taste_match import (all_pairs_top_k, profile_matrices, rank_weight,
                                               taste_match)


def _random_profile(rng: random.Random, pool: int = 80) -> dict:
    artists = rng.sample([f"a{i}" for i in range(pool)], rng.randint(0, min(50, pool)))
    tracks = rng.sample([f"t{i}" for i in range(pool * 2)], rng.randint(0, 50))
    genres = {a: rng.sample([f"g{i}" for i in range(12)], rng.randint(0, 3)) for a in artists}
    return profile(artists, tracks, genres)


def test_identical_taste_scores_100():
    person = profile([f"a{i}" for i in range(50)], [f"t{i}" for i in range(50)])
    assert taste_match(person, person)["score"] == 100.0


def test_disjoint_taste_scores_0():
    a = profile([f"a{i}" for i in range(50)], [f"t{i}" for i in range(50)])
    b = profile([f"b{i}" for i in range(50)], [f"u{i}" for i in range(50)])
    result = taste_match(a, b)
    assert result["score"] == 0.0
    assert result["components"] == {"artists": 0.0, "tracks": 0.0, "genres": 0.0}


def test_score_is_symmetric_and_between_0_and_100():
    rng = random.Random(7)
    for _ in range(50):
        a, b = _random_profile(rng), _random_profile(rng)
        ab, ba = taste_match(a, b), taste_match(b, a)
        assert ab == ba
        assert 0.0 <= ab["score"] <= 100.0


def test_sharing_each_others_number_one_outweighs_sharing_a_number_fifty():
    mine = [f"a{i}" for i in range(1, 51)]
    shares_my_first = ["a1"] + [f"x{i}" for i in range(2, 51)]
    shares_my_last = ["a50"] + [f"x{i}" for i in range(2, 51)]
    # Same in every other facet, so only the rank of the shared artist differs.
    top = taste_match(profile(mine, []), profile(shares_my_first, []))["score"]
    bottom = taste_match(profile(mine, []), profile(shares_my_last, []))["score"]
    assert top > 5 * bottom > 0
    assert rank_weight(1) / rank_weight(50) > 10


def test_more_shared_items_never_score_lower():
    base = [f"a{i}" for i in range(50)]
    previous = -1.0
    for shared in range(0, 51, 10):
        other = base[:shared] + [f"z{i}" for i in range(50 - shared)]
        score = taste_match(profile(base, []), profile(other, []))["score"]
        assert score >= previous
        previous = score
    assert previous == 100.0


def test_a_facet_neither_person_has_is_left_out():
    # Tracks only (no artists, no genres): two identical track lists are a perfect match.
    a = profile([], ["t1", "t2", "t3"])
    assert taste_match(a, a)["score"] == 100.0
    # One person without tracks: that facet counts as no overlap.
    b = profile(["a1"], [], {"a1": ["rock"]})
    c = profile(["a1"], ["t1"], {"a1": ["rock"]})
    assert 0 < taste_match(b, c)["score"] < 100


def test_all_pairs_sparse_equals_the_naive_pairwise_scores():
    rng = random.Random(3)
    profiles = [_random_profile(rng, pool=40) for _ in range(30)] + [profile([], [])]
    n = len(profiles)
    indices, scores = all_pairs_top_k(profile_matrices(profiles), k=n - 1, block_rows=7)
    naive = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                naive[i, j] = taste_match(profiles[i], profiles[j])["score"]
    for i in range(n):
        assert i not in indices[i]
        assert np.allclose(scores[i], naive[i, indices[i]], atol=0.06)
        assert np.all(np.diff(scores[i]) <= 1e-9)  # best first
        assert scores[i][0] == pytest.approx(max(naive[i, j] for j in range(n) if j != i),
                                             abs=0.06)


def test_top_k_keeps_the_k_best():
    rng = random.Random(11)
    profiles = [_random_profile(rng, pool=30) for _ in range(25)]
    _, all_scores = all_pairs_top_k(profile_matrices(profiles), k=24)
    indices, scores = all_pairs_top_k(profile_matrices(profiles), k=3, block_rows=4)
    assert indices.shape == (25, 3)
    assert np.allclose(scores, all_scores[:, :3])
