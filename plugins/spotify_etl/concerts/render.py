"""Concert bins and similar artists as text for a terminal (the CLI and the demo). Pure."""

from __future__ import annotations

from typing import Any

from spotify_etl.concerts.geo import Point
from spotify_etl.constants import MATCH_NAME
from spotify_etl.text import table

QUIET_SHOWN = 8


def _short(why: str) -> str:
    """"top artist #3" -> "top #3"; "similar to X (0.62)" -> "like X"."""
    if why.startswith("top artist "):
        return "top " + why.removeprefix("top artist ")
    return "like " + why.removeprefix("similar to ").rsplit(" (", 1)[0]


def _seed(artist: dict[str, Any]) -> str | None:
    """The top artist a similar artist came with (its first reason), if it is similar."""
    first = artist["why"][0]
    return first.removeprefix("similar to ").rsplit(" (", 1)[0] if first.startswith(
        "similar to") else None


def bins_text(answer: dict[str, Any], name: str | None = None) -> str:
    """Describe a person's bins: each bin's label, artists and concerts by date."""
    who = name or answer["user_id"]
    near = Point(**answer["near"])
    lines = [f"Concert bins for {who} within {answer['radius_km']:g} km of "
             f"{near}, {answer['date_begin']} to "
             f"{answer['date_end']} ({answer['top_artists']} top artists, "
             f"{answer['related_artists']} similar each):"]
    for number, b in enumerate(answer["bins"], start=1):
        lines.append(f"\n  Bin {number}: {b['label']}")
        for top in (a for a in b["artists"] if a["why"][0].startswith("top artist")):
            like = [a["name"] for a in b["artists"] if _seed(a) == top["name"]]
            lines.append(f"    {top['why'][0]}: {top['name']}"
                         + (f"; like it: {', '.join(like)}" if like else ""))
        rows = []
        for concert in b["concerts"]:
            performers = ", ".join(
                f"{a['name']} ({_short(a['why'][0])}"
                + (", support act" if a["role"] == "support" else "")
                + (", matched by name only" if a["matched_by"] == MATCH_NAME else "") + ")"
                for a in concert["artists"])
            rows.append({"date": concert["date"], "time": (concert["time"] or "tba")[:5],
                         "concert": concert["name"], "venue": f"{concert['venue']}, "
                                                              f"{concert['city']}",
                         "km": f"{concert['distance_km']:.1f}", "why": performers})
        lines.append("    " + table(rows, ["date", "time", "concert", "venue", "km", "why"])
                     .replace("\n", "\n    "))
    if not answer["bins"]:
        lines.append("  " + answer.get("message", "No concerts."))
    quiet = [a["name"] for a in answer["artists"] if not a["concerts"]]
    if quiet and answer["bins"]:
        more = f" and {len(quiet) - QUIET_SHOWN} more" if len(quiet) > QUIET_SHOWN else ""
        lines.append(f"\n  No concerts nearby for: {', '.join(quiet[:QUIET_SHOWN])}{more}")
    if answer.get("note"):
        lines.append("  Note: " + answer["note"])
    return "\n".join(lines)


def similar_text(answer: dict[str, Any]) -> str:
    """Describe an artist's most similar artists with the parts of each score."""
    artist = answer["artist"]
    rows = [{"artist": s["name"], "score": f"{s['score']:.3f}",
             "co-listening": f"{s['co_listening']:.3f}", "people": s["listeners_both"],
             "genres": f"{s['genre_overlap']:.3f}", "artist_id": s["artist_id"]}
            for s in answer["similar"]]
    head = (f"Artists like {artist['name']} ({', '.join(artist['genres']) or 'no genres'}), "
            f"from the listening of {answer['people']} people:")
    if not rows:
        return head + "\n  none known yet."
    return head + "\n" + table(rows, ["artist", "score", "co-listening", "people", "genres",
                                      "artist_id"])
