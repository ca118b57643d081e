"""Concert endpoints: `GET /bins` (Gigscovery's parameters and defaults), `/artists`,
`/similar`, and the person's saved home (`GET`/`PUT`/`DELETE /home`)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api_server.auth import current_person
from spotify_etl.concerts import places, service
from spotify_etl.concerts.geo import Point
from spotify_etl.concerts.parameters import MAX_RADIUS_KM, MAX_RELATED_ARTISTS, RULES, bins_query
from spotify_etl.constants import (DEFAULT_RADIUS_KM, DEFAULT_RELATED_ARTISTS,
                                   DEFAULT_TOP_ARTISTS, TOP_LIMIT)
from spotify_etl.storage import open_database

router = APIRouter(tags=["concerts"])
TimeRange = Literal["short_term", "medium_term", "long_term"]


@router.get("/bins", summary="Concert bins near a place")
def bins(request: Request, person: str = Depends(current_person),
         latitude: float | None = Query(None, ge=-90, le=90, description=RULES["latitude"]
                                        + "; default: your saved home"),
         longitude: float | None = Query(None, ge=-180, le=180,
                                         description=RULES["longitude"]),
         date_begin: date | None = Query(None, description="First day (default: today)"),
         date_end: date | None = Query(None, description="Last day, inclusive (default: "
                                                         "30 days after date_begin)"),
         radius: float | None = Query(None, gt=0, le=MAX_RADIUS_KM,
                                      description=f"km (default {DEFAULT_RADIUS_KM}, or your "
                                                  "home's)"),
         top_artists: int = Query(DEFAULT_TOP_ARTISTS, ge=1, le=TOP_LIMIT),
         related_artists: int = Query(DEFAULT_RELATED_ARTISTS, ge=0, le=MAX_RELATED_ARTISTS),
         time_range: TimeRange = Query("medium_term", description="Which top artists")
         ) -> dict[str, Any]:
    """Your top artists and artists like them, grouped by sound, with their concerts near a
    place between two dates (local dates, inclusive), each with why the artist is there.
    Nothing nearby is an answer too: `bins` is empty and `message` says so."""
    state = request.app.state.api
    today = service.today_utc()
    with open_database(state.settings) as db:
        home = places.home_of(db, person) or {}
        query = bins_query(
            latitude=latitude if latitude is not None else home.get("latitude"),
            longitude=longitude if longitude is not None else home.get("longitude"),
            date_begin=date_begin, date_end=date_end,
            radius=radius if radius is not None else home.get("radius_km") or DEFAULT_RADIUS_KM,
            top_artists=top_artists, related_artists=related_artists, time_range=time_range,
            today=today, horizon_days=state.settings.concerts_horizon_days)
        model = state.model(db)
        with state.provider_lock:
            return service.person_bins(db, person, query, settings=state.settings,
                                       provider=state.provider, model=model, today=today)


@router.get("/artists", summary="Your top artists")
def artists(request: Request, person: str = Depends(current_person),
            time_range: TimeRange = Query("medium_term"),
            limit: int = Query(DEFAULT_TOP_ARTISTS, ge=1, le=TOP_LIMIT)) -> dict[str, Any]:
    """Your top artists on your newest snapshot (Gigscovery's `/artists/get_user_artists`)."""
    with open_database(request.app.state.api.settings) as db:
        return service.person_artists(db, person, time_range, limit)


@router.get("/similar", summary="Artists like an artist")
def similar(request: Request, person: str = Depends(current_person),
            artist_id: str = Query(..., min_length=22, max_length=22,
                                   pattern="^[0-9A-Za-z]{22}$", description=RULES["artist_id"]),
            limit: int = Query(DEFAULT_RELATED_ARTISTS, ge=1, le=50)) -> dict[str, Any]:
    """The artists most like one artist, from everyone's listening here (co-listening blended
    with genre overlap; docs/concerts.md has the formula), with the parts of each score."""
    state = request.app.state.api
    with open_database(state.settings) as db:
        return service.similar_artists(db, artist_id, limit, model=state.model(db))


def _home(document: dict[str, Any] | None) -> dict[str, Any]:
    if document is None:
        return {"home": None}
    return {"home": {key: document.get(key) for key in ("latitude", "longitude", "radius_km",
                                                         "label")}}


@router.get("/home", summary="Your saved home")
def get_home(request: Request, person: str = Depends(current_person)) -> dict[str, Any]:
    """Where your daily concert bins are for (null: not opted in)."""
    with open_database(request.app.state.api.settings) as db:
        return _home(places.home_of(db, person))


@router.put("/home", summary="Save your home (opt in to daily bins)")
def put_home(request: Request, person: str = Depends(current_person),
             latitude: float = Query(..., ge=-90, le=90),
             longitude: float = Query(..., ge=-180, le=180),
             radius: float = Query(DEFAULT_RADIUS_KM, gt=0, le=MAX_RADIUS_KM),
             label: str | None = Query(None, max_length=80)) -> dict[str, Any]:
    """Save where you live: the daily refresh then keeps your concert bins there up to date."""
    with open_database(request.app.state.api.settings) as db:
        return _home(places.save_home(db, person, Point(latitude, longitude), radius_km=radius,
                                      label=label))


@router.delete("/home", summary="Forget your home (opt out)", status_code=204)
def delete_home(request: Request, person: str = Depends(current_person)) -> Response:
    """Forget your home: no more daily concert bins."""
    with open_database(request.app.state.api.settings) as db:
        places.remove_home(db, person)
    return Response(status_code=204)
