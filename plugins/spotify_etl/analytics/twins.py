"""Taste twins: for every person, the k most similar people among everyone, scores only.

All pairs at once with scipy sparse matrices (`taste_match.all_pairs_top_k`), never a loop
over pairs. The stored documents name the twins and the score, nothing about what they share:
people who are not in a group together never see each other's lists. The operator turns this
off with SPOTIFY_ETL_TASTE_TWINS=off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from spotify_etl.analytics.taste_match import all_pairs_top_k, profile_matrices
from spotify_etl.storage import document_id

if TYPE_CHECKING:
    from datetime import date

    import numpy as np


def profiles_from_items(items: Iterable[Mapping[str, Any]]
                        ) -> tuple[list[str], list[dict[str, list[dict[str, Any]]]]]:
    """Group ranked items (`repository.top_items_on`) of one date and range into profiles."""
    by_user: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"artists": [], "tracks": []})
    for item in items:
        by_user[item["user_id"]][item["kind"]].append(dict(item))
    user_ids = sorted(by_user)
    profiles = []
    for user_id in user_ids:
        profile = by_user[user_id]
        for kind in profile:
            profile[kind].sort(key=lambda i: i["rank"])
        profiles.append(profile)
    return user_ids, profiles


def compute_twins(items: Iterable[Mapping[str, Any]], k: int
                  ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return people, and for each the indexes and scores of their k nearest people."""
    import numpy as np

    user_ids, profiles = profiles_from_items(items)
    if len(user_ids) < 2:
        return user_ids, np.zeros((len(user_ids), 0), int), np.zeros((len(user_ids), 0))
    indices, scores = all_pairs_top_k(profile_matrices(profiles), k)
    return user_ids, indices, scores


def twins_documents(user_ids: list[str], indices: np.ndarray, scores: np.ndarray,
                    snapshot_date: date, time_range: str) -> list[dict[str, Any]]:
    """Build one `taste_twins` document per person: their twins and scores, best first."""
    return [{"_id": document_id(user_id, snapshot_date, time_range), "user_id": user_id,
             "snapshot_date": snapshot_date.isoformat(), "time_range": time_range,
             "twins": [{"user_id": user_ids[j], "score": round(float(s), 1)}
                       for j, s in zip(indices[i].tolist(), scores[i].tolist())]}
            for i, user_id in enumerate(user_ids)]
