"""The taste match score (0-100) between people, for one pair or for all pairs at once.

A rank-weighted cosine over three facets of a person's top lists: artists, tracks and genres.
The pair version is plain Python; the all-pairs version uses scipy sparse matrices and gives
the same numbers. Nothing here reads the database.

For a person u and facet f, the taste vector has one entry per item on u's list:
    v_u^f[i] = p^(rank_u(i) - 1)              (artists, tracks; p = RANK_DECAY = 0.95)
    v_u^g[g] = sum over u's top artists a with genre g of p^(rank_u(a) - 1)
    cos_f(u, v) = <v_u^f, v_v^f> / (|v_u^f| |v_v^f|)
    match(u, v) = 100 * sum_f w_f cos_f(u, v) / sum_{f: u or v has items} w_f
with w = artists 0.5, tracks 0.3, genres 0.2 (a facet neither person has is left out).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from scipy import sparse

# Each rank down keeps 95% of the weight: #1 weighs 1, #10 0.63, #25 0.29, #50 0.085, so
# sharing each other's #1 counts ~140 times more in the dot product than sharing a #50.
RANK_DECAY = 0.95
FACET_WEIGHTS: dict[str, float] = {"artists": 0.5, "tracks": 0.3, "genres": 0.2}
FACETS = tuple(FACET_WEIGHTS)

Profile = Mapping[str, Sequence[Mapping[str, Any]]]  # {"artists": [item...], "tracks": [...]}


def rank_weight(rank: int) -> float:
    """Return the weight of an item at a rank (1 = best)."""
    return RANK_DECAY ** (rank - 1)


def taste_vectors(profile: Profile) -> dict[str, dict[str, float]]:
    """Turn a person's ranked top lists into sparse taste vectors, one per facet."""
    vectors: dict[str, dict[str, float]] = {facet: {} for facet in FACETS}
    for kind in ("artists", "tracks"):
        for item in profile.get(kind) or ():
            vectors[kind][item["item_id"]] = rank_weight(int(item["rank"]))
    for artist in profile.get("artists") or ():
        weight = rank_weight(int(artist["rank"]))
        for genre in artist.get("genres") or ():
            vectors["genres"][genre] = vectors["genres"].get(genre, 0.0) + weight
    return vectors


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Return the cosine similarity of two sparse vectors (0 when either is empty)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(weight * large[key] for key, weight in small.items() if key in large)
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return min(1.0, dot / norm) if norm else 0.0


def combine(components: Mapping[str, float], present: Mapping[str, bool]) -> float:
    """Weigh the facet cosines into a 0-100 score, leaving out facets nobody has."""
    total = sum(FACET_WEIGHTS[f] for f in FACETS if present[f])
    if not total:
        return 0.0
    return 100.0 * sum(FACET_WEIGHTS[f] * components[f] for f in FACETS if present[f]) / total


def match_vectors(a: Mapping[str, Mapping[str, float]],
                  b: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Score two people's taste vectors: the 0-100 score and each facet's cosine.

    A facet neither person has (genres, when Spotify sends none) is None, not 0: it was left
    out of the score, not found to differ.
    """
    components = {f: cosine(a[f], b[f]) for f in FACETS}
    present = {f: bool(a[f]) or bool(b[f]) for f in FACETS}
    return {"score": round(combine(components, present), 1),
            "components": {f: round(components[f], 4) if present[f] else None
                           for f in FACETS}}


def taste_match(a: Profile, b: Profile) -> dict[str, Any]:
    """Score how much two people's taste overlaps (0-100, symmetric, rank-weighted)."""
    return match_vectors(taste_vectors(a), taste_vectors(b))


# ---------------------------------------------------------------- all pairs, sparse
def normalize_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Scale each row to unit length (empty rows stay empty)."""
    import numpy as np
    from scipy import sparse

    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sparse.diags(inverse) @ matrix


def all_pairs_top_k(matrices: Mapping[str, sparse.csr_matrix], k: int, *,
                    block_rows: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Score every pair of rows and keep each row's k best matches.

    `matrices` holds one rank-weighted (users x items) matrix per facet, rows aligned. Returns
    (indices, scores), each (users x k), best first; scores are on the 0-100 scale. Works in
    blocks of rows so memory stays at block_rows x users.
    """
    import numpy as np
    from scipy import sparse

    n = next(iter(matrices.values())).shape[0]
    k = max(0, min(k, n - 1))
    unit = {}
    for facet in FACETS:
        # float32 halves the memory traffic; scores are reported to one decimal anyway.
        matrix = normalize_rows(sparse.csr_matrix(matrices[facet], dtype=np.float64))
        matrix = sparse.csr_matrix(matrix, dtype=np.float32)
        # Few columns (genres): a dense product is faster than a sparse one.
        unit[facet] = matrix.toarray() if matrix.shape[1] <= 512 else matrix
    transposed = {f: (m.T.copy() if isinstance(m, np.ndarray) else m.T.tocsc())
                  for f, m in unit.items()}
    has = {f: np.diff(sparse.csr_matrix(matrices[f]).indptr) > 0 for f in FACETS}
    everyone_has_everything = all(h.all() for h in has.values())
    indices = np.zeros((n, k), dtype=np.int64)
    scores = np.zeros((n, k), dtype=np.float64)
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        total = np.zeros((stop - start, n), dtype=np.float32)
        for facet in FACETS:
            product = unit[facet][start:stop] @ transposed[facet]
            dense = product if isinstance(product, np.ndarray) else product.toarray()
            total += np.float32(FACET_WEIGHTS[facet]) * dense
        if everyone_has_everything:
            total *= np.float32(100.0 / sum(FACET_WEIGHTS.values()))
        else:
            weight = np.zeros_like(total)
            for facet in FACETS:
                weight += FACET_WEIGHTS[facet] * (has[facet][start:stop, None] | has[facet][None, :])
            total = np.divide(100.0 * total, weight, out=np.zeros_like(total), where=weight > 0)
        np.minimum(total, 100.0, out=total)
        rows = np.arange(stop - start)
        total[rows, rows + start] = -np.inf  # nobody is their own twin
        if k == 0:
            continue
        best = np.argpartition(-total, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(total, best, axis=1)
        # Best first; equal scores by row index, so the answer does not depend on the sort.
        order = np.lexsort((best, -best_scores), axis=1)
        indices[start:stop] = np.take_along_axis(best, order, axis=1)
        scores[start:stop] = np.round(np.take_along_axis(best_scores, order, axis=1), 4)
    return indices, scores


def profile_matrices(profiles: Sequence[Profile]) -> dict[str, sparse.csr_matrix]:
    """Build the rank-weighted (people x items) matrix of each facet from top lists."""
    import numpy as np
    from scipy import sparse

    matrices = {}
    vectors = [taste_vectors(profile) for profile in profiles]
    for facet in FACETS:
        columns: dict[str, int] = {}
        rows, cols, values = [], [], []
        for row, vector in enumerate(vectors):
            for key, weight in vector[facet].items():
                rows.append(row)
                cols.append(columns.setdefault(key, len(columns)))
                values.append(weight)
        matrices[facet] = sparse.csr_matrix(
            (np.array(values, dtype=np.float64), (np.array(rows, dtype=np.int64),
                                                  np.array(cols, dtype=np.int64))),
            shape=(len(profiles), max(1, len(columns))))
    return matrices
