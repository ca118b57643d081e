"""Bad bins parameters are refused with a message naming the parameter."""

from __future__ import annotations

from datetime import date

import pytest

from spotify_etl.concerts.parameters import ParameterError, bins_query

TODAY = date(2026, 12, 1)
GOOD = {"latitude": 51.5074, "longitude": -0.1278, "today": TODAY, "horizon_days": 365}


def test_gigscoverys_defaults_and_the_next_30_days():
    query = bins_query(**GOOD)
    assert (query.radius_km, query.top_artists, query.related_artists) == (25, 5, 5)
    assert (query.date_begin, query.date_end) == (TODAY, date(2026, 12, 31))
    assert query.time_range == "medium_term"


@pytest.mark.parametrize(("changes", "parameter", "words"), [
    ({"latitude": 123}, "latitude", "between -90 and 90"),
    ({"longitude": "east"}, "longitude", "between -180 and 180"),
    ({"latitude": None}, "latitude", "required"),
    ({"date_begin": "2026-12-10", "date_end": "2026-12-09"}, "date_end", "before date_begin"),
    ({"date_end": "2026-11-30", "date_begin": "2026-11-01"}, "date_end", "in the past"),
    ({"date_end": "2028-01-01"}, "date_end", "365 days"),
    ({"date_begin": "2026-13-01"}, "date_begin", "a date like"),
    ({"radius": 0}, "radius", "more than 0"),
    ({"radius": 10_000}, "radius", "at most 1000"),
    ({"radius": "nan"}, "radius", "km"),
    ({"top_artists": 0}, "top_artists", "1 to 50"),
    ({"related_artists": 21}, "related_artists", "0 to 20"),
    ({"time_range": "forever"}, "time_range", "short_term"),
])
def test_a_bad_parameter_is_named(changes, parameter, words):
    with pytest.raises(ParameterError) as refused:
        bins_query(**{**GOOD, **changes})
    assert refused.value.parameter == parameter
    assert parameter in str(refused.value) and words in str(refused.value)
