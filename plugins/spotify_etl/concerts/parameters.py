"""The bins' parameters (Gigscovery's, with its defaults), checked once for the CLI and the API.

Every refusal is a `ParameterError` naming the parameter, with a message a person can act on.
Pure: nothing here reads data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from spotify_etl.concerts.geo import Point
from spotify_etl.constants import (DEFAULT_CONCERT_DAYS, DEFAULT_RADIUS_KM,
                                   DEFAULT_RELATED_ARTISTS, DEFAULT_TOP_ARTISTS, TIME_RANGES,
                                   TOP_LIMIT)

MAX_RADIUS_KM = 1000.0
MAX_RELATED_ARTISTS = 20
BINS_TIME_RANGE = "medium_term"  # Spotify's own default for top items, as Gigscovery used
# What each parameter must be, for the messages (and the API's documentation).
RULES = {
    "latitude": "a number between -90 and 90",
    "longitude": "a number between -180 and 180",
    "radius": f"a distance in km, more than 0 and at most {MAX_RADIUS_KM:g}",
    "top_artists": f"a whole number from 1 to {TOP_LIMIT}",
    "related_artists": f"a whole number from 0 to {MAX_RELATED_ARTISTS}",
    "date_begin": "a date like 2026-12-01",
    "date_end": "a date like 2026-12-31, on or after date_begin",
    "time_range": f"one of {', '.join(TIME_RANGES)}",
    "artist_id": "a Spotify artist id (22 letters and digits)",
    "limit": "a whole number from 1 to 50",
}


class ParameterError(ValueError):
    """A parameter is missing or wrong; `parameter` names it."""

    def __init__(self, parameter: str, message: str | None = None, value: Any = None) -> None:
        self.parameter = parameter
        if message is None:
            shown = "" if value is None else f" (got {str(value)!r})"
            message = f"{parameter} must be {RULES[parameter]}{shown}"
        super().__init__(message)


@dataclass(frozen=True)
class BinsQuery:
    """Checked parameters of one bins request."""

    point: Point
    date_begin: date
    date_end: date
    radius_km: float
    top_artists: int
    related_artists: int
    time_range: str


def _number(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, value=value) from None
    too_low = number <= low if low_open else number < low
    if not math.isfinite(number) or too_low or number > high:
        raise ParameterError(name, value=value)
    return number


def whole_number(name: str, value: Any, low: int, high: int) -> int:
    """Return a whole number within [low, high], or raise ParameterError naming it."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ParameterError(name, value=value) from None
    if not low <= number <= high:
        raise ParameterError(name, value=value)
    return number


def check_radius(value: Any) -> float:
    """Return a radius in km, or raise ParameterError("radius")."""
    return _number("radius", value, 0.0, MAX_RADIUS_KM, low_open=True)


def _date(name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(name, value=value) from None


def bins_query(*, latitude: Any, longitude: Any, date_begin: Any = None, date_end: Any = None,
               radius: Any = DEFAULT_RADIUS_KM, top_artists: Any = DEFAULT_TOP_ARTISTS,
               related_artists: Any = DEFAULT_RELATED_ARTISTS, time_range: Any = None,
               today: date, horizon_days: int) -> BinsQuery:
    """Check a bins request; dates default to today and the 30 days from date_begin."""
    if latitude is None or latitude == "":
        raise ParameterError("latitude", "latitude is required (or save a home location)")
    if longitude is None or longitude == "":
        raise ParameterError("longitude", "longitude is required (or save a home location)")
    point = Point(_number("latitude", latitude, -90, 90), _number("longitude", longitude, -180, 180))
    begin = _date("date_begin", date_begin) or today
    end = _date("date_end", date_end) or begin + timedelta(days=DEFAULT_CONCERT_DAYS)
    if end < begin:
        raise ParameterError("date_end", f"date_end ({end}) is before date_begin ({begin})")
    if end < today:
        raise ParameterError("date_end", f"date_end ({end}) is in the past: only upcoming "
                                         "concerts are known")
    if end > today + timedelta(days=horizon_days):
        raise ParameterError("date_end", f"date_end ({end}) is more than {horizon_days} days "
                                         "ahead: concerts are looked up that far only")
    chosen_range = str(time_range or BINS_TIME_RANGE)
    if chosen_range not in TIME_RANGES:
        raise ParameterError("time_range", value=time_range)
    return BinsQuery(point=point, date_begin=begin, date_end=end, radius_km=check_radius(radius),
                     top_artists=whole_number("top_artists", top_artists, 1, TOP_LIMIT),
                     related_artists=whole_number("related_artists", related_artists, 0,
                                                  MAX_RELATED_ARTISTS),
                     time_range=chosen_range)
