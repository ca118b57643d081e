"""Bins: a person's top artists and artists like them, grouped by sound, with concerts nearby.

Pure: takes a person's top artists, the similarity model and the cached concerts; returns plain
dicts. The same inputs give the same bins, in the same order (every tie is broken by id).

1. Artists: the top `top_artists` of the person's list, then for each of them, best first, its
   `related_artists` most similar artists (never one of the top ones). An artist similar to
   several top artists is listed once, with every reason.
2. Bins: one per top artist with the similar artists it brought (an artist brought by several
   goes with the one it is most like); then the two bins most alike (average similarity of
   their artists, S in similarity.py) merge while that average is at least MERGE_AT.
3. Label: the bin's two dominant genres (top artists count double), else "<artist> and similar".
4. Concerts: each bin's artists' concerts that are not canceled, whose local date lies in
   [date_begin, date_end] (inclusive, the date on the ticket) and whose venue is within the
   radius by great-circle distance; by date and time.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from spotify_etl.concerts.geo import Point, great_circle_km

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from spotify_etl.concerts.parameters import BinsQuery
    from spotify_etl.concerts.similarity import SimilarityModel

MERGE_AT = 0.35
CANCELED = ("canceled", "cancelled")


def choose_artists(top: Sequence[Mapping[str, Any]], model: SimilarityModel, top_artists: int,
                   related_artists: int) -> list[dict[str, Any]]:
    """Return the top artists and their similar ones, each with why it is there."""
    ranked = sorted(top, key=lambda item: int(item["rank"]))[:top_artists]
    chosen: dict[str, dict[str, Any]] = {}
    for item in ranked:
        chosen[item["item_id"]] = {
            "artist_id": item["item_id"], "name": item.get("name") or item["item_id"],
            "genres": sorted(item.get("genres") or model.genres(item["item_id"])),
            "top_rank": int(item["rank"]), "similar_to": [], "seed": item["item_id"],
            "why": [f"top artist #{int(item['rank'])}"]}
    tops = list(chosen)
    for seed in tops:
        if not related_artists:
            break
        for similar in model.similar(seed, related_artists, exclude=tops):
            entry = chosen.setdefault(similar["artist_id"], {
                "artist_id": similar["artist_id"], "name": similar["name"],
                "genres": similar["genres"], "top_rank": None, "similar_to": [], "seed": seed,
                "why": []})
            entry["similar_to"].append({"artist_id": seed, "name": chosen[seed]["name"],
                                        "score": similar["score"]})
            # The most alike top artist first: it is the one the artist goes with.
            entry["similar_to"].sort(key=lambda s: (-s["score"], tops.index(s["artist_id"])))
            entry["seed"] = entry["similar_to"][0]["artist_id"]
            entry["why"] = [f"similar to {s['name']} ({s['score']:.2f})" for s in entry["similar_to"]]
    return list(chosen.values())


def _linkage(model: SimilarityModel, a: list[str], b: list[str]) -> float:
    return sum(model.score(x, y)["score"] for x in a for y in b) / (len(a) * len(b))


def group(model: SimilarityModel, chosen: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Group the chosen artists into bins (lists of artist ids, top artists first)."""
    tops = [c["artist_id"] for c in chosen if c["top_rank"] is not None]
    groups = [[seed] + sorted(c["artist_id"] for c in chosen
                              if c["top_rank"] is None and c["seed"] == seed) for seed in tops]
    while len(groups) > 1:
        best, pair = MERGE_AT, None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                value = _linkage(model, groups[i], groups[j])
                if value >= best and (pair is None or value > best):
                    best, pair = value, (i, j)
        if pair is None:
            break
        i, j = pair
        groups[i] = groups[i] + groups[j]
        del groups[j]
    return groups


def label(members: Sequence[Mapping[str, Any]]) -> tuple[str, list[str]]:
    """Name a bin by its two dominant genres; return (label, genres by weight)."""
    weights: Counter[str] = Counter()
    for member in members:
        for genre in member.get("genres") or ():
            weights[genre] += 2 if member.get("top_rank") is not None else 1
    genres = [g for g, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))]
    if genres:
        return " / ".join(genres[:2]), genres
    return f"{members[0]['name']} and similar", []


def nearby(concert: Mapping[str, Any], query: BinsQuery) -> float | None:
    """Return the concert's distance in km if it counts for the query, else None."""
    if str(concert.get("status") or "").lower() in CANCELED:
        return None
    local_date = concert.get("local_date") or ""
    if not query.date_begin.isoformat() <= local_date <= query.date_end.isoformat():
        return None
    venue = concert.get("venue") or {}
    if venue.get("latitude") is None or venue.get("longitude") is None:
        return None
    distance = great_circle_km(query.point, Point(venue["latitude"], venue["longitude"]))
    return distance if distance <= query.radius_km else None


def _concert_entry(concert: Mapping[str, Any], distance: float) -> dict[str, Any]:
    venue = concert.get("venue") or {}
    return {"event_id": concert["event_id"], "name": concert.get("name"),
            "date": concert.get("local_date"), "time": concert.get("local_time"),
            "timezone": concert.get("timezone"), "status": concert.get("status"),
            "venue": venue.get("name"), "city": venue.get("city"),
            "country": venue.get("country_code"), "distance_km": round(distance, 1),
            "url": concert.get("url"), "artists": []}


def build_bins(chosen: Sequence[Mapping[str, Any]], model: SimilarityModel,
               cached: Mapping[str, Mapping[str, Any]], query: BinsQuery) -> dict[str, Any]:
    """Return the bins of the chosen artists with their concerts, and every artist's state."""
    by_id = {c["artist_id"]: c for c in chosen}
    artists, bins = [], []
    for index, members in enumerate(group(model, chosen)):
        entries = [by_id[a] for a in members]
        name, genres = label(entries)
        concerts: dict[str, dict[str, Any]] = {}
        for member in entries:
            found = cached.get(member["artist_id"])
            performer = (found or {}).get("lookup", {}).get("performer") if found else None
            count = 0
            for concert in (found or {}).get("concerts") or ():
                distance = nearby(concert, query)
                if distance is None:
                    continue
                count += 1
                entry = concerts.setdefault(concert["event_id"], _concert_entry(concert, distance))
                headliner = (concert.get("performers") or [{}])[0].get("id")
                entry["artists"].append({"artist_id": member["artist_id"], "name": member["name"],
                                         "why": member["why"],
                                         "role": "headliner" if headliner ==
                                         performer["performer_id"] else "support",
                                         "matched_by": performer["matched_by"]})
            artists.append({"artist_id": member["artist_id"], "name": member["name"],
                            "why": member["why"], "bin": index, "genres": member["genres"],
                            "looked_up": found is not None,
                            "matched_by": performer["matched_by"] if performer else None,
                            "concerts": count})
        listed = sorted(concerts.values(),
                        key=lambda c: (c["date"], c["time"] or "99", c["name"] or "", c["event_id"]))
        bins.append({"label": name, "genres": genres[:5],
                     "artists": [{"artist_id": m["artist_id"], "name": m["name"], "why": m["why"]}
                                 for m in entries], "concerts": listed})
    labels = Counter(b["label"] for b in bins)
    for b in bins:  # two bins of the same genres: tell them apart by their first artist
        if labels[b["label"]] > 1:
            b["label"] = f"{b['label']} ({b['artists'][0]['name']})"
    for artist in artists:
        artist["bin"] = bins[artist["bin"]]["label"]
    with_concerts = [b for b in bins if b["concerts"]]
    return {"bins": with_concerts, "artists": artists,
            "summary": {"artists": len(chosen), "bins": len(bins),
                        "bins_with_concerts": len(with_concerts),
                        "concerts": len({c["event_id"] for b in with_concerts
                                         for c in b["concerts"]}),
                        "artists_not_looked_up": sum(not a["looked_up"] for a in artists)}}
