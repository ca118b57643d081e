"""The feature vector of (person, track, reference date): only what exists today.

No audio features (Spotify refuses them to apps created since November 2024) and popularity
only where the API shape sends it (null in development mode: the models take it as missing).
Every feature is computed from data on or before the reference date; `FEATURES` documents
each one with its source (docs/prediction.md prints the same table). Pure: the inputs are
plain tables and dicts, read by `dataset.PersonData`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from spotify_etl.constants import TIME_RANGES

DAY = np.timedelta64(1, "D")
ALBUM_TYPES = {"album": 0, "single": 1, "compilation": 2}
PRECISIONS = {"day": 0, "month": 1, "year": 2}
TOP_SHARE_DAYS = 180


@dataclass(frozen=True)
class Feature:
    """One column of the vector: its name, where it comes from, what it means."""

    name: str
    source: str
    description: str


def _ranges(prefix: str, source: str, what: str) -> list[Feature]:
    return [Feature(f"{prefix}_{r}", source, f"{what} ({r}); missing when absent")
            for r in TIME_RANGES]


FEATURES: list[Feature] = [
    Feature("track_plays_7d", "plays", "plays of the track in the 7 days up to the reference date"),
    Feature("track_plays_30d", "plays", "... in the 30 days up to it"),
    Feature("track_plays_90d", "plays", "... in the 90 days up to it"),
    Feature("track_plays_365d", "plays", "... in the 365 days up to it"),
    Feature("track_plays_all", "plays", "... ever (all stored history)"),
    Feature("track_days_since_last", "plays", "days since the last play of the track "
                                              "(missing: never played)"),
    Feature("track_days_known", "plays", "days since the first play of the track"),
    Feature("track_skip_rate", "plays (extended export only)",
            "share of the track's plays skipped; missing where the source does not say "
            "(daily captures of recently played never do)"),
    Feature("artist_plays_30d", "plays", "plays of the track's first artist in 30 days"),
    Feature("artist_plays_90d", "plays", "... in 90 days"),
    Feature("artist_plays_365d", "plays", "... in 365 days"),
    Feature("artist_days_since_last", "plays", "days since the artist was last played"),
    Feature("artist_days_known", "plays", "days since the person first played the artist "
                                          "(how long they have known them)"),
    Feature("artist_share_90d", "plays", "the artist's share of all the person's plays in 90 "
                                         "days"),
    Feature("artist_tracks_365d", "plays", "distinct tracks of the artist played in 365 days"),
    Feature("genre_share_90d", "plays + artists.genres",
            "share of the person's plays in 90 days whose first artist shares a genre with the "
            "track's first artist; missing when the artist has no genres (development mode "
            "may send none)"),
    Feature("person_plays_30d", "plays", "all the person's plays in 30 days (how much they "
                                         "listen)"),
    *_ranges("track_rank", "top_lists (tracks)",
             "the track's rank on the newest top-tracks list on or before the date"),
    *_ranges("artist_rank", "top_lists (artists)",
             "the first artist's rank on the newest top-artists list on or before the date"),
    Feature("track_top_share_180d", "top_lists (tracks, short_term)",
            "share of the short-term top-tracks lists of the last 180 days naming the track"),
    Feature("duration_ms", "tracks", "track length"),
    Feature("explicit", "tracks", "1 explicit, 0 not"),
    Feature("track_number", "tracks", "position on its album"),
    Feature("artist_count", "tracks", "number of credited artists"),
    Feature("album_type", "albums", "0 album, 1 single, 2 compilation"),
    Feature("album_total_tracks", "albums", "tracks on the album"),
    Feature("release_precision", "albums", "0 day, 1 month, 2 year (how precisely Spotify "
                                           "knows the release date)"),
    Feature("release_age_days", "albums", "days from the release date (first day of its "
                                          "precision) to the reference date"),
    Feature("popularity", "tracks (extended quota only)",
            "Spotify's 0-100 popularity; missing in development mode, which no longer sends it"),
]
FEATURE_NAMES = [feature.name for feature in FEATURES]


def track_metadata(track: dict[str, Any], album: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    """Normalise a stored catalogue track (+ its album) or a Spotify track object."""
    album = album if album is not None else (track.get("album") or {})
    artist_ids = track.get("artist_ids")
    if artist_ids is None:
        artist_ids = [a.get("id") for a in track.get("artists") or [] if a.get("id")]
    return {"track_id": track.get("_id") or track.get("id"), "name": track.get("name"),
            "artist_ids": list(artist_ids),
            "artist_names": track.get("artist_names")
            or [a.get("name") for a in track.get("artists") or []],
            "duration_ms": track.get("duration_ms"), "explicit": track.get("explicit"),
            "track_number": track.get("track_number"), "popularity": track.get("popularity"),
            "album_type": album.get("album_type"), "album_total_tracks": album.get("total_tracks"),
            "release_date": album.get("release_date"),
            "release_date_precision": album.get("release_date_precision")}


def release_day(value: str | None) -> date | None:
    """Return the first day of a Spotify release date ("2024", "2024-05", "2024-05-17")."""
    if not value:
        return None
    parts = [int(p) for p in str(value).split("-")[:3]]
    try:
        return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None


def _number(value: Any) -> float:
    if value is None or isinstance(value, str):
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def metadata_features(meta: dict[str, Any], reference: date) -> dict[str, float]:
    """Return the catalogue features of one track."""
    released = release_day(meta.get("release_date"))
    return {
        "duration_ms": _number(meta.get("duration_ms")),
        "explicit": _number(meta.get("explicit")),
        "track_number": _number(meta.get("track_number")),
        "artist_count": float(len(meta.get("artist_ids") or [])) or np.nan,
        "album_type": float(ALBUM_TYPES.get(meta.get("album_type"), np.nan)),
        "album_total_tracks": _number(meta.get("album_total_tracks")),
        "release_precision": float(PRECISIONS.get(meta.get("release_date_precision"), np.nan)),
        "release_age_days": float((reference - released).days) if released else np.nan,
        "popularity": _number(meta.get("popularity")),
    }


@dataclass
class TopLists:
    """A person's stored top lists: per (kind, time range), (date, {item_id: rank}) oldest first."""

    lists: dict[tuple[str, str], list[tuple[date, dict[str, int]]]]

    def newest(self, kind: str, time_range: str, reference: date) -> dict[str, int]:
        """Return the ranks of the newest list on or before a date ({} if none)."""
        found: dict[str, int] = {}
        for day, ranks in self.lists.get((kind, time_range), []):
            if day > reference:
                break
            found = ranks
        return found

    def share(self, track_ids: list[str], reference: date, days: int) -> np.ndarray:
        """Return, per track, the share of short-term track lists within `days` naming it."""
        recent = [ranks for day, ranks in self.lists.get(("tracks", "short_term"), [])
                  if reference - timedelta(days=days) < day <= reference]
        if not recent:
            return np.full(len(track_ids), np.nan)
        return np.array([sum(t in ranks for ranks in recent) / len(recent) for t in track_ids])


def _window_counts(times: np.ndarray, keys: np.ndarray, end: np.datetime64, days: int,
                   ) -> pd.Series:
    mask = times >= end - days * DAY
    return pd.Series(keys[mask]).value_counts()


def history_features(plays: pd.DataFrame, reference: date, track_ids: list[str],
                     primary_artists: list[str | None],
                     genres: dict[str, set[str]]) -> pd.DataFrame:
    """Return the plays-based features of tracks as of the end of `reference`.

    `plays` must hold only plays up to the end of the reference date (see `dataset`), with a
    `primary_artist` column (the first of `artist_ids`).
    """
    end = np.datetime64(reference + timedelta(days=1))
    times = plays["played_at"].to_numpy(dtype="datetime64[ns]") if len(plays) else \
        np.array([], dtype="datetime64[ns]")
    tracks = plays["track_id"].to_numpy(dtype=object)
    artists = plays["primary_artist"].to_numpy(dtype=object)
    index = pd.Index(track_ids)
    artist_index = pd.Index(primary_artists)
    out: dict[str, np.ndarray] = {}
    for days in (7, 30, 90, 365):
        out[f"track_plays_{days}d"] = _window_counts(times, tracks, end, days).reindex(
            index, fill_value=0).to_numpy(float)
    out["track_plays_all"] = pd.Series(tracks).value_counts().reindex(index, fill_value=0
                                                                      ).to_numpy(float)
    frame = pd.DataFrame({"track": tracks, "artist": artists, "at": times})
    by_track = frame.groupby("track")["at"].agg(["min", "max"])
    last = by_track["max"].reindex(index)
    first = by_track["min"].reindex(index)
    out["track_days_since_last"] = ((end - last.to_numpy(dtype="datetime64[ns]")) / DAY)
    out["track_days_known"] = ((end - first.to_numpy(dtype="datetime64[ns]")) / DAY)
    if "skipped" in plays and plays["skipped"].notna().any():
        skipped = pd.to_numeric(plays["skipped"], errors="coerce")
        out["track_skip_rate"] = skipped.groupby(plays["track_id"]).mean().reindex(
            index).to_numpy(float)
    else:
        out["track_skip_rate"] = np.full(len(index), np.nan)
    for days in (30, 90, 365):
        out[f"artist_plays_{days}d"] = _window_counts(times, artists, end, days).reindex(
            artist_index, fill_value=0).to_numpy(float)
    by_artist = frame.groupby("artist")["at"].agg(["min", "max"])
    out["artist_days_since_last"] = (end - by_artist["max"].reindex(artist_index).to_numpy(
        dtype="datetime64[ns]")) / DAY
    out["artist_days_known"] = (end - by_artist["min"].reindex(artist_index).to_numpy(
        dtype="datetime64[ns]")) / DAY
    recent = frame[frame["at"] >= end - 90 * DAY]
    total_90 = float(len(recent))
    out["artist_share_90d"] = (out["artist_plays_90d"] / total_90 if total_90
                               else np.zeros(len(index)))
    year = frame[frame["at"] >= end - 365 * DAY]
    distinct = year.groupby("artist")["track"].nunique()
    out["artist_tracks_365d"] = distinct.reindex(artist_index, fill_value=0).to_numpy(float)
    out["genre_share_90d"] = _genre_shares(recent["artist"].value_counts(), primary_artists,
                                           genres, total_90)
    out["person_plays_30d"] = np.full(len(index), float((times >= end - 30 * DAY).sum()))
    return pd.DataFrame(out, index=index)


def _genre_shares(recent_artists: pd.Series, primary_artists: list[str | None],
                  genres: dict[str, set[str]], total: float) -> np.ndarray:
    """Share of recent plays whose artist shares a genre with each track's artist."""
    out = np.full(len(primary_artists), np.nan)
    wanted = sorted({a for a in primary_artists if a and genres.get(a)})
    if not wanted or not total:
        return out
    names = sorted({g for a in wanted for g in genres[a]})
    column = {g: i for i, g in enumerate(names)}

    def incidence(artists: list[str]) -> np.ndarray:
        matrix = np.zeros((len(artists), len(names)), dtype=np.float32)
        for row, artist in enumerate(artists):
            for genre in genres.get(artist, ()):
                if genre in column:
                    matrix[row, column[genre]] = 1.0
        return matrix

    played = list(recent_artists.index)
    overlap = (incidence(wanted) @ incidence(played).T) > 0  # wanted x played
    shares = overlap.astype(float) @ recent_artists.to_numpy(float) / total
    by_artist = dict(zip(wanted, shares))
    for position, artist in enumerate(primary_artists):
        if artist in by_artist:
            out[position] = by_artist[artist]
    return out


def feature_frame(plays: pd.DataFrame, top: TopLists, metadata: dict[str, dict[str, Any]],
                  genres: dict[str, set[str]], reference: date, track_ids: list[str]
                  ) -> pd.DataFrame:
    """Return the full vector (FEATURE_NAMES, in order) of tracks as of a reference date."""
    primary = [(metadata.get(t) or {}).get("artist_ids", [None])[0]
               if (metadata.get(t) or {}).get("artist_ids") else None for t in track_ids]
    frame = history_features(plays, reference, track_ids, primary, genres)
    for time_range in TIME_RANGES:
        tracks = top.newest("tracks", time_range, reference)
        artists = top.newest("artists", time_range, reference)
        frame[f"track_rank_{time_range}"] = [float(tracks[t]) if t in tracks else np.nan
                                             for t in track_ids]
        frame[f"artist_rank_{time_range}"] = [float(artists[a]) if a in artists else np.nan
                                              for a in primary]
    frame["track_top_share_180d"] = top.share(track_ids, reference, TOP_SHARE_DAYS)
    meta = pd.DataFrame([metadata_features(metadata.get(t) or {}, reference) for t in track_ids],
                        index=frame.index)
    frame = pd.concat([frame, meta], axis=1)
    return frame[FEATURE_NAMES].astype(float)
