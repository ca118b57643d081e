"""What the database holds besides documents: indexes, schema validators and views.

Declared once, here and in `schemas.py` / `views.py`; `ensure_definitions` applies all of them
and changes no document. The analysts' questions (`spotify_etl.queries`) are checked against
`INDEXES` in the tests, so every documented question stays served by an index.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymongo.database import Database

log = logging.getLogger(__name__)

# Uniqueness comes from the natural-key `_id` (see keys.py); these serve the pipeline's and
# the analysts' queries (docs/queries.md).
INDEXES: dict[str, list[list[tuple[str, int]]]] = {
    "users": [[("status", 1), ("reauth_since", 1)],
              [("status", 1), ("capture.next_due_at", 1)],  # who is due for a capture read
              [("status", 1), ("refresh_token_expires_at", 1)]],  # whose access ends soon
    "artists": [[("genres", 1)]],
    "tracks": [[("artist_ids", 1)], [("isrc", 1)],
               [("name", 1)]],  # account-data history names tracks: resolved by name
    # one document per top list (bucket pattern); items hold the ranks
    "top_lists": [
        [("user_id", 1), ("snapshot_date", 1), ("kind", 1), ("time_range", 1)],
        # who else has this artist/track: a multikey index over the lists' items
        [("kind", 1), ("items.item_id", 1), ("snapshot_date", 1)],
        # questions across all people on one day: leaderboards, top genres, taste twins
        [("snapshot_date", 1), ("kind", 1), ("time_range", 1)],
    ],
    "plays": [[("user_id", 1), ("played_at", -1)], [("track_id", 1)], [("played_at", -1)]],
    # listening history (docs/history.md): one document per person-day, matched by `_id`;
    # these serve coverage and lifetime reads over a person's days
    "listening_days": [[("user_id", 1), ("day", 1)], [("day", 1), ("source", 1)]],
    "play_gaps": [[("user_id", 1), ("start", 1)]],
    "spoken_plays": [[("user_id", 1), ("kind", 1)]],
    "runs": [[("snapshot_date", 1), ("status", 1)], [("user_id", 1), ("snapshot_date", -1)]],
    "quarantine": [[("user_id", 1), ("snapshot_date", -1)]],
    # analytics (docs/analytics.md)
    "diffs": [[("kind", 1), ("snapshot_date", -1)], [("users", 1), ("snapshot_date", -1)]],
    "mixes": [[("group", 1), ("snapshot_date", -1)], [("publish.status", 1)]],
    "groups": [[("members", 1)], [("publish", 1)]],
    "taste_twins": [[("snapshot_date", 1), ("time_range", 1)], [("twins.user_id", 1)]],
    # concerts (docs/concerts.md)
    "concerts": [[("artist_ids", 1), ("local_date", 1)], [("local_date", 1)]],
    "concert_lookups": [[("artist_id", 1), ("day", -1)], [("day", 1)]],
    "concert_matches": [[("performer.matched_by", 1)], [("looked_up_date", 1)]],
    "concert_places": [[("user_id", 1)]],
    "concert_bins": [[("user_id", 1), ("day", -1)], [("day", 1)]],
    # stream-count models (docs/prediction.md): versions and pointers; artefacts by _id
    "models": [[("user_id", 1), ("kind", 1), ("version", -1)], [("kind", 1)]],
    "model_artefacts": [[("user_id", 1)]],
    # the API service's tokens (docs/concerts.md)
    "api_tokens": [[("user_id", 1)]],
}
# The collections people and operators count (`stats`, the demo summary).
COLLECTIONS = ("users", "tokens", "artists", "albums", "tracks", "top_lists", "plays", "runs",
               "listening_days", "play_gaps", "spoken_plays")


def ensure_indexes(db: Database) -> None:
    """Create every collection's indexes; a no-op when they exist."""
    for collection, indexes in INDEXES.items():
        for keys in indexes:
            db[collection].create_index(keys)


def ensure_definitions(db: Database) -> None:
    """Create indexes, schema validators and analyst views; changes no document.

    Validators and views need MongoDB (the embedded store skips them) and, to change an
    existing definition, the dbAdmin role (docker/mongo/create-users.js grants it): without it
    the old definition stays, with a warning, and the data is loaded all the same.
    """
    from pymongo.errors import OperationFailure

    from spotify_etl.storage.schemas import apply_validators
    from spotify_etl.storage.views import create_views

    ensure_indexes(db)
    for step in (apply_validators, create_views):
        try:
            step(db)
        except OperationFailure as error:
            if error.code != 13:  # Unauthorized
                raise
            log.warning("%s skipped: the MongoDB user lacks the dbAdmin role on %s (%s)",
                        step.__name__, db.name, error.details or error)
