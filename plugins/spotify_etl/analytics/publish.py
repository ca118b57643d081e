"""Publish a group's mix as one private playlist on the owner's Spotify account.

The first time: `POST /me/playlists`, and the playlist id is stored on the group at once.
Every later run replaces the items (`PUT /playlists/{id}/items` with the first 100 URIs, then
`POST` for the rest, 100 a call). A failure is recorded on the mix, which stays stored; the
next run tries again. Works on the database handle of the run that calls it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from spotipy.exceptions import SpotifyException

from spotify_etl.analytics.groups import set_playlist
from spotify_etl.settings import Settings, load_settings

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.spotify.client import SpotifySource

log = logging.getLogger(__name__)
URIS_PER_CALL = 100  # Spotify's limit for PUT/POST /playlists/{id}/items


def playlist_name(group: dict[str, Any]) -> str:
    """Name the group's playlist."""
    return f"{group['name']} mix"


def owner_source(db: Database, owner: str, settings: Settings) -> SpotifySource:
    """Open a Spotify client acting as the group's owner."""
    from spotify_etl.people.tokens import TokenStore
    from spotify_etl.spotify.client import SpotifySource

    return SpotifySource(settings, TokenStore(db, settings).cache_handler(owner))


def create_playlist(source: SpotifySource, group: dict[str, Any]) -> str:
    """Create the group's private playlist on the current (owner's) account; return its id."""
    names = ", ".join(group["members"])
    created = source.call(source.client.current_user_playlist_create, playlist_name(group),
                          public=False,
                          description=f"A fair daily blend of {names}'s top tracks "
                                      "(spotify_etl).")
    return created["id"]


def replace_items(source: SpotifySource, playlist_id: str, uris: list[str]) -> str | None:
    """Replace a playlist's items with `uris`, at most 100 a call; return the snapshot id."""
    answer = source.call(source.client.playlist_replace_items, playlist_id,
                         uris[:URIS_PER_CALL])
    for start in range(URIS_PER_CALL, len(uris), URIS_PER_CALL):
        answer = source.call(source.client.playlist_add_items, playlist_id,
                             uris[start:start + URIS_PER_CALL])
    return (answer or {}).get("snapshot_id")


def playlist_uris(source: SpotifySource, playlist_id: str) -> list[str]:
    """Read a playlist's track URIs, in either API shape (`track` or development mode `item`)."""
    uris: list[str] = []
    page = source.call(source.client.playlist_items, playlist_id, limit=100)
    while page:
        for entry in page.get("items") or []:
            track = (entry or {}).get("item") or (entry or {}).get("track") or {}
            if track.get("uri"):
                uris.append(track["uri"])
        page = source.call(source.client.next, page) if page.get("next") else None
    return uris


def publish_mix(db: Database, group: dict[str, Any], mix: dict[str, Any], *,
                settings: Settings | None = None,
                source: SpotifySource | None = None) -> dict[str, Any]:
    """Publish one mix to its group's playlist; record and return the outcome, never raise."""
    settings = settings or load_settings()
    previous = mix.get("publish") or {}
    uris = [track["uri"] for track in mix["tracks"]]
    if not uris:
        outcome = {"status": "skipped", "reason": mix.get("short_reason") or "empty mix"}
        _record(db, mix, outcome)
        return outcome
    playlist_id = group.get("playlist_id")
    try:
        source = source or owner_source(db, group["owner"], settings)
        if playlist_id is None:
            playlist_id = _create_and_remember(db, source, group)
        try:
            snapshot_id = replace_items(source, playlist_id, uris)
        except SpotifyException as error:
            if error.http_status != 404:
                raise
            # The owner deleted the playlist: make a new one, once, and remember it.
            log.warning("Playlist %s of group %s is gone; creating a new one",
                        playlist_id, group["name"])
            playlist_id = _create_and_remember(db, source, group)
            snapshot_id = replace_items(source, playlist_id, uris)
        outcome = {"status": "published", "playlist_id": playlist_id,
                   "snapshot_id": snapshot_id, "tracks": len(uris),
                   "attempts": previous.get("attempts", 0) + 1}
    except Exception as error:  # recorded on the mix and retried next run; the mix is kept
        log.warning("Publishing the mix of group %s failed: %s", group["name"], error)
        outcome = {"status": "failed", "playlist_id": playlist_id,
                   "error": f"{type(error).__name__}: {error}"[:500],
                   "attempts": previous.get("attempts", 0) + 1}
    _record(db, mix, outcome)
    return outcome


def _create_and_remember(db: Database, source: SpotifySource, group: dict[str, Any]) -> str:
    playlist_id = create_playlist(source, group)
    # Stored before any item is sent, so a failure later never leads to a second playlist.
    set_playlist(db, group["_id"], playlist_id)
    group["playlist_id"] = playlist_id
    return playlist_id


def _record(db: Database, mix: dict[str, Any], outcome: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    # Publishing is an event, so it carries a wall-clock time; the computed mix does not.
    db.mixes.update_one({"_id": mix["_id"]},
                        {"$set": {"publish": {**outcome, "at": datetime.now(UTC)}}})
    mix["publish"] = outcome
