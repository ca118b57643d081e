"""Stream-count prediction endpoints: MusicFlow's four (`/health`, `/raw_features`,
`/features`, `/prediction`, by song and artist name) and the same three by Spotify track id
(`/tracks/{track_id}/...`). Each answers for the token's person with their own model only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from api_server.auth import current_person
from spotify_etl.prediction import dataset, registry, service
from spotify_etl.storage import open_database

router = APIRouter(tags=["prediction"])
TRACK_ID = Path(..., min_length=22, max_length=22, pattern="^[0-9A-Za-z]{22}$",
                description="A Spotify track id (22 base62 characters)")


# Not blank: a name of spaces is no name, and Spotify's search would refuse it.
NAME_PATTERN = r"\S"


def song_query() -> Any:
    return Query(..., min_length=1, max_length=200, pattern=NAME_PATTERN,
                 description="The song's name (exact, any case)")


def artist_query() -> Any:
    return Query(..., min_length=1, max_length=200, pattern=NAME_PATTERN,
                 description="One of its artists' names")


def _by_name(request: Request, db, person: str, song: str, artist: str) -> service.Song:
    state = request.app.state.api
    try:
        known = state.prediction.history(db, person)
    except dataset.NotEnoughHistory:
        known = None
    return service.find_song(db, state.settings, person, song.strip(), artist.strip(), known)


def _by_id(request: Request, db, person: str, track_id: str) -> service.Song:
    return service.find_track(db, request.app.state.api.settings, person, track_id)


def _raw(song: service.Song) -> dict[str, Any]:
    return {"found_in": song.found_in, **song.raw}


def _features(request: Request, db, person: str, song: service.Song) -> dict[str, Any]:
    try:
        data = request.app.state.api.prediction.history(db, person)
        reference, frame = service.features_of(data, song)
    except dataset.NotEnoughHistory as error:
        return {"track_id": song.meta["track_id"], "found_in": song.found_in,
                "reference_date": None, "features": None, "reason": str(error)}
    return {"track_id": song.meta["track_id"], "found_in": song.found_in,
            **service.describe_features(reference, frame)}


def _predict(request: Request, db, person: str, song: service.Song) -> dict[str, Any]:
    try:
        return service.predict(request.app.state.api.prediction, db, person, song)
    except dataset.NotEnoughHistory as error:
        return {"track": {"id": song.meta["track_id"]}, "found_in": song.found_in,
                "prediction": None, "reason": str(error)}


@router.get("/health", summary="Liveness, the store and the models")
def health(request: Request) -> Any:
    """Say whether the service and its store answer, and how many people have a model."""
    try:
        with open_database(request.app.state.api.settings) as db:
            models = db.models.count_documents({"kind": "current"})
    except Exception as error:  # a health check reports, it does not raise
        return JSONResponse({"status": "degraded", "database": type(error).__name__},
                            status_code=503)
    return {"status": "ok", "people_with_a_model": models,
            "target": f"plays in the {dataset.HORIZON_DAYS} days after the reference date"}


@router.get("/raw_features", summary="What Spotify gives for a song")
def raw_features(request: Request, person: str = Depends(current_person),
                 song: str = song_query(), artist: str = artist_query()) -> dict[str, Any]:
    """The track as Spotify describes it (from the stored catalogue, else Spotify search):
    no audio features (Spotify refuses them to new apps), popularity only where the API
    shape has it."""
    with open_database(request.app.state.api.settings) as db:
        return _raw(_by_name(request, db, person, song, artist))


@router.get("/features", summary="Your feature vector for a song")
def features(request: Request, person: str = Depends(current_person),
             song: str = song_query(), artist: str = artist_query()) -> dict[str, Any]:
    """The processed vector the model sees for this song and you, as of your newest stored
    play, each feature with its source (docs/prediction.md); missing values are null."""
    with open_database(request.app.state.api.settings) as db:
        return _features(request, db, person, _by_name(request, db, person, song, artist))


@router.get("/prediction", summary="How often will you play a song in the next 30 days")
def prediction(request: Request, person: str = Depends(current_person),
               song: str = song_query(), artist: str = artist_query()) -> dict[str, Any]:
    """Your model's prediction of your plays of this song in the 30 days after your newest
    stored play, with the model's held-out error. Without enough history, `prediction` is
    null and `reason` says why."""
    with open_database(request.app.state.api.settings) as db:
        return _predict(request, db, person, _by_name(request, db, person, song, artist))


@router.get("/tracks/{track_id}/raw_features", summary="What Spotify gives for a track id")
def raw_features_by_id(request: Request, person: str = Depends(current_person),
                       track_id: str = TRACK_ID) -> dict[str, Any]:
    """As `/raw_features`, by Spotify track id."""
    with open_database(request.app.state.api.settings) as db:
        return _raw(_by_id(request, db, person, track_id))


@router.get("/tracks/{track_id}/features", summary="Your feature vector for a track id")
def features_by_id(request: Request, person: str = Depends(current_person),
                   track_id: str = TRACK_ID) -> dict[str, Any]:
    """As `/features`, by Spotify track id."""
    with open_database(request.app.state.api.settings) as db:
        return _features(request, db, person, _by_id(request, db, person, track_id))


@router.get("/tracks/{track_id}/prediction", summary="Your prediction for a track id")
def prediction_by_id(request: Request, person: str = Depends(current_person),
                     track_id: str = TRACK_ID) -> dict[str, Any]:
    """As `/prediction`, by Spotify track id."""
    with open_database(request.app.state.api.settings) as db:
        return _predict(request, db, person, _by_id(request, db, person, track_id))


@router.get("/model", summary="Your current model version and its held-out figures")
def model(request: Request, person: str = Depends(current_person)) -> dict[str, Any]:
    """Which of your model versions answers, how it was trained and how it scored."""
    with open_database(request.app.state.api.settings) as db:
        found = [v for v in registry.versions(db, person) if v["current"]]
        if not found:
            return {"model": None, "reason": service.not_enough_history(db, person)}
        document = found[0]
    return {"model": {"version": document["version"], "target": document["target"],
                      "training_window": document["training_window"],
                      "metrics": document["metrics"], "features": document["features"],
                      "library_versions": document["library_versions"]}}
