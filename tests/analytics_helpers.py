"""Hand-built top lists in the shape `store.profile` returns (as the loader stores them)."""

from __future__ import annotations

from datetime import date

FIRST_DAY, LAST_DAY = date(2026, 11, 13), date(2026, 11, 20)  # the snapshots the fixtures build

GENRES = ["indie rock", "dream pop", "shoegaze", "k-pop", "city pop", "techno", "house",
          "jazz", "bossa nova", "folk"]


def artist(artist_id: str, rank: int, genres: list[str] | None = None) -> dict:
    return {"item_id": artist_id, "rank": rank, "name": f"Artist {artist_id}",
            "artist_ids": [artist_id], "artist_names": [f"Artist {artist_id}"],
            "genres": genres if genres is not None else [GENRES[hash(artist_id) % len(GENRES)]]}


def track(track_id: str, rank: int, artist_id: str | None = None, isrc: str | None = None) -> dict:
    artist_id = artist_id or f"art-{track_id}"
    item = {"item_id": track_id, "rank": rank, "name": f"Track {track_id}",
            "artist_ids": [artist_id], "artist_names": [f"Artist {artist_id}"], "genres": None}
    if isrc:
        item["isrc"] = isrc
    return item


def profile(artist_ids: list[str], track_ids: list[str], genres: dict[str, list[str]] | None = None
            ) -> dict:
    genres = genres or {}
    return {"artists": [artist(a, r, genres.get(a, [f"g-{a}"])) for r, a in enumerate(artist_ids, 1)],
            "tracks": [track(t, r) for r, t in enumerate(track_ids, 1)]}
