"""The daily cache: one lookup per artist per day for everyone, and quota exhaustion survived."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spotify_etl.concerts import repository, service
from spotify_etl.concerts.fetch import COMPLETE, QUOTA_EXHAUSTED, fetch_concerts
from spotify_etl.concerts.parameters import bins_query
from spotify_etl.settings import load_settings
from spotify_etl.storage import open_database

LONDON = {"latitude": 51.5074, "longitude": -0.1278}


def chosen_for(db, people, day, model):
    query = bins_query(**LONDON, today=day, horizon_days=365)
    return {p: service.chosen_artists(db, p, query, model) for p in people}


def test_an_artist_is_looked_up_once_a_day_whoever_needs_it(concerts_env, ticketmaster):
    settings = load_settings()
    day = service.today_utc()
    query = bins_query(**LONDON, today=day, horizon_days=365)
    first, second = concerts_env[:2]
    with open_database(settings) as db:
        model = service.similarity_model(db)
        provider = service.provider_from_settings(settings)
        for _ in range(2):  # asking again the same day costs nothing
            service.person_bins(db, first, query, settings=settings, provider=provider,
                                model=model, today=day)
        after_first = provider.requests
        mine = [(c["artist_id"], c["name"]) for c in service.chosen_artists(db, first, query,
                                                                             model)]
        theirs = [(c["artist_id"], c["name"]) for c in service.chosen_artists(db, second, query,
                                                                               model)]
        # Someone else who likes half of the same artists, and their own.
        shared = fetch_concerts(db, provider, mine[::2] + theirs, day, settings)
        looked_up = repository.concerts_of(db, "ticketmaster", [a for a, _ in mine + theirs], day)
    assert provider.requests == after_first + shared.requests
    assert shared.cached == len(mine[::2]) and shared.fetched == len(theirs)
    counters = ticketmaster.gateway.counters()
    assert counters["by_endpoint"]["GET /discovery/v2/attractions.json"] == len(mine + theirs)
    matched = sum(found["lookup"]["performer"] is not None for found in looked_up.values())
    assert counters["by_endpoint"]["GET /discovery/v2/events.json"] == matched
    assert set(counters["by_attraction"].values()) == {1}  # no attraction asked twice


def test_the_next_day_asks_only_for_events(concerts_env, ticketmaster):
    settings = load_settings()
    day = service.today_utc()
    with open_database(settings) as db:
        model = service.similarity_model(db)
        artists = sorted({(c["artist_id"], c["name"])
                          for cs in chosen_for(db, concerts_env[:1], day, model).values()
                          for c in cs})
        provider = service.provider_from_settings(settings)
        first = fetch_concerts(db, provider, artists, day, settings)
        second = fetch_concerts(db, provider, artists, day + timedelta(days=1), settings)
        again = fetch_concerts(db, provider, artists, day + timedelta(days=1), settings)
    assert first.status == second.status == COMPLETE
    matched = first.fetched - first.no_match
    assert first.requests == len(artists) + matched
    assert second.requests == matched  # which performer each artist is was kept
    assert (again.requests, again.cached, again.fetched) == (0, len(artists), 0)


def test_quota_exhaustion_mid_run_keeps_what_was_fetched_and_resumes(concerts_env, ticketmaster):
    settings = load_settings()
    day = service.today_utc()
    ticketmaster.gateway.set_quota(limit=9, used=0)
    with open_database(settings) as db:
        model = service.similarity_model(db)
        person = concerts_env[0]
        artists = [(c["artist_id"], c["name"])
                   for c in chosen_for(db, [person], day, model)[person]]
        provider = service.provider_from_settings(settings)
        stopped = fetch_concerts(db, provider, artists, day, settings)
        kept = repository.last_lookup_days(db, "ticketmaster", [a for a, _ in artists], day)
        query = bins_query(**LONDON, today=day, horizon_days=365)
        partial = service.person_bins(db, person, query, settings=settings, model=model,
                                      today=day)
        ticketmaster.gateway.set_quota(limit=5000, used=0)  # the next day: a fresh quota
        resumed = fetch_concerts(db, service.provider_from_settings(settings), artists, day,
                                 settings)
        done = repository.last_lookup_days(db, "ticketmaster", [a for a, _ in artists], day)
    assert stopped.status == QUOTA_EXHAUSTED and stopped.retry_after > 0
    assert 0 < stopped.fetched < len(artists) and stopped.requests == 9
    assert len(kept) == stopped.fetched and len(stopped.remaining) == len(artists) - len(kept)
    missing = len(artists) - len(kept)
    assert partial["summary"]["artists_not_looked_up"] == missing and "quota" in partial["note"]
    assert resumed.status == COMPLETE and resumed.cached == len(kept)
    assert resumed.fetched == len(artists) - len(kept) and len(done) == len(artists)


def test_an_outage_stops_the_run_without_losing_anything(concerts_env, ticketmaster,
                                                        monkeypatch):
    import requests

    monkeypatch.setenv("SPOTIFY_ETL_SERVER_ERROR_RETRIES", "1")
    settings = load_settings()
    day = service.today_utc()
    with open_database(settings) as db:
        model = service.similarity_model(db)
        person = concerts_env[1]
        artists = [(c["artist_id"], c["name"])
                   for c in chosen_for(db, [person], day, model)[person]][:4]
        requests.post(ticketmaster.url + "/__sandbox/faults",
                      json={"server_errors": {"count": 100, "status": 503}}, timeout=5)
        report = fetch_concerts(db, service.provider_from_settings(settings), artists, day,
                                settings)
        stored = repository.last_lookup_days(db, "ticketmaster", [a for a, _ in artists], day)
    assert report.status == "unavailable" and "503" in report.error
    assert report.fetched == 0 and stored == {} and len(report.remaining) == 4


@pytest.mark.parametrize(("days_later", "requests"), [(8, 1), (31, 2)])
def test_lookups_go_stale_and_matches_are_looked_up_again_after_a_month(concerts_env, days_later,
                                                                      requests):
    settings = load_settings()
    day = service.today_utc()
    with open_database(settings) as db:
        chosen = service.chosen_artists(db, concerts_env[0],
                                        bins_query(**LONDON, today=day, horizon_days=365),
                                        service.similarity_model(db))
        artists = [(c["artist_id"], c["name"]) for c in chosen]
        fetch_concerts(db, service.provider_from_settings(settings), artists, day, settings)
        matched = [a for a in artists if repository.lookup(db, "ticketmaster", a[0], day)
                   ["performer"]][:1]
        later = day + timedelta(days=days_later)
        assert repository.concerts_of(db, "ticketmaster", [matched[0][0]], later) == {}  # stale
        again = fetch_concerts(db, service.provider_from_settings(settings), matched, later,
                               settings)
    # Events every day; which performer the artist is, again after 30 days.
    assert again.requests == requests and again.fetched == 1


def test_a_rescheduled_concert_is_updated_and_an_unchanged_one_left_alone(data_dir):
    from datetime import date

    from spotify_etl.concerts.provider import ArtistMatch
    from spotify_etl.concerts.ticketmaster import parse_event
    from ticketmaster_payloads import RADIOHEAD, attraction, event

    performer = attraction("K8vZ9171ob7", "Radiohead", RADIOHEAD)
    match = ArtistMatch("K8vZ9171ob7", "Radiohead", "spotify_link")

    def concerts(second_date: str) -> list:
        return [parse_event(event("G5vYZ9YBk7oUU", venue="Roundhouse", local_date="2026-12-12",
                                  local_time="19:30:00", date_time="2026-12-12T19:30:00Z",
                                  performers=[performer])),
                parse_event(event("G5vZZ1A7Gkd2U", venue="Roundhouse", local_date=second_date,
                                  local_time="20:00:00", date_time=f"{second_date}T20:00:00Z",
                                  performers=[performer], status="rescheduled"))]

    with open_database() as db:
        repository.save_lookup(db, "ticketmaster", RADIOHEAD, date(2026, 12, 1), match,
                               concerts("2026-12-13"), True, 1)
        first = {d["_id"]: d for d in db.concerts.find()}
        repository.save_lookup(db, "ticketmaster", RADIOHEAD, date(2026, 12, 2), match,
                               concerts("2026-12-20"), True, 1)
        second = {d["_id"]: d for d in db.concerts.find()}
    same, moved = "ticketmaster|G5vYZ9YBk7oUU", "ticketmaster|G5vZZ1A7Gkd2U"
    assert second[same] == first[same]  # nothing new: not written again
    assert second[moved]["local_date"] == "2026-12-20" != first[moved]["local_date"]
    assert second[moved]["first_seen_date"] == "2026-12-01"
    assert second[moved]["updated_at"] > first[moved]["updated_at"]
    assert second[moved]["artist_ids"] == [RADIOHEAD]
