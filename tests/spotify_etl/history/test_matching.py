"""The dedupe rule on the overlaps it must handle: the API's played_at against the extended
history's ts (seconds, a few seconds off) and account data's endTime (the minute)."""

from __future__ import annotations

from datetime import UTC, datetime

from spotify_etl.history.matching import Candidate, Known, Matcher, gap_ms, name_key, normalise

T = int(datetime(2026, 11, 19, 20, 51, 42, 485_000, tzinfo=UTC).timestamp() * 1000)
TRACK, OTHER = "4uLU6hMCjMI75M1A2tKUQC", "7ouMYWpwJ422jRcDASZB7P"
KEY = name_key("Sofía García", "Sky Heart")


def captured(end_ms: int = T, track: str = TRACK, play_id: str = "alice|captured") -> Known:
    return Known(play_id, end_ms, "millisecond", track, KEY)


def test_names_fold_case_accents_punctuation_and_spaces_but_not_letters():
    assert normalise("  Sky  HEART!") == normalise("sky heart") == "sky heart"
    assert normalise("Ｓｋｙ") == "sky"  # full-width forms (NFKC)
    assert name_key("Sofía García", "Sky Heart") != name_key("Sofia Garcia", "Sky Heart")


def test_extended_row_a_few_seconds_off_the_api_is_the_same_play():
    for offset_s in (-2, 0, 3, 14):
        ts = (T // 1000 + offset_s) * 1000
        assert Matcher([captured()]).match(Candidate(ts, "second", TRACK, KEY), "extended")


def test_seconds_precision_interval_counts_its_whole_second():
    # ts truncated to the second: [ts, ts + 1 s) contains the API's time
    assert gap_ms(T // 1000 * 1000, "second", T, "millisecond") == 0
    assert gap_ms(T - 20_000, "millisecond", T, "millisecond") == 20_000


def test_beyond_the_tolerance_or_another_track_is_another_play():
    assert Matcher([captured()]).match(Candidate(T + 16_000, "second", TRACK, KEY),
                                       "extended") is None
    assert Matcher([captured(track=OTHER)]).match(Candidate(T, "second", TRACK, KEY),
                                                  "extended") is None


def test_account_row_matches_by_names_within_its_minute():
    minute = T // 60_000 * 60_000
    matcher = Matcher([captured()])
    assert matcher.match(Candidate(minute, "minute", None, KEY), "account").play_id == \
        "alice|captured"
    other = name_key("Sofía García", "Sky Heart (Remix)")
    assert Matcher([captured()]).match(Candidate(minute, "minute", None, other),
                                       "account") is None
    # the minute before the play's minute is more than 15 s away
    assert Matcher([captured()]).match(Candidate(minute - 120_000, "minute", None, KEY),
                                       "account") is None


def test_two_plays_of_one_track_in_one_minute_stay_two():
    first, second = captured(T - 40_000, play_id="a|1"), captured(T, play_id="a|2")
    matcher = Matcher([first, second])
    minute = T // 60_000 * 60_000
    rows = [Candidate(minute, "minute", None, KEY), Candidate(minute, "minute", None, KEY)]
    matched = [matcher.match(row, "account") for row in rows]
    assert {m.play_id for m in matched if m} == {"a|1", "a|2"}
    assert matcher.match(Candidate(minute, "minute", None, KEY), "account") is None


def test_nearest_play_wins_and_each_source_claims_a_play_once():
    near, far = captured(T, play_id="a|near"), captured(T - 10_000, play_id="a|far")
    matcher = Matcher([far, near])
    assert matcher.match(Candidate(T // 1000 * 1000, "second", TRACK, KEY),
                         "extended").play_id == "a|near"
    # another source may still find the same play (account data of the same export)
    minute = T // 60_000 * 60_000
    assert matcher.match(Candidate(minute, "minute", None, KEY), "account").play_id in (
        "a|near", "a|far")


def test_a_play_added_in_the_batch_is_open_to_the_other_format_only():
    matcher = Matcher([])
    matcher.add(Known("a|new", T // 1000 * 1000, "second", TRACK, KEY), "extended")
    assert matcher.match(Candidate(T // 1000 * 1000, "second", TRACK, KEY), "extended") is None
    assert matcher.match(Candidate(T // 60_000 * 60_000, "minute", None, KEY),
                         "account").play_id == "a|new"
