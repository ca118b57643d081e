"""Taste twins: everyone's nearest people from stored top items, scores only."""

from __future__ import annotations

from datetime import date

from spotify_etl.analytics.taste_match import taste_match
from spotify_etl.analytics.twins import compute_twins, profiles_from_items, twins_documents

DAY = date(2026, 11, 20)


def _items(user_id: str, artists: list[str], tracks: list[str]) -> list[dict]:
    """Ranked items as `repository.top_items_on` returns them, shuffled."""
    items = [{"user_id": user_id, "kind": "artists", "rank": rank, "item_id": a,
              "genres": [f"genre-{a[-1]}"]} for rank, a in enumerate(artists, 1)]
    items += [{"user_id": user_id, "kind": "tracks", "rank": rank, "item_id": t, "genres": None}
              for rank, t in enumerate(tracks, 1)]
    return items[::-1]


ITEMS = (_items("ann", ["a1", "a2", "a3"], ["t1", "t2"])
         + _items("ben", ["a1", "a2", "a4"], ["t1", "t3"])      # close to ann
         + _items("cat", ["a7", "a8", "a9"], ["t8", "t9"])      # nobody's twin
         + _items("dan", ["a2", "a1", "a3"], ["t2", "t1"]))     # closest to ann


def test_profiles_are_grouped_per_person_and_sorted_by_rank():
    user_ids, profiles = profiles_from_items(ITEMS)
    assert user_ids == ["ann", "ben", "cat", "dan"]
    assert [a["item_id"] for a in profiles[0]["artists"]] == ["a1", "a2", "a3"]
    assert [t["rank"] for t in profiles[3]["tracks"]] == [1, 2]


def test_each_person_gets_their_k_nearest_with_the_pairwise_score():
    user_ids, indices, scores = compute_twins(ITEMS, k=2)
    _, profiles = profiles_from_items(ITEMS)
    ann = user_ids.index("ann")
    assert [user_ids[j] for j in indices[ann]] == ["dan", "ben"]
    expected = taste_match(profiles[ann], profiles[user_ids.index("dan")])["score"]
    assert abs(scores[ann][0] - expected) < 0.1
    assert "cat" not in {user_ids[j] for j in indices[ann]}


def test_one_person_alone_has_no_twins():
    user_ids, indices, _ = compute_twins(_items("ann", ["a1"], ["t1"]), k=3)
    assert user_ids == ["ann"] and indices.shape == (1, 0)


def test_documents_name_twins_and_scores_only_under_a_natural_key():
    user_ids, indices, scores = compute_twins(ITEMS, k=1)
    documents = twins_documents(user_ids, indices, scores, DAY, "medium_term")
    ann = next(d for d in documents if d["user_id"] == "ann")
    assert ann["_id"] == "ann|2026-11-20|medium_term" and ann["snapshot_date"] == "2026-11-20"
    assert list(ann["twins"][0]) == ["user_id", "score"] and ann["twins"][0]["user_id"] == "dan"
