"""Natural-key `_id`s: every document is addressed by the fields that make it unique.

`document_id("alice", date(2026, 11, 20), "tracks", "short_term")` is
"alice|2026-11-20|tracks|short_term": uniqueness needs no extra index and every upsert is an
`_id` lookup, on MongoDB and on the embedded store alike.
"""

from __future__ import annotations


def document_id(*parts: object) -> str:
    """Build a natural-key `_id` from its parts ("alice|2026-11-20|tracks|short_term")."""
    return "|".join(_key_part(part) for part in parts)


def _key_part(part: object) -> str:
    if hasattr(part, "isoformat"):
        text = part.isoformat()
        # played_at: millisecond precision in UTC, as Spotify gives it
        return text.replace("+00:00", "Z") if "T" in text else text
    return str(part)
