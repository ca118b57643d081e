"""What the dashboard pages compute, on hand-built top lists and plays (no store)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from analytics_helpers import artist


def lists(*days: tuple[date, list[str]]) -> dict[date, list[dict]]:
    return {day: [artist(a, rank, [f"g-{a}"]) for rank, a in enumerate(ids, 1)]
            for day, ids in days}


def test_rank_over_time_follows_the_latest_top_items_back_with_gaps():
    from spotify_etl.dashboard.pages import rank_over_time

    d1, d2, d3 = date(2026, 11, 1), date(2026, 11, 8), date(2026, 11, 15)
    series = rank_over_time(lists((d3, ["a", "b", "c"]), (d1, ["b", "a"]), (d2, ["c", "b"])),
                            d3, count=2)
    assert [s["id"] for s in series] == ["a", "b"]
    assert series[0]["dates"] == ["2026-11-01", "2026-11-08", "2026-11-15"]
    assert series[0]["ranks"] == [2, None, 1] and series[1]["ranks"] == [1, 2, 2]


def test_genre_share_uses_each_weeks_newest_snapshot_and_sums_to_100():
    from spotify_etl.dashboard.pages import genre_share_by_week

    monday, sunday, next_week = date(2026, 11, 9), date(2026, 11, 15), date(2026, 11, 16)
    share = genre_share_by_week({monday: [artist("old", 1, ["jazz"])],
                                 sunday: [artist("x", 1, ["techno"]), artist("y", 2, ["house"])],
                                 next_week: [artist("z", 1, ["techno", "house"])]}, shown=2)
    assert share["weeks"] == ["2026-11-09", "2026-11-16"]
    assert "jazz" not in share["series"] and "other" not in share["series"]  # Sunday won
    first_week_techno = 100 / (1 + 0.95)
    assert share["series"]["techno"] == [round(first_week_techno, 1), 50.0]
    for week in range(2):
        assert sum(s[week] for s in share["series"].values()) == pytest.approx(100, abs=0.2)


def test_listening_clock_counts_by_utc_weekday_and_hour_and_lifetime_sums_up():
    from zoneinfo import ZoneInfo

    from spotify_etl.dashboard.pages import lifetime, listening_clock

    plays = [{"played_at": datetime(2026, 11, 16, 23, 30, tzinfo=UTC)},
             # 01:10 in Tokyo on Tuesday is Monday 16:10 UTC
             {"played_at": datetime(2026, 11, 17, 1, 10, tzinfo=ZoneInfo("Asia/Tokyo"))}]
    grid = listening_clock(plays)
    assert grid[0][23] == 1 and grid[0][16] == 1 and sum(map(sum, grid)) == 2
    totals = {"plays": 2, "ms": 420_000, "tracks": 1, "artists": 2,
              "first": plays[0]["played_at"], "last": datetime(2026, 11, 17, 9, tzinfo=UTC)}
    assert lifetime(totals) == {"plays": 2, "minutes": 7, "tracks": 1, "artists": 2,
                                "first": "2026-11-16", "last": "2026-11-17"}
    assert lifetime(None) is None


def test_play_totals_count_in_the_database(data_dir):
    from spotify_etl.dashboard.repository import play_totals
    from spotify_etl.storage import open_database

    with open_database() as db:
        assert play_totals(db, "ann") is None
        db.plays.insert_many([
            {"_id": f"ann|{n}", "user_id": "ann", "track_id": f"t{n % 2}",
             "artist_ids": ["a", f"b{n}"], "duration_ms": 60_000,
             "played_at": datetime(2026, 11, 10 + n, 8, tzinfo=UTC)} for n in range(3)]
            + [{"_id": "ben|0", "user_id": "ben", "track_id": "t9", "artist_ids": ["z"],
                "duration_ms": 1, "played_at": datetime(2026, 1, 1, tzinfo=UTC)}])
        totals = play_totals(db, "ann")
    assert {k: totals[k] for k in ("plays", "ms", "tracks", "artists")} == {
        "plays": 3, "ms": 180_000, "tracks": 2, "artists": 4}
    assert totals["first"].date() == date(2026, 11, 10)
    assert totals["last"].date() == date(2026, 11, 12)


def test_the_track_that_brings_a_group_together_is_the_most_shared_one():
    from spotify_etl.dashboard.pages import bring_together

    mix = {"tracks": [
        {"position": 1, "name": "Two", "artists": ["A"], "members": ["ann", "ben"], "shared": True},
        {"position": 2, "name": "Three", "artists": ["B"], "members": ["ann", "ben", "cat"],
         "shared": True},
        {"position": 3, "name": "Solo", "artists": ["C"], "members": ["cat"], "shared": False}]}
    assert bring_together(mix, [])["name"] == "Three"
    pairs = [{"users": ["ann", "ben"], "score": 12.0, "name": "Low", "why": "x"},
             {"users": ["ben", "cat"], "score": 40.0, "name": "High", "why": "y"}]
    alone = bring_together({"tracks": [mix["tracks"][2]]}, pairs)
    assert alone["name"] == "High" and alone["members"] == ["ben", "cat"]
    assert bring_together(None, []) is None


def test_artists_without_genres_give_no_genre_series_to_draw():
    from spotify_etl.dashboard.pages import genre_share_by_week

    share = genre_share_by_week({date(2026, 11, 20): [artist("a", 1, []), artist("b", 2, [])]})
    assert share == {"weeks": ["2026-11-16"], "series": {}}
