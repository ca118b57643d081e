"""`make bench` figures for the taste match: all pairs over the sandbox's 10,000-user world.

Takes everyone's top artists and tracks for one date straight from the sandbox's world (in
process, no HTTP), scores all pairs with the sparse version (keeping each person's top 10)
and times a plain pairwise Python loop on a sample of pairs, scaled to all pairs.
"""

from __future__ import annotations

import random
import time
from datetime import date
from typing import Any

from spotify_etl.analytics.taste_match import (FACETS, all_pairs_top_k, match_vectors,
                                               rank_weight, taste_vectors)

BENCH_DATE = date(2026, 11, 20)
TIME_RANGE = "medium_term"


def world_top_lists(users: int, seed: int = 42) -> tuple[Any, list[tuple[tuple[int, ...],
                                                                        tuple[int, ...]]]]:
    """Build the sandbox world and read every user's top artists and tracks for the date."""
    from spotify_sandbox import World

    world = World(seed=seed, users=users)
    day = BENCH_DATE.toordinal()
    lists = [(world.top_artists(u, day, TIME_RANGE), world.top_tracks(u, day, TIME_RANGE))
             for u in range(users)]
    return world, lists


def world_matrices(world: Any, lists: list[tuple[tuple[int, ...], tuple[int, ...]]]
                   ) -> dict[str, Any]:
    """Build the rank-weighted (users x artists, tracks, genres) matrices, vectorised."""
    import numpy as np
    from scipy import sparse

    n = len(lists)
    weights = np.array([rank_weight(r) for r in range(1, 51)])

    def matrix(column_lists: list[tuple[int, ...]], n_columns: int) -> sparse.csr_matrix:
        lengths = np.array([len(c) for c in column_lists])
        rows = np.repeat(np.arange(n), lengths)
        columns = np.concatenate([np.asarray(c, dtype=np.int64) for c in column_lists])
        values = np.concatenate([weights[:length] for length in lengths])
        return sparse.csr_matrix((values, (rows, columns)), shape=(n, n_columns))

    artists = matrix([a for a, _ in lists], world.n_artists)
    tracks = matrix([t for _, t in lists], len(world.track_ids))
    n_genres = max((int(g.max()) for g in world.artist_genres if len(g)), default=0) + 1
    incidence = sparse.csr_matrix(
        (np.ones(sum(len(g) for g in world.artist_genres)),
         (np.repeat(np.arange(world.n_artists), [len(g) for g in world.artist_genres]),
          np.concatenate(world.artist_genres).astype(np.int64))),
        shape=(world.n_artists, n_genres))
    # A genre's weight is the sum of the weights of the person's artists that carry it.
    return {"artists": artists, "tracks": tracks, "genres": artists @ incidence}


def _profile(world: Any, artists: tuple[int, ...], tracks: tuple[int, ...]) -> dict[str, Any]:
    return {"artists": [{"item_id": str(a), "rank": r,
                         "genres": [str(g) for g in world.artist_genres[a]]}
                        for r, a in enumerate(artists, 1)],
            "tracks": [{"item_id": str(t), "rank": r} for r, t in enumerate(tracks, 1)]}


def run(quick: bool = False) -> dict[str, Any]:
    """Time all-pairs taste match (sparse) against a pairwise loop scaled to all pairs."""
    users = 2000 if quick else 10000
    sample_pairs = 2000 if quick else 5000
    started = time.perf_counter()
    world, lists = world_top_lists(users)
    prepare = time.perf_counter() - started

    started = time.perf_counter()
    matrices = world_matrices(world, lists)
    indices, scores = all_pairs_top_k(matrices, k=10)
    sparse_seconds = time.perf_counter() - started

    profiles = [_profile(world, a, t) for a, t in lists]
    rng = random.Random(7)
    pairs = [tuple(rng.sample(range(users), 2)) for _ in range(sample_pairs)]
    # The loop gets each person's vectors ready-made: only the pairwise work is timed.
    vectors = {i: taste_vectors(profiles[i]) for pair in pairs for i in pair}
    started = time.perf_counter()
    for i, j in pairs:
        match_vectors(vectors[i], vectors[j])
    loop_seconds = time.perf_counter() - started
    all_pairs = users * (users - 1) // 2
    loop_estimate = loop_seconds / sample_pairs * all_pairs

    # The sparse answer must be the loop's answer: check each sampled person's best twin.
    check = rng.sample(range(users), 200)
    difference = max(abs(match_vectors(taste_vectors(profiles[i]),
                                       taste_vectors(profiles[int(indices[i, 0])]))["score"]
                         - scores[i, 0]) for i in check)
    return {"taste_match_users": users, "taste_match_pairs": all_pairs,
            "taste_match_facets": list(FACETS),
            "taste_match_prepare_world_seconds": round(prepare, 2),
            "taste_match_all_pairs_sparse_seconds": round(sparse_seconds, 2),
            "taste_match_loop_sample_pairs": sample_pairs,
            "taste_match_loop_seconds_per_pair": round(loop_seconds / sample_pairs, 8),
            "taste_match_loop_estimated_all_pairs_seconds": round(loop_estimate, 1),
            "taste_match_speedup": round(loop_estimate / sparse_seconds, 1),
            "taste_match_max_abs_difference": round(float(difference), 3)}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
