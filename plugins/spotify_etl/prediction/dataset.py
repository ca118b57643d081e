"""The target, the examples and the time-based split, from one person's stored history.

Target: how many times the person plays a track in the HORIZON_DAYS (30) days after a
reference date. An example is (track, reference date) for every track the person knew on
that date (played in the year before it, or on one of their top lists): features from data on
or before the date, target from the 30 days after. The held-out window is the newest complete
one (reference date = newest play's day - 30); training examples use only reference dates whose
30 days end on or before it, so nothing the model learns from overlaps what it is scored on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spotify_etl.prediction.features import TopLists, feature_frame, track_metadata
from spotify_etl.prediction.history import plays_of

if TYPE_CHECKING:
    from pymongo.database import Database

HORIZON_DAYS = 30  # the target: plays in the 30 days after the reference date
STEP_DAYS = 28  # training reference dates, every four weeks back from the held-out one
KNOWN_DAYS = 365  # a track is a candidate if played within a year (or on a top list)
WARMUP_DAYS = 28  # history needed before the first reference date
MAX_REFERENCE_DATES = 40  # about three years of training windows at most
MIN_REFERENCE_DATES = 3  # fewer training windows than this: not enough history
MIN_PLAYS = 300
# The oldest training date needs WARMUP_DAYS before it; the newest ends where the held-out
# window starts, which ends on the newest play's day.
MIN_HISTORY_DAYS = WARMUP_DAYS + (MIN_REFERENCE_DATES - 1) * STEP_DAYS + 2 * HORIZON_DAYS + 1


class NotEnoughHistory(ValueError):
    """The person's stored history is too short to train or to evaluate honestly."""


@dataclass
class PersonData:
    """Everything the features need about one person, read once."""

    user_id: str
    plays: pd.DataFrame
    top: TopLists
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    genres: dict[str, set[str]] = field(default_factory=dict)
    known_vectors: tuple[date, pd.DataFrame] | None = None  # served tracks' vectors (service)
    known_predictions: tuple[int, dict[str, float]] | None = None  # per model version

    @property
    def first_day(self) -> date | None:
        return self.plays["played_at"].iloc[0].date() if len(self.plays) else None

    @property
    def last_day(self) -> date | None:
        return self.plays["played_at"].iloc[-1].date() if len(self.plays) else None

    def play_counts(self) -> pd.Series:
        """Return plays per track over the whole history (computed once)."""
        if getattr(self, "_play_counts", None) is None:
            self._play_counts = self.plays["track_id"].value_counts()
        return self._play_counts

    def until(self, reference: date) -> pd.DataFrame:
        """Return the plays up to the end of the reference date."""
        end = pd.Timestamp(reference + timedelta(days=1), tz="UTC")
        return self.plays[self.plays["played_at"] < end]

    def add_track(self, meta: dict[str, Any], genres: dict[str, set[str]] | None = None) -> None:
        """Make a track known (e.g. one found through Spotify search)."""
        self.metadata[meta["track_id"]] = meta
        self.genres.update(genres or {})


def read_person(db: Database, user_id: str, until: date | None = None) -> PersonData:
    """Read a person's plays, top lists and the catalogue entries they touch."""
    plays = plays_of(db, user_id, until)
    plays["primary_artist"] = [ids[0] if ids else None for ids in plays["artist_ids"]]
    query: dict[str, Any] = {"user_id": user_id}
    if until is not None:
        query["snapshot_date"] = {"$lte": until.isoformat()}
    lists: dict[tuple[str, str], list[tuple[date, dict[str, int]]]] = {}
    track_ids = set(plays["track_id"])
    artist_ids = {a for ids in plays["artist_ids"] for a in ids}
    for document in sorted(db.top_lists.find(query), key=lambda d: d["snapshot_date"]):
        ranks = {item["item_id"]: item["rank"] for item in document.get("items") or []}
        lists.setdefault((document["kind"], document["time_range"]), []).append(
            (date.fromisoformat(document["snapshot_date"]), ranks))
        (track_ids if document["kind"] == "tracks" else artist_ids).update(ranks)
    data = PersonData(user_id, plays, TopLists(lists))
    tracks = list(db.tracks.find({"_id": {"$in": sorted(track_ids)}}))
    albums = {a["_id"]: a for a in db.albums.find(
        {"_id": {"$in": sorted({t.get("album_id") for t in tracks if t.get("album_id")})}})}
    for track in tracks:
        data.metadata[track["_id"]] = track_metadata(track, albums.get(track.get("album_id"), {}))
        artist_ids.update(track.get("artist_ids") or [])
    data.genres = artist_genres(db, artist_ids)
    return data


def artist_genres(db: Database, artist_ids: set[str]) -> dict[str, set[str]]:
    """Return the stored genres of artists (those without any are left out)."""
    return {a["_id"]: set(a["genres"]) for a in db.artists.find(
        {"_id": {"$in": sorted(artist_ids)}}, {"genres": 1}) if a.get("genres")}


def candidates(data: PersonData, reference: date) -> list[str]:
    """Return the tracks the person knew on a date: played within a year, or top-listed."""
    plays = data.until(reference)
    recent = plays[plays["played_at"] >= pd.Timestamp(
        reference - timedelta(days=KNOWN_DAYS - 1), tz="UTC")]
    known = dict.fromkeys(recent["track_id"])
    for time_range in ("short_term", "medium_term", "long_term"):
        known.update(dict.fromkeys(data.top.newest("tracks", time_range, reference)))
    return [t for t in known if t in data.metadata]


def targets(data: PersonData, reference: date, track_ids: list[str]) -> np.ndarray:
    """Return each track's plays in the HORIZON_DAYS days after the reference date."""
    start = pd.Timestamp(reference + timedelta(days=1), tz="UTC")
    end = start + pd.Timedelta(days=HORIZON_DAYS)
    window = data.plays[(data.plays["played_at"] >= start) & (data.plays["played_at"] < end)]
    return window["track_id"].value_counts().reindex(track_ids, fill_value=0).to_numpy(float)


@dataclass
class Split:
    """Training reference dates and the held-out one."""

    training: list[date]
    held_out: date

    @property
    def window(self) -> dict[str, str]:
        """Describe the dates for a model version."""
        return {"training_reference_dates": [d.isoformat() for d in self.training],
                "first_training_date": min(self.training).isoformat(),
                "last_training_target_day": (max(self.training)
                                             + timedelta(days=HORIZON_DAYS)).isoformat(),
                "held_out_reference_date": self.held_out.isoformat(),
                "held_out_window": f"{self.held_out + timedelta(days=1)}.."
                                   f"{self.held_out + timedelta(days=HORIZON_DAYS)}"}


def split(data: PersonData) -> Split:
    """Choose the reference dates, or raise NotEnoughHistory saying what is missing."""
    if len(data.plays) < MIN_PLAYS:
        raise NotEnoughHistory(f"not enough history: {len(data.plays)} plays stored, at least "
                               f"{MIN_PLAYS} needed")
    first, last = data.first_day, data.last_day
    held_out = last - timedelta(days=HORIZON_DAYS)
    training = []
    reference = held_out - timedelta(days=HORIZON_DAYS)
    while reference >= first + timedelta(days=WARMUP_DAYS) and \
            len(training) < MAX_REFERENCE_DATES:
        training.append(reference)
        reference -= timedelta(days=STEP_DAYS)
    if len(training) < MIN_REFERENCE_DATES:
        raise NotEnoughHistory(f"not enough history: {(last - first).days + 1} days of plays "
                               f"stored, at least {MIN_HISTORY_DAYS} needed")
    return Split(sorted(training), held_out)


def examples(data: PersonData, references: list[date]) -> tuple[pd.DataFrame, np.ndarray,
                                                              pd.DataFrame]:
    """Return features, targets and (reference, track, artist) keys for reference dates."""
    frames, ys, keys = [], [], []
    for reference in references:
        tracks = candidates(data, reference)
        if not tracks:
            continue
        frames.append(feature_frame(data.until(reference), data.top, data.metadata, data.genres,
                                    reference, tracks))
        ys.append(targets(data, reference, tracks))
        keys.append(pd.DataFrame({"reference": reference.isoformat(), "track_id": tracks,
                                  "artist_id": [data.metadata[t]["artist_ids"][0]
                                                if data.metadata[t]["artist_ids"] else None
                                                for t in tracks]}))
    if not frames:
        raise NotEnoughHistory("not enough history: no track was known on any reference date")
    return (pd.concat(frames, ignore_index=True), np.concatenate(ys),
            pd.concat(keys, ignore_index=True))
