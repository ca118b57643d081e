"""Groups: who is compared and mixed with whom (opt-in), kept in the `groups` collection.

A group is 2 to 10 connected people who agreed to share with each other; nobody is compared
with anyone outside their groups (taste twins excepted: scores only). One document per group,
keyed by its name; the owner's account holds the group's playlist when publishing is on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from spotify_etl.analytics.mixes import validate_members

if TYPE_CHECKING:
    from pymongo.database import Database


class GroupError(ValueError):
    """A group cannot be created or found as asked."""


def add_group(db: Database, name: str, members: list[str], *, publish: bool = False,
              owner: str | None = None) -> dict[str, Any]:
    """Create a group or update its members, owner and publishing; keep its playlist."""
    name = name.strip()
    if not name:
        raise GroupError("A group needs a name.")
    try:
        members = validate_members(members)
    except ValueError as error:
        raise GroupError(str(error)) from None
    known = {u["_id"] for u in db.users.find({"_id": {"$in": members}}, {"_id": 1})}
    unknown = [m for m in members if m not in known]
    if unknown:
        raise GroupError(f"Unknown user id(s): {', '.join(unknown)}. Only connected people "
                         "can join a group (list them with `python -m spotify_etl users`).")
    owner = owner or members[0]
    if owner not in members:
        raise GroupError(f"The owner {owner} must be a member of the group.")
    previous = db.groups.find_one({"_id": name}) or {}
    playlist_id = previous.get("playlist_id") if previous.get("owner") == owner else None
    document = {"_id": name, "name": name, "members": members, "owner": owner,
                "publish": bool(publish), "playlist_id": playlist_id,
                "created_at": previous.get("created_at") or datetime.now(UTC)}
    db.groups.replace_one({"_id": name}, document, upsert=True)
    return document


def list_groups(db: Database) -> list[dict[str, Any]]:
    """Return every group, by name."""
    return list(db.groups.find({}).sort("_id", 1))


def get_group(db: Database, name: str) -> dict[str, Any]:
    """Return one group, or raise GroupError naming the known ones."""
    group = db.groups.find_one({"_id": name})
    if group is None:
        known = ", ".join(g["_id"] for g in list_groups(db)) or "none yet"
        raise GroupError(f"No group named {name!r} (groups: {known}).")
    return group


def remove_group(db: Database, name: str) -> dict[str, Any]:
    """Delete a group (its stored mixes and its playlist on Spotify stay)."""
    group = get_group(db, name)
    db.groups.delete_one({"_id": name})
    return group


def set_playlist(db: Database, name: str, playlist_id: str | None) -> None:
    """Remember the group's playlist on the owner's account."""
    db.groups.update_one({"_id": name}, {"$set": {"playlist_id": playlist_id}})


def group_pairs(groups: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Return every pair of people who share a group, each once, in sorted order."""
    pairs: set[tuple[str, str]] = set()
    for group in groups:
        members = sorted(group["members"])
        pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1:])
    return sorted(pairs)


def share_a_group(groups: list[dict[str, Any]], a: str, b: str) -> bool:
    """Tell whether two people agreed to be compared (they share a group)."""
    return any(a in g["members"] and b in g["members"] for g in groups)
