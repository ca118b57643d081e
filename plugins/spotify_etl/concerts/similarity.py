"""Artists like an artist, from this project's own data: co-listening blended with genres.

Spotify no longer tells related artists to new apps, so similarity comes from who listens to
what here, plus the genres Spotify still sends. Pure: the inputs are plain dicts (built by
`repository.listening_inputs`), nothing here reads the database.

Listening weight of artist a for person u (d = RANK_DECAY = 0.95, ranks from 1):
    A_u(a) = max over time ranges of d^(rank of a in u's top artists - 1)
    T_u(a) = max over time ranges and u's top tracks t by a of d^(rank of t - 1)
    P_u(a) = min(1, plays of a by u in the last 28 days / 10)
    L_u(a) = max(A_u(a), T_u(a) / 2) + P_u(a) / 2
Co-listening of a and b over everyone connected (cosine of their listener columns):
    C(a, b) = sum_u L_u(a) L_u(b) / (|L(a)| |L(b)|),  n(a, b) = people with L_u(a), L_u(b) > 0
Genre overlap, over the genre sets and over the words in them ("indie rock" ~ "alt rock"), with
a Jaccard index shrunk by one so that sharing four genres says more than sharing one:
    J(X, Y) = |X & Y| / (|X | Y| + 1)
    G(a, b) = (J(genres a, genres b) + J(words a, words b)) / 2      (0 if either has none)
Blend, trusting co-listening more the more people show it (K = 3; one person: genres only):
    alpha(a, b) = n / (n + K) if n >= 2 else 0
    S(a, b) = alpha C(a, b) + (1 - alpha) G(a, b)
Ties are broken by more listeners here, then by artist id.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

RANK_DECAY = 0.95
TRACK_SHARE = 0.5
PLAYS_SHARE = 0.5
PLAYS_SATURATION = 10
PLAYS_WINDOW_DAYS = 28
MIN_SUPPORT = 2  # one person's own list says nothing about which artists go together
SHRINK = 3.0


def listening_weights(top_artists: Iterable[Sequence[Mapping[str, Any]]],
                      top_tracks: Iterable[Sequence[Mapping[str, Any]]],
                      plays: Mapping[str, int]) -> dict[str, float]:
    """Return one person's L_u(a) from their top lists (one per time range) and play counts."""
    artist_part: dict[str, float] = defaultdict(float)
    for items in top_artists:
        for item in items:
            weight = RANK_DECAY ** (int(item["rank"]) - 1)
            artist_part[item["item_id"]] = max(artist_part[item["item_id"]], weight)
    track_part: dict[str, float] = defaultdict(float)
    for items in top_tracks:
        for item in items:
            weight = RANK_DECAY ** (int(item["rank"]) - 1)
            for artist_id in item.get("artist_ids") or ():
                if artist_id:
                    track_part[artist_id] = max(track_part[artist_id], weight)
    weights = {}
    for artist_id in set(artist_part) | set(track_part) | set(plays):
        heard = min(1.0, plays.get(artist_id, 0) / PLAYS_SATURATION)
        value = (max(artist_part.get(artist_id, 0.0), TRACK_SHARE * track_part.get(artist_id, 0.0))
                 + PLAYS_SHARE * heard)
        if value > 0:
            weights[artist_id] = value
    return weights


def _words(genres: Iterable[str]) -> set[str]:
    return {word for genre in genres for word in genre.split()}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / (len(a | b) + 1) if a and b else 0.0


class SimilarityModel:
    """Everyone's listening and the catalogue's genres, ready to answer "who is like a"."""

    def __init__(self, listening: Mapping[str, Mapping[str, float]],
                 genres: Mapping[str, Sequence[str]], names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self._genres = {a: set(g or ()) for a, g in genres.items()}
        self._words = {a: _words(g) for a, g in self._genres.items()}
        self._by_person = {u: {a: float(w) for a, w in ws.items() if w > 0}
                           for u, ws in listening.items()}
        self._listeners: dict[str, dict[str, float]] = defaultdict(dict)
        for person, weights in self._by_person.items():
            for artist_id, weight in weights.items():
                self._listeners[artist_id][person] = weight
        self._norm = {a: math.sqrt(sum(w * w for w in ls.values()))
                      for a, ls in self._listeners.items()}
        self._by_token: dict[str, set[str]] = defaultdict(set)
        for artist_id in self._genres:
            for token in self._genres[artist_id] | self._words[artist_id]:
                self._by_token[token].add(artist_id)

    @property
    def people(self) -> int:
        """Return how many people's listening the model knows."""
        return len(self._by_person)

    def genres(self, artist_id: str) -> list[str]:
        """Return an artist's genres, sorted."""
        return sorted(self._genres.get(artist_id, ()))

    def knows(self, artist_id: str) -> bool:
        """Tell whether the artist is in the catalogue or anyone's listening."""
        return artist_id in self.names

    def genre_overlap(self, a: str, b: str) -> float:
        """Return G(a, b)."""
        return 0.5 * (_jaccard(self._genres.get(a, set()), self._genres.get(b, set()))
                      + _jaccard(self._words.get(a, set()), self._words.get(b, set())))

    def _co_listening(self, a: str) -> dict[str, tuple[float, int]]:
        """Return C(a, b) and n(a, b) for every b someone listens to along with a."""
        dots: dict[str, float] = defaultdict(float)
        support: dict[str, int] = defaultdict(int)
        for person, weight in self._listeners.get(a, {}).items():
            for other, other_weight in self._by_person[person].items():
                dots[other] += weight * other_weight
                support[other] += 1
        norm = self._norm.get(a, 0.0)
        return {b: (min(1.0, dot / (norm * self._norm[b])) if norm and self._norm[b] else 0.0,
                    support[b]) for b, dot in dots.items() if b != a}

    @staticmethod
    def _parts(co_listening: float, support: int, genre: float) -> dict[str, Any]:
        """Blend the two signals; co-listening shown by fewer than MIN_SUPPORT counts 0."""
        alpha = support / (support + SHRINK) if support >= MIN_SUPPORT else 0.0
        used = co_listening if alpha else 0.0
        return {"score": alpha * used + (1 - alpha) * genre, "co_listening": used,
                "co_listening_weight": alpha, "genre_overlap": genre, "listeners_both": support}

    def listeners(self, artist_id: str) -> int:
        """Return how many people listen to an artist."""
        return len(self._listeners.get(artist_id, {}))

    def score(self, a: str, b: str) -> dict[str, Any]:
        """Return S(a, b) with its parts."""
        if a == b:
            return self._parts(1.0, max(MIN_SUPPORT, self.listeners(a)), 1.0)
        listeners_a, listeners_b = self._listeners.get(a, {}), self._listeners.get(b, {})
        both = set(listeners_a) & set(listeners_b)
        dot = sum(listeners_a[p] * listeners_b[p] for p in both)
        norms = self._norm.get(a, 0.0) * self._norm.get(b, 0.0)
        return self._parts(min(1.0, dot / norms) if norms else 0.0, len(both),
                           self.genre_overlap(a, b))

    def similar(self, a: str, limit: int, exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Return the `limit` artists most like `a` (best first, ties by id), with their parts."""
        skip = set(exclude) | {a}
        co = self._co_listening(a)
        candidates = {b for b, (_, n) in co.items() if n >= MIN_SUPPORT}
        for token in self._genres.get(a, set()) | self._words.get(a, set()):
            candidates |= self._by_token[token]
        scored = []
        for b in candidates - skip:
            if b not in self.names:
                continue  # nobody could be shown an artist without a name
            co_listening, support = co.get(b, (0.0, 0))
            parts = self._parts(co_listening, support, self.genre_overlap(a, b))
            if parts["score"] > 0:
                scored.append({"artist_id": b, "name": self.names[b], **parts,
                               "listeners": self.listeners(b), "genres": self.genres(b)})
        scored.sort(key=lambda s: (-s["score"], -s["listeners"], s["artist_id"]))
        rounded = ("score", "co_listening", "co_listening_weight", "genre_overlap")
        return [{**s, **{k: round(s[k], 4) for k in rounded}} for s in scored[:limit]]
