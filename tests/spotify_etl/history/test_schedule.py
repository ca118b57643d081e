"""When the next recently-played read is due: from the person's own rate, floor and ceiling."""

from __future__ import annotations

from spotify_etl.history.schedule import (HOUR_MS, Limits, learn, next_read_in_ms,
                                          profile_from_plays, session_rate)

LIMITS = Limits(floor_minutes=10, ceiling_minutes=360, target_plays=35)
NOON = 1_795_000_000_000 // (24 * HOUR_MS) * (24 * HOUR_MS) + 12 * HOUR_MS


def wait_hours(profile, **kwargs) -> float:
    options = {"full_page": False, "newest_play_ms": None, "session_rate": 0.0,
               "limits": LIMITS, **kwargs}
    return next_read_in_ms(profile, NOON, **options) / HOUR_MS


def test_a_quiet_person_is_read_at_the_ceiling_and_a_busy_one_sooner():
    assert wait_hours([0.5] * 24) == 6.0
    # read while fewer than 35 plays are expected: 17.5 an hour, just under two hours
    assert 1.75 <= wait_hours([17.5] * 24) < 2.0
    assert 0.3 <= wait_hours([70.0] * 24) < 0.5  # ten-minute steps


def test_expected_plays_since_the_cursor_stay_below_the_target():
    profile = [0.0] * 24
    profile[14] = profile[15] = 20.0  # the afternoon session, from the person's own plays
    hours = wait_hours(profile)
    # an hour before the session (its neighbour counts), then 20 an hour: due within it
    assert 13 + 35 / 20 - 0.5 <= 12 + hours < 13 + 35 / 20
    assert wait_hours(profile) < wait_hours([0.0] * 24)


def test_a_full_page_brings_the_next_read_to_the_floor():
    assert wait_hours([0.0] * 24, full_page=True) == 10 / 60


def test_a_session_under_way_counts_at_its_own_rate():
    under_way = wait_hours([0.0] * 24, newest_play_ms=NOON - 60_000, session_rate=17.5)
    assert 1.75 <= under_way < 2.0
    # the same rate from a session long over does not count
    assert wait_hours([0.0] * 24, newest_play_ms=NOON - 5 * HOUR_MS, session_rate=17.5) == 6.0


def test_the_floor_holds_however_busy():
    assert wait_hours([1000.0] * 24) == 10 / 60


def test_learning_moves_the_hours_a_read_covered_toward_what_it_saw():
    plays = [NOON + 5 * 60_000 + 10 * 60_000 * i for i in range(6)]  # six in 12:00-13:00
    profile = learn([0.0] * 24, NOON, NOON + HOUR_MS, plays)
    assert profile[12] > 0 and all(v == 0 for i, v in enumerate(profile) if i != 12)
    assert profile_from_plays(plays, 2)[12] == 3.0
    assert round(session_rate(plays)) == 6


def test_a_burst_seen_before_at_that_hour_brings_the_read_forward():
    peak = [0.0] * 24
    peak[13] = peak[14] = peak[15] = 17.0  # a party once filled these hours
    hours = wait_hours([0.0] * 24, peak=peak)
    # read before 46 plays could have come at the party's rate (from 13:00: 46 / 17 h)
    assert 1 + 46 / 17 - 0.5 <= hours < 1 + 46 / 17
    # someone whose busiest day was 12 plays can never fill a page: the ceiling holds
    assert wait_hours([0.0] * 24, peak=peak, busiest_day=12) == 6.0
