"""A fair mix for a group: shared tracks first, then each member in turn, no duplicates.

The fairness rule: every track credits the members whose top lists hold it; tracks several
members share come first (more members, then better ranks), then the member with the fewest
credits so far adds their best-ranked track not yet in the mix (ties go to group order).
A track is a duplicate when its id or its ISRC is already in the mix. Pure functions only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spotify_etl.analytics.taste_match import rank_weight

DEFAULT_LENGTH = 50
MIN_MEMBERS, MAX_MEMBERS = 2, 10


def _song_key(track: Mapping[str, Any]) -> str:
    # The same recording can carry several track ids (re-releases); the ISRC names it once.
    return f"isrc:{track['isrc']}" if track.get("isrc") else f"id:{track['item_id']}"


def build_mix(members: Sequence[str], lists: Mapping[str, Sequence[Mapping[str, Any]]],
              length: int = DEFAULT_LENGTH, *, label: str = "top tracks") -> dict[str, Any]:
    """Blend the members' ranked track lists into one attributed, de-duplicated mix.

    `lists[member]` is that member's ranked tracks (item_id, rank, name, artist_names and, if
    known, isrc and uri). Returns the tracks, each member's credits and, for a mix shorter than
    `length`, the reason.
    """
    songs: dict[str, dict[str, Any]] = {}
    own: dict[str, list[str]] = {m: [] for m in members}
    for member in members:
        for track in sorted(lists.get(member) or [], key=lambda t: t["rank"]):
            key = _song_key(track)
            song = songs.setdefault(key, {"track": track, "ranks": {}})
            if member in song["ranks"]:
                continue  # the member's own duplicate (same ISRC): their best rank counts
            best_so_far = min(song["ranks"].values(), default=None)
            song["ranks"][member] = track["rank"]
            if best_so_far is not None and track["rank"] < best_so_far:
                song["track"] = track  # describe the song by its best-ranked appearance
            own[member].append(key)
    with_data = [m for m in members if own[m]]
    result: list[dict[str, Any]] = []
    credits = {m: 0 for m in members}
    used_ids: set[str] = set()
    used_isrcs: set[str] = set()

    def add(key: str) -> bool:
        song = songs[key]
        track = song["track"]
        if track["item_id"] in used_ids or (track.get("isrc") and track["isrc"] in used_isrcs):
            return False
        used_ids.add(track["item_id"])
        if track.get("isrc"):
            used_isrcs.add(track["isrc"])
        ordered = [m for m in members if m in song["ranks"]]
        for member in ordered:
            credits[member] += 1
        result.append({
            "position": len(result) + 1, "track_id": track["item_id"],
            "uri": track.get("uri") or f"spotify:track:{track['item_id']}",
            "isrc": track.get("isrc"), "name": track.get("name"),
            "artists": list(track.get("artist_names") or []),
            "members": ordered,
            "ranks": [{"user_id": m, "rank": song["ranks"][m]} for m in ordered],
            "shared": len(ordered) > 1})
        return True

    if len(with_data) >= MIN_MEMBERS:
        shared = [key for key, song in songs.items() if len(song["ranks"]) > 1]
        shared.sort(key=lambda key: (-len(songs[key]["ranks"]),
                                     -sum(rank_weight(r) for r in songs[key]["ranks"].values()),
                                     key))
        for key in shared:
            if len(result) >= length:
                break
            add(key)
        cursor = {m: 0 for m in members}
        while len(result) < length:
            waiting = [m for m in with_data if cursor[m] < len(own[m])]
            if not waiting:
                break
            member = min(waiting, key=lambda m: (credits[m], members.index(m)))
            # Take the member's best track not in the mix yet; skip what is already there.
            while cursor[member] < len(own[member]):
                key = own[member][cursor[member]]
                cursor[member] += 1
                if len(songs[key]["ranks"]) == 1 and add(key):
                    break
    return {"length_requested": length, "length": len(result), "tracks": result,
            "credits": [{"user_id": m, "tracks": credits[m]} for m in members],
            "short_reason": _short_reason(members, own, with_data, len(result), length, label)}


def _short_reason(members: Sequence[str], own: Mapping[str, list[str]], with_data: list[str],
                  got: int, length: int, label: str) -> str | None:
    if got >= length:
        return None
    missing = [m for m in members if not own[m]]
    missing_text = (f" No {label} for {', '.join(missing)} yet." if missing else "")
    if len(with_data) < MIN_MEMBERS:
        return (f"Too little data to blend: a mix needs {label} from at least {MIN_MEMBERS} "
                f"members, and {len(with_data)} of {len(members)} have them.{missing_text}")
    counts = ", ".join(f"{m} {len(own[m])}" for m in with_data)
    return (f"Shorter than {length}: the members' {label} hold only {got} distinct tracks "
            f"({counts}).{missing_text}")


def validate_members(members: Sequence[str]) -> list[str]:
    """Check a group's size (2 to 10 different people); return the members in order."""
    unique = list(dict.fromkeys(members))
    if not MIN_MEMBERS <= len(unique) <= MAX_MEMBERS:
        raise ValueError(f"A group has {MIN_MEMBERS} to {MAX_MEMBERS} different people; "
                         f"got {len(unique)}.")
    return unique
