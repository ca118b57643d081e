"""Answer one track for one person: find it, describe it, predict its plays.

A song is looked up in the stored catalogue first (by Spotify track id, or by name and artist,
case-insensitive), then through Spotify's search (or track lookup) as the person, with their
stored token. Predictions use the person's current model version and their history up to their
newest stored play. The API service (`api_server.prediction`) and the demo call this.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spotify_etl.prediction import dataset, registry
from spotify_etl.prediction.features import FEATURES, feature_frame, track_metadata

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.settings import Settings

RAW_TRACK_FIELDS = ("_id", "name", "artist_ids", "artist_names", "album_id", "duration_ms",
                    "explicit", "isrc", "popularity", "track_number", "disc_number", "uri")
RAW_ALBUM_FIELDS = ("_id", "name", "album_type", "release_date", "release_date_precision",
                    "total_tracks")


class SongNotFound(LookupError):
    """Neither the catalogue nor Spotify knows the song."""


class SpotifyLookupFailed(RuntimeError):
    """Spotify could not be asked (unreachable, refused, or the person's token unusable)."""


@dataclass
class Song:
    """A resolved track: where it was found, Spotify's fields, the normalised metadata."""

    found_in: str  # "catalogue" or "spotify"
    raw: dict[str, Any]
    meta: dict[str, Any]


def _exact(text: str) -> dict[str, Any]:
    return {"$regex": f"^{re.escape(text.strip())}$", "$options": "i"}


def _catalogue_song(db: Database, track: dict[str, Any]) -> Song:
    album = db.albums.find_one({"_id": track.get("album_id")}) or {}
    raw = {"track": {k: track.get(k) for k in RAW_TRACK_FIELDS},
           "album": {k: album.get(k) for k in RAW_ALBUM_FIELDS} if album else None}
    return Song("catalogue", raw, track_metadata(track, album))


def _spotify_song(track: dict[str, Any]) -> Song:
    return Song("spotify", {"track": track}, track_metadata(track))


def _source(db: Database, settings: Settings, user_id: str):
    from spotify_etl.people.tokens import TokenStore
    from spotify_etl.spotify.client import SpotifySource

    return SpotifySource(settings, TokenStore(db, settings).cache_handler(user_id))


def _ask_spotify(call):
    from spotipy.exceptions import SpotifyException

    from spotify_etl.people.tokens import TokenStoreError
    from spotify_etl.spotify.client import NeedsReauthorization, RateLimited, SpotifyUnavailable

    try:
        return call()
    except (SpotifyException, SpotifyUnavailable, RateLimited, NeedsReauthorization,
            TokenStoreError, ValueError, OSError) as error:
        # The reason's class only: Spotify's messages may quote the query or the account.
        raise SpotifyLookupFailed(f"Spotify could not be searched ({type(error).__name__})"
                                  ) from None


def _same(meta: dict[str, Any], song: str, artist: str) -> bool:
    return ((meta.get("name") or "").casefold() == song
            and any((a or "").casefold() == artist for a in meta.get("artist_names") or []))


def find_song(db: Database, settings: Settings, user_id: str, song: str, artist: str,
              known: dataset.PersonData | None = None) -> Song:
    """Find a song by name and artist: the person's own tracks, the catalogue, then Spotify
    search as the person (the most played of several same-named tracks wins)."""
    wanted_song, wanted_artist = song.strip().casefold(), artist.strip().casefold()
    if known is not None:
        mine = [m for m in known.metadata.values() if _same(m, wanted_song, wanted_artist)]
        if mine:
            counts = known.plays["track_id"].value_counts()
            best = max(mine, key=lambda m: (int(counts.get(m["track_id"], 0)), m["track_id"]))
            return _catalogue_song(db, db.tracks.find_one({"_id": best["track_id"]}))
    stored = list(db.tracks.find({"name": _exact(song), "artist_names": _exact(artist)}).limit(20))
    if stored:
        return _catalogue_song(db, min(stored, key=lambda t: t["_id"]))
    found = _ask_spotify(lambda: _source(db, settings, user_id).search_tracks(song, artist))
    for track in found:
        if track.get("name", "").casefold() == wanted_song and any(
                (a.get("name") or "").casefold() == wanted_artist for a in track.get("artists")
                or []):
            return _spotify_song(track)
    raise SongNotFound("No song of that name by that artist, in the catalogue or on Spotify")


def find_track(db: Database, settings: Settings, user_id: str, track_id: str) -> Song:
    """Find a track by its Spotify id: the catalogue, then Spotify's track lookup."""
    stored = db.tracks.find_one({"_id": track_id})
    if stored:
        return _catalogue_song(db, stored)
    found = _ask_spotify(lambda: _source(db, settings, user_id).track(track_id))
    if not found or not found.get("id"):
        raise SongNotFound("No track with that Spotify id")
    return _spotify_song(found)


class PersonCache:
    """Each person's history and current model, reread only when either changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._history: dict[str, tuple[Any, dataset.PersonData]] = {}
        self._models: dict[str, tuple[int, Any, dict]] = {}

    def history(self, db: Database, user_id: str) -> dataset.PersonData:
        """Return the person's history (reread after a new load stamped their newest date)."""
        person = db.users.find_one({"_id": user_id}, {"last_snapshot_date": 1}) or {}
        stamp = person.get("last_snapshot_date")
        with self._lock:
            entry = self._history.get(user_id)
        if entry is None or entry[0] != stamp:
            entry = (stamp, dataset.read_person(db, user_id))
            with self._lock:
                self._history[user_id] = entry
        return entry[1]

    def model(self, db: Database, user_id: str) -> tuple[Any, dict] | None:
        """Return (model, version document) of the current version, or None."""
        current = registry.current_version(db, user_id)
        if current is None:
            return None
        with self._lock:
            entry = self._models.get(user_id)
        if entry is None or entry[0] != current:
            entry = (current, *registry.load_model(db, user_id, current))
            with self._lock:
                self._models[user_id] = entry
        return entry[1], entry[2]


def not_enough_history(db: Database, user_id: str) -> str:
    """Say why a person has no model: too little history, or not trained yet."""
    from spotify_etl.prediction.training import people_with_enough_history

    if people_with_enough_history(db, [user_id]):
        return "no model trained yet: python -m spotify_etl model train USER"
    try:
        dataset.split(dataset.read_person(db, user_id))
    except dataset.NotEnoughHistory as error:
        return str(error)
    return "not enough history"


def features_of(data: dataset.PersonData, song: Song) -> tuple[Any, Any]:
    """Return (reference date, one-row feature frame) of a song for the person, as of their
    newest play. The vectors of every track in their history are computed once per history
    (one vectorised pass), so only a song new to them is computed on its own."""
    if data.last_day is None:
        raise dataset.NotEnoughHistory("not enough history: no plays stored yet")
    track_id = song.meta["track_id"]
    reference = data.last_day
    known = getattr(data, "known_vectors", None)
    if known is None or known[0] != reference:
        tracks = list(data.metadata)
        known = (reference, feature_frame(data.plays, data.top, data.metadata, data.genres,
                                          reference, tracks))
        data.known_vectors = known
    if track_id in known[1].index:
        return reference, known[1].loc[[track_id]]
    if track_id not in data.metadata:
        data.add_track(song.meta)
    return reference, feature_frame(data.plays, data.top, data.metadata, data.genres,
                                    reference, [track_id])


def describe_features(reference, frame) -> dict[str, Any]:
    """Return a feature row as JSON: values (null when missing) and their sources."""
    row = frame.iloc[0]
    return {"reference_date": reference.isoformat(),
            "features": {f.name: (None if row[f.name] != row[f.name] else float(row[f.name]))
                         for f in FEATURES},
            "sources": {f.name: f.source for f in FEATURES}}


def predict(cache: PersonCache, db: Database, user_id: str, song: Song) -> dict[str, Any]:
    """Predict a song's plays for the person, or say plainly why there is no number."""
    entry = cache.model(db, user_id)
    answer: dict[str, Any] = {"track": {"id": song.meta["track_id"], "name": song.meta["name"],
                                        "artists": song.meta["artist_names"]},
                              "found_in": song.found_in,
                              "target": f"plays in the {dataset.HORIZON_DAYS} days after "
                                        "the reference date"}
    if entry is None:
        return {**answer, "prediction": None, "reason": not_enough_history(db, user_id)}
    model, document = entry
    data = cache.history(db, user_id)
    from spotify_etl.prediction.training import single_threaded

    reference, frame = features_of(data, song)
    track_id = song.meta["track_id"]
    vectors = data.known_vectors[1]
    # OpenMP threads only slow 300 small trees down: the predictions run on one thread.
    if track_id in vectors.index:
        # Every track of the person's history is predicted in one call, once per model.
        cached = data.known_predictions
        if cached is None or cached[0] != document["version"]:
            with single_threaded():
                cached = (document["version"], dict(zip(vectors.index, model.predict(vectors))))
            data.known_predictions = cached
        value = float(cached[1][track_id])
    else:
        with single_threaded():
            value = float(model.predict(frame)[0])
    known = int(data.play_counts().get(song.meta["track_id"], 0))
    return {**answer, "prediction": round(max(value, 0.0), 2),
            "reference_date": reference.isoformat(), "plays_so_far": known,
            "model": {"version": document["version"],
                      "trained_at": document["trained_at"].isoformat()
                      if hasattr(document["trained_at"], "isoformat") else document["trained_at"],
                      "held_out_mae": document["metrics"]["gradient_boosting"]["mae"],
                      "held_out_spearman": document["metrics"]["gradient_boosting"]["spearman"],
                      "held_out_window": document["training_window"]["held_out_window"]}}
