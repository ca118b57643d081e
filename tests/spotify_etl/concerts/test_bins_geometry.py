"""Which concerts count: great-circle radius at the boundary, local dates across time zones."""

from __future__ import annotations

import math
from datetime import date

import pytest

from spotify_etl.concerts.bins import nearby
from spotify_etl.concerts.geo import EARTH_RADIUS_KM, Point, great_circle_km, parse_point
from spotify_etl.concerts.parameters import bins_query
from spotify_etl.concerts.ticketmaster import parse_event
from ticketmaster_payloads import RADIOHEAD, attraction, event

TODAY = date(2026, 12, 1)
RADIOHEAD_TM = attraction("K8vZ9171ob7", "Radiohead", RADIOHEAD)


def query(point: Point, radius: float, begin: str = "2026-12-01", end: str = "2026-12-31"):
    return bins_query(latitude=point.latitude, longitude=point.longitude, radius=radius,
                      date_begin=begin, date_end=end, today=TODAY, horizon_days=365)


def roundhouse_concert(**changes) -> dict:
    return parse_event(event("G5vYZ9YBk7oUU", venue="Roundhouse", local_date="2026-12-12",
                             local_time="19:30:00", date_time="2026-12-12T19:30:00Z",
                             performers=[RADIOHEAD_TM], **changes))


def test_the_radius_is_a_great_circle_distance_inclusive_at_the_boundary():
    concert = roundhouse_concert()
    venue = Point(concert["venue"]["latitude"], concert["venue"]["longitude"])
    # 25 km due south of the venue along its meridian: exactly 25 km by great circle.
    south = Point(venue.latitude - math.degrees(25 / EARTH_RADIUS_KM), venue.longitude)
    assert great_circle_km(south, venue) == pytest.approx(25.0, abs=1e-9)
    assert nearby(concert, query(south, 25.0)) == pytest.approx(25.0, abs=1e-9)
    assert nearby(concert, query(south, 24.999)) is None


def test_distances_are_on_the_sphere_not_on_a_map():
    # One degree of longitude at 60° N is half as long as at the equator.
    assert great_circle_km(Point(60, 0), Point(60, 1)) == pytest.approx(55.6, abs=0.1)
    assert great_circle_km(Point(0, 0), Point(0, 1)) == pytest.approx(111.2, abs=0.1)
    # Across the antimeridian: Auckland to Honolulu is not the long way round.
    assert great_circle_km(Point(-36.8485, 174.7633), Point(21.3069, -157.8583)) == pytest.approx(
        7080, rel=0.01)


def test_local_dates_count_inclusive_whatever_the_utc_date():
    la = parse_event(event("vv1A7ZAk7GkdUb1p", venue="Hollywood Bowl", local_date="2026-12-31",
                           local_time="23:30:00", date_time="2027-01-01T07:30:00Z",
                           performers=[RADIOHEAD_TM]))
    auckland = parse_event(event("Z698xZu0ZaV2z", venue="Spark Arena", local_date="2027-01-01",
                                 local_time="00:30:00", date_time="2026-12-31T11:30:00Z",
                                 performers=[RADIOHEAD_TM]))
    first_day = parse_event(event("G5diZ9BfWwkqz", venue="Spark Arena", local_date="2026-12-01",
                                  local_time="12:30:00", date_time="2026-11-30T23:30:00Z",
                                  performers=[RADIOHEAD_TM]))
    at = {c["event_id"]: Point(c["venue"]["latitude"], c["venue"]["longitude"])
          for c in (la, auckland, first_day)}
    # New Year's Eve in Los Angeles is 1 January in UTC: still in a range ending 31 December.
    assert nearby(la, query(at["vv1A7ZAk7GkdUb1p"], 5)) is not None
    assert la["starts_at"].date() == date(2027, 1, 1)
    # Half past midnight in Auckland on 1 January is 31 December in UTC: not in that range.
    assert nearby(auckland, query(at["Z698xZu0ZaV2z"], 5)) is None
    assert nearby(auckland, query(at["Z698xZu0ZaV2z"], 5, end="2027-01-01")) is not None
    # A matinee on the first day counts too, though in UTC it starts the day before.
    assert nearby(first_day, query(at["G5diZ9BfWwkqz"], 5)) is not None
    assert nearby(first_day, query(at["G5diZ9BfWwkqz"], 5, begin="2026-12-02")) is None


def test_canceled_concerts_and_concerts_without_a_place_never_count():
    point = Point(51.5434, -0.1517)
    assert nearby(roundhouse_concert(status="canceled"), query(point, 5)) is None
    assert nearby(roundhouse_concert(status="rescheduled"), query(point, 5)) is not None
    unplaced = roundhouse_concert()
    unplaced["venue"]["latitude"] = None
    assert nearby(unplaced, query(point, 5)) is None


def test_a_time_to_be_announced_keeps_its_date():
    tba = parse_event(event("G5vVZ9fYqe0Nk", venue="Roundhouse", local_date="2026-12-05",
                            local_time=None, date_time=None, performers=[RADIOHEAD_TM]))
    assert tba["local_time"] is None and tba["starts_at"] is None
    assert nearby(tba, query(Point(51.5434, -0.1517), 1)) == pytest.approx(0, abs=0.01)


@pytest.mark.parametrize("text", ["51.5,", "north,south", "91,0", "0,181", "1,2,3"])
def test_a_bad_place_is_refused_with_the_reason(text):
    with pytest.raises(ValueError, match="LATITUDE,LONGITUDE|latitude|longitude"):
        parse_point(text)
