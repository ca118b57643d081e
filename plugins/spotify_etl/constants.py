"""The project's vocabulary, defined once: time ranges, kinds, limits, scopes and statuses.

Spotify's own terms where it has them. Everything else (settings, schemas, the CLI, the DAG
files) imports these; nothing here imports anything.
"""

from __future__ import annotations

TIME_RANGES = ("short_term", "medium_term", "long_term")
KINDS = ("artists", "tracks")
TOP_LIMIT = 50  # Spotify's maximum top items per list (offsets past 50 come back empty)
# Exactly what the pipeline and the mixes need; asked for once, at consent.
SCOPES = ("user-top-read", "user-read-recently-played", "playlist-modify-private",
          "playlist-read-private")

# Spotify's development mode (every app created since February 2026) admits at most 5 people.
DEVELOPMENT_MODE_USER_CAP = 5

# A connected person: loaded daily while active; skipped until they reconnect otherwise.
ACTIVE, NEEDS_REAUTH = "active", "needs_reauth"
USER_STATUSES = (ACTIVE, NEEDS_REAUTH)
# One person's snapshot run (`runs.status`); "skipped" is reported, never stored. "partial":
# loaded, but something Spotify sent was malformed and kept aside in `quarantine`.
SUCCESS, PARTIAL, FAILED, RATE_LIMITED, SKIPPED = (
    "success", "partial", "failed", "rate_limited", "skipped")
RUN_STATUSES = (SUCCESS, PARTIAL, NEEDS_REAUTH, FAILED, RATE_LIMITED)
FAILED_RUN_STATUSES = (FAILED, RATE_LIMITED, NEEDS_REAUTH)
