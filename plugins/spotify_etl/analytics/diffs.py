"""Diffs between top lists: two people on one date, or one person across ranges and days.

Pure functions over the lists `store.profile` returns (items with item_id, rank, name,
artist_ids, artist_names, genres); the documents they build are what `diffs` stores.
Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spotify_etl.analytics.taste_match import Profile, rank_weight, taste_match, taste_vectors

Item = Mapping[str, Any]


def _entry(item: Item, **extra: Any) -> dict[str, Any]:
    entry = {"id": item["item_id"], "name": item.get("name")}
    if item.get("artist_names"):
        entry["artists"] = list(item["artist_names"])
    return {**entry, **extra}


def shared_and_unique(a: Sequence[Item], b: Sequence[Item]) -> dict[str, Any]:
    """Split two ranked lists into shared items (best together first) and each side's own."""
    rank_a = {item["item_id"]: item["rank"] for item in a}
    rank_b = {item["item_id"]: item["rank"] for item in b}
    shared = sorted((_entry(item, rank_a=item["rank"], rank_b=rank_b[item["item_id"]])
                     for item in a if item["item_id"] in rank_b),
                    key=lambda e: (-rank_weight(e["rank_a"]) * rank_weight(e["rank_b"]), e["id"]))
    return {"shared": shared,
            "only_a": [_entry(item, rank=item["rank"]) for item in a if item["item_id"] not in rank_b],
            "only_b": [_entry(item, rank=item["rank"]) for item in b if item["item_id"] not in rank_a]}


def genre_split(a: Profile, b: Profile) -> dict[str, Any]:
    """Split two people's genres (weighted by their artists' ranks) into shared and own."""
    weights_a, weights_b = taste_vectors(a)["genres"], taste_vectors(b)["genres"]

    def ordered(names: set[str], weights: Mapping[str, float]) -> list[str]:
        return sorted(names, key=lambda g: (-weights.get(g, 0.0), g))

    both = {g: weights_a[g] * weights_b[g] for g in weights_a.keys() & weights_b.keys()}
    return {"shared": ordered(set(both), both),
            "only_a": ordered(weights_a.keys() - weights_b.keys(), weights_a),
            "only_b": ordered(weights_b.keys() - weights_a.keys(), weights_b)}


def together_track(a: Profile, b: Profile) -> dict[str, Any] | None:
    """Pick the track that brings two people together.

    The shared track with the best pair of ranks; failing that, the track on either list whose
    artist ranks best on the other person's artist list. None when nothing connects them.
    """
    tracks = shared_and_unique(a.get("tracks") or [], b.get("tracks") or [])["shared"]
    if tracks:
        return {**tracks[0], "why": "on both your top-track lists"}
    best: tuple[float, str] | None = None
    chosen: dict[str, Any] | None = None
    for own, other, side in ((a, b, "a"), (b, a, "b")):
        artist_rank = {artist["item_id"]: artist["rank"] for artist in other.get("artists") or []}
        for track in own.get("tracks") or []:
            ranks = [artist_rank[i] for i in track.get("artist_ids") or [] if i in artist_rank]
            if not ranks:
                continue
            key = (-rank_weight(track["rank"]) * rank_weight(min(ranks)), track["item_id"])
            if best is None or key < best:
                best = key
                chosen = _entry(track, **{f"rank_{side}": track["rank"]},
                                why="from one list, by an artist the other loves")
    return chosen


def pair_diff(a: Profile, b: Profile) -> dict[str, Any]:
    """Compare two people for one date and time range: score, shared and unique, together."""
    match = taste_match(a, b)
    artists = shared_and_unique(a.get("artists") or [], b.get("artists") or [])
    tracks = shared_and_unique(a.get("tracks") or [], b.get("tracks") or [])
    return {"score": match["score"], "components": match["components"],
            "artists": artists, "tracks": tracks, "genres": genre_split(a, b),
            "together": together_track(a, b)}


def list_changes(before: Sequence[Item], after: Sequence[Item]) -> dict[str, Any]:
    """Say what entered, left, climbed and fell between two ranked lists (rank change > 0 = up)."""
    old = {item["item_id"]: item for item in before}
    new = {item["item_id"]: item for item in after}
    entered = [_entry(item, rank=item["rank"]) for item in after if item["item_id"] not in old]
    left = [_entry(item, rank=item["rank"]) for item in before if item["item_id"] not in new]
    climbed, fell, same = [], [], 0
    for item in after:
        previous = old.get(item["item_id"])
        if previous is None:
            continue
        change = previous["rank"] - item["rank"]
        entry = _entry(item, rank=item["rank"], previous_rank=previous["rank"], change=change)
        if change > 0:
            climbed.append(entry)
        elif change < 0:
            fell.append(entry)
        else:
            same += 1
    climbed.sort(key=lambda e: (-e["change"], e["rank"]))
    fell.sort(key=lambda e: (e["change"], e["rank"]))
    return {"entered": entered, "left": left, "climbed": climbed, "fell": fell, "unchanged": same}


def profile_changes(before: Profile, after: Profile) -> dict[str, Any]:
    """Compare a person's two profiles (two dates or two ranges), artists and tracks."""
    return {kind: list_changes(before.get(kind) or [], after.get(kind) or [])
            for kind in ("artists", "tracks")}


def not_enough_history(snapshot_date: str, days: int, earliest: str | None = None) -> dict[str, Any]:
    """Build the honest answer for a comparison that has nothing to compare with."""
    wanted = f"no snapshot {days} days before {snapshot_date}"
    since = f" (first snapshot: {earliest})" if earliest else ""
    return {"status": "not_enough_history",
            "message": f"Not enough history yet: {wanted}{since}."}
