"""Remove one person and everything of theirs from every collection, leaving others untouched.

A person's data is any document about them: keyed by their id (`users`, `tokens`) or naming them
as its subject (`user_id`, `user_ids`, `users`, `owner`, `owner_id`, or `members` of a computed
result such as a mix). Documents of other people that merely mention them (a group's member list,
someone else's taste twins) keep existing, without them. The catalogue is nobody's.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    from pymongo.collection import Collection
    from pymongo.database import Database


log = logging.getLogger(__name__)

# Collections whose `_id` is the person's Spotify user id.
KEYED_BY_USER_ID = ("users", "tokens")
# Fields that make the person a subject of the document: the document goes with them
# (top items, plays, runs, diffs incl. pair diffs, mixes, their own taste-twins list).
SUBJECT_FIELDS = ("user_id", "user_ids", "users", "owner", "owner_id")
# Collections whose `members` list is a shared membership, not derived data: the person leaves
# it, and the document stays for the others. Elsewhere (mixes) `members` makes them a subject.
MEMBERSHIP_COLLECTIONS = ("groups",)
MEMBER_FIELD = "members"
# Lists of `{"user_id": …}` in other people's documents (their taste twins): the entry goes.
MENTION_FIELDS = ("twins",)


def _subject_filter(user_id: str, *, members_too: bool) -> dict[str, Any]:
    # `{"users": x}` matches arrays containing x as well as a plain value.
    fields = SUBJECT_FIELDS + ((MEMBER_FIELD,) if members_too else ())
    return {"$or": [{name: user_id} for name in fields]
            + ([{f"{MEMBER_FIELD}.user_id": user_id}] if members_too else [])}


def _leave_membership(collection: Collection, user_id: str) -> int:
    """Take the person out of shared member lists; delete only groups they leave empty."""
    query = {"$or": [{MEMBER_FIELD: user_id}, {f"{MEMBER_FIELD}.user_id": user_id}]}
    ids = [document["_id"] for document in collection.find(query, {"_id": 1})]
    if not ids:
        return 0
    # Members are plain ids or sub-documents with a `user_id`.
    collection.update_many({"_id": {"$in": ids}}, {"$pull": {MEMBER_FIELD: user_id}})
    collection.update_many({"_id": {"$in": ids}}, {"$pull": {MEMBER_FIELD: {"user_id": user_id}}})
    collection.delete_many({"_id": {"$in": ids}, MEMBER_FIELD: {"$size": 0}})
    return len(ids)


def _drop_mentions(collection: Collection, user_id: str) -> int:
    """Remove `{"user_id": person}` entries from lists in other people's documents."""
    changed = 0
    for name in MENTION_FIELDS:
        changed += collection.update_many({f"{name}.user_id": user_id},
                                          {"$pull": {name: {"user_id": user_id}}}).modified_count
    return changed


def delete_user(db: Database, user_id: str) -> dict[str, int]:
    """Remove the person and all their data; return documents removed or edited per collection.

    The data goes first and `users`/`tokens` last, so a deletion that stops half-way (a lost
    connection) can simply be repeated: the person is still listed until the very end. Only
    real collections are written to; views (the analysts') are read-only.
    """
    if not user_id or not isinstance(user_id, str):
        raise ValueError("a user id is required")
    counts: dict[str, int] = {}
    names = sorted(info["name"] for info in db.list_collections()
                   if info.get("type", "collection") == "collection"
                   and not info["name"].startswith("system.")
                   and info["name"] not in KEYED_BY_USER_ID)
    for name in names:
        collection = db[name]
        shared = name in MEMBERSHIP_COLLECTIONS
        removed = collection.delete_many(
            _subject_filter(user_id, members_too=not shared)).deleted_count
        if shared:
            removed += _leave_membership(collection, user_id)
        removed += _drop_mentions(collection, user_id)
        if removed:
            counts[name] = counts.get(name, 0) + removed
    # Tokens before the person: a snapshot starting now finds no token and records nothing.
    for name in sorted(KEYED_BY_USER_ID, key=lambda n: n != "tokens"):
        deleted = db[name].delete_many({"_id": user_id}).deleted_count
        if deleted:
            counts[name] = deleted
    log.info("Deleted user %s: %s", user_id,
             ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "nothing")
    return counts
