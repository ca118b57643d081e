"""Opting in with a home, the daily refresh for everyone opted in, and delete-me."""

from __future__ import annotations

import pytest

from spotify_etl.concerts import places, service
from spotify_etl.concerts.geo import Point
from spotify_etl.concerts.parameters import ParameterError
from spotify_etl.concerts.provider import ProviderNotConfigured
from spotify_etl.people.api_tokens import issue_token, person_of
from spotify_etl.people.deletion import delete_user
from spotify_etl.storage import document_id, open_database

BERLIN = Point(52.52, 13.405)


def test_only_connected_people_opt_in_with_a_sensible_radius(concerts_env):
    with open_database() as db:
        with pytest.raises(LookupError, match="Unknown user id 'nobody'"):
            places.save_home(db, "nobody", BERLIN)
        with pytest.raises(ParameterError, match="radius"):
            places.save_home(db, concerts_env[0], BERLIN, radius_km=0)
        places.save_home(db, concerts_env[0], BERLIN, radius_km=40, label="home")
        again = places.save_home(db, concerts_env[0], Point(52.5, 13.4))
        assert [h["user_id"] for h in places.opted_in(db)] == [concerts_env[0]]
        assert (again["latitude"], again["radius_km"]) == (52.5, 25)
        assert places.remove_home(db, concerts_env[0]) and places.opted_in(db) == []


def test_the_daily_refresh_fetches_for_everyone_opted_in_then_stores_their_bins(concerts_env,
                                                                               ticketmaster):
    day = service.today_utc()
    with open_database() as db:
        for person in concerts_env[:2]:
            places.save_home(db, person, BERLIN)
    report = service.refresh_opted_in(day)
    again = service.refresh_opted_in(day)
    stored = service.store_opted_in_bins(day)
    assert report["people"] == 2 and report["status"] == "complete"
    assert report["requests"] == ticketmaster.gateway.counters()["total"]
    assert again["requests"] == 0 and again["cached"] == report["artists"]
    assert stored["people"] == 2
    with open_database() as db:
        document = db.concert_bins.find_one({"_id": document_id(concerts_env[0], day)})
        nobody = db.concert_bins.find_one({"user_id": concerts_env[2]})
    assert document["user_id"] == concerts_env[0] and document["day"] == day.isoformat()
    assert document["near"] == {"latitude": 52.52, "longitude": 13.405}
    assert document["date_end"] > document["date_begin"] and nobody is None


def test_without_a_key_the_refresh_says_concerts_are_off(concerts_env, monkeypatch):
    monkeypatch.delenv("TICKETMASTER_API_KEY")
    with pytest.raises(ProviderNotConfigured, match="TICKETMASTER_API_KEY"):
        service.refresh_opted_in()


def test_delete_me_removes_the_home_bins_and_tokens_but_not_the_concerts(concerts_env):
    person, other = concerts_env[0], concerts_env[1]
    day = service.today_utc()
    with open_database() as db:
        for who in (person, other):
            places.save_home(db, who, BERLIN)
        token = issue_token(db, person, label="phone")
    service.refresh_opted_in(day)
    service.store_opted_in_bins(day)
    with open_database() as db:
        concerts_before = db.concerts.count_documents({})
        removed = delete_user(db, person)
        assert places.home_of(db, person) is None and places.home_of(db, other)
        assert db.concert_bins.count_documents({"user_id": person}) == 0
        assert db.concert_bins.count_documents({"user_id": other}) == 1
        assert person_of(db, token) is None and db.api_tokens.count_documents({}) == 0
        assert db.concerts.count_documents({}) == concerts_before  # nobody's data
    assert removed["concert_places"] == 1 and removed["api_tokens"] == 1
