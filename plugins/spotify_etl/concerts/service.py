"""What people and the daily DAG ask of concerts: bins, similar artists, the daily refresh.

Each function works on the store handle its caller opened (one per unit of work), except the
DAG's steps, which open it themselves. A provider is optional: without one (no
TICKETMASTER_API_KEY) bins are built from what the daily refresh already stored.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from spotify_etl.concerts import places, repository
from spotify_etl.concerts.bins import build_bins, choose_artists
from spotify_etl.concerts.fetch import fetch_concerts
from spotify_etl.concerts.parameters import BINS_TIME_RANGE, BinsQuery, bins_query
from spotify_etl.concerts.provider import ProviderNotConfigured
from spotify_etl.concerts.similarity import SimilarityModel
from spotify_etl.concerts.ticketmaster import TicketmasterProvider
from spotify_etl.constants import DEFAULT_RADIUS_KM, DEFAULT_RELATED_ARTISTS, DEFAULT_TOP_ARTISTS
from spotify_etl.settings import Settings, load_settings
from spotify_etl.storage import document_id, ensure_indexes, open_database

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.concerts.provider import ConcertProvider

log = logging.getLogger(__name__)
PROVIDER = TicketmasterProvider.name  # whose lookups the store holds


def today_utc() -> date:
    """Return today's date in UTC (the cache's day)."""
    return datetime.now(UTC).date()


def provider_from_settings(settings: Settings) -> ConcertProvider | None:
    """Return the configured provider, or None when no API key is set."""
    try:
        return TicketmasterProvider(settings)
    except ProviderNotConfigured:
        return None


def similarity_model(db: Database) -> SimilarityModel:
    """Build the similarity model from everyone's stored listening."""
    return SimilarityModel(*repository.listening_inputs(db))


def _snapshot_date(db: Database, user_id: str) -> date:
    day = repository.snapshot_dates(db).get(user_id)
    if day is None:
        known = db.users.find_one({"_id": user_id}, {"_id": 1})
        raise LookupError(f"Unknown user id {user_id!r}." if known is None else
                          f"No listening of {user_id} is stored yet: the daily snapshot has not "
                          "run for them.")
    return day


def person_artists(db: Database, user_id: str, time_range: str = BINS_TIME_RANGE,
                   limit: int = DEFAULT_TOP_ARTISTS) -> dict[str, Any]:
    """Return a person's top artists (rank, id, name, genres) on their newest snapshot."""
    day = _snapshot_date(db, user_id)
    items = repository.person_top_artists(db, user_id, day, time_range)[:limit]
    return {"user_id": user_id, "snapshot_date": day.isoformat(), "time_range": time_range,
            "artists": [{"rank": i["rank"], "artist_id": i["item_id"], "name": i["name"],
                         "genres": i.get("genres") or []} for i in items]}


def similar_artists(db: Database, artist_id: str, limit: int = DEFAULT_RELATED_ARTISTS,
                    model: SimilarityModel | None = None) -> dict[str, Any]:
    """Return the artists most like one artist, with the parts of each score."""
    model = model or similarity_model(db)
    if not model.knows(artist_id):
        raise LookupError(f"Unknown artist id {artist_id!r}: only artists someone connected "
                          "listens to are known.")
    return {"artist": {"artist_id": artist_id, "name": model.names[artist_id],
                       "genres": model.genres(artist_id)},
            "people": model.people, "similar": model.similar(artist_id, limit)}


def chosen_artists(db: Database, user_id: str, query: BinsQuery,
                   model: SimilarityModel) -> list[dict[str, Any]]:
    """Return the person's top artists and similar ones for a query, with reasons."""
    day = _snapshot_date(db, user_id)
    top = repository.person_top_artists(db, user_id, day, query.time_range)
    if not top:
        raise LookupError(f"No {query.time_range} top artists of {user_id} are stored for {day}.")
    return choose_artists(top, model, query.top_artists, query.related_artists)


def person_bins(db: Database, user_id: str, query: BinsQuery, *, settings: Settings,
                provider: ConcertProvider | None = None, model: SimilarityModel | None = None,
                today: date | None = None) -> dict[str, Any]:
    """Build a person's bins for a query, fetching what today's cache lacks if a provider is given."""
    today = today or today_utc()
    model = model or similarity_model(db)
    chosen = chosen_artists(db, user_id, query, model)
    report = None
    if provider is not None:
        report = fetch_concerts(db, provider, [(c["artist_id"], c["name"]) for c in chosen],
                                today, settings).as_dict()
    cached = repository.concerts_of(db, provider.name if provider else PROVIDER,
                                    [c["artist_id"] for c in chosen], today)
    result = build_bins(chosen, model, cached, query)
    answer: dict[str, Any] = {
        "user_id": user_id, "near": query.point.as_dict(), "radius_km": query.radius_km,
        "date_begin": query.date_begin.isoformat(), "date_end": query.date_end.isoformat(),
        "top_artists": query.top_artists, "related_artists": query.related_artists,
        "time_range": query.time_range, **result, "fetch": report}
    if not answer["bins"]:
        answer["message"] = (
            f"No concerts of your artists or artists like them within {query.radius_km:g} km of "
            f"{query.point} between {query.date_begin} and {query.date_end}.")
    missing = result["summary"]["artists_not_looked_up"]
    if missing:
        answer["note"] = (f"{missing} of {len(chosen)} artists have no concert lookup yet (the "
                          "provider's daily quota, or no provider configured): their concerts "
                          "are missing.")
    return answer


def home_query(home: dict[str, Any], day: date, settings: Settings) -> BinsQuery:
    """Return the daily refresh's query for a saved home: the next 30 days, default artists."""
    return bins_query(latitude=home["latitude"], longitude=home["longitude"],
                      radius=home.get("radius_km") or DEFAULT_RADIUS_KM, today=day,
                      date_begin=day,
                      horizon_days=settings.concerts_horizon_days)


def refresh_opted_in(day: date | None = None, *, settings: Settings | None = None,
                     provider: ConcertProvider | None = None) -> dict[str, Any]:
    """Fetch the concerts every opted-in person's bins need (the DAG's refresh step)."""
    settings = settings or load_settings()
    day = day or today_utc()
    provider = provider or provider_from_settings(settings)
    if provider is None:
        raise ProviderNotConfigured("TICKETMASTER_API_KEY is not set: concerts are off.")
    with open_database(settings) as db:
        ensure_indexes(db)
        model = similarity_model(db)
        artists: dict[str, str] = {}
        people = 0
        for home in places.opted_in(db):
            try:
                chosen = chosen_artists(db, home["user_id"], home_query(home, day, settings),
                                        model)
            except LookupError as error:
                log.info("No bins for %s: %s", home["user_id"], error)
                continue
            people += 1
            artists.update((c["artist_id"], c["name"]) for c in chosen)
        report = fetch_concerts(db, provider, sorted(artists.items()), day, settings)
        repository.forget_lookups_before(db, day)
    return {**report.as_dict(), "people": people}


def store_opted_in_bins(day: date | None = None, *,
                        settings: Settings | None = None) -> dict[str, Any]:
    """Store each opted-in person's bins at home from what is fetched (the DAG's last step)."""
    settings = settings or load_settings()
    day = day or today_utc()
    stored, concerts = 0, 0
    with open_database(settings) as db:
        model = similarity_model(db)
        for home in places.opted_in(db):
            query = home_query(home, day, settings)
            try:
                answer = person_bins(db, home["user_id"], query, settings=settings, model=model,
                                     today=day)
            except LookupError:
                continue
            answer.pop("fetch", None)
            repository.save_bins(db, {"_id": document_id(home["user_id"], day),
                                      "day": day.isoformat(), **answer})
            stored += 1
            concerts += answer["summary"]["concerts"]
    return {"day": day.isoformat(), "people": stored, "concerts": concerts}
