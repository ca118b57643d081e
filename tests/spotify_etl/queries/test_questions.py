"""Every named question runs on the pipeline's real output and gives the right answer,
checked against plain Python over the raw collections."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from analyst_data import DAYS, LAST_DAY, someone_sharing
from spotify_etl.queries.questions import (QUERIES, QueryError, build, mongosh, pymongo_code,
                                         resolve_params, run_query)

LAST = LAST_DAY.isoformat()


def frame(store, collection):
    return pd.DataFrame(list(store[collection].find()))


def items_frame(store):
    """Every ranked item of every stored top list, one row each (list fields + item fields)."""
    return pd.DataFrame([{"user_id": top["user_id"], "snapshot_date": top["snapshot_date"],
                          "kind": top["kind"], "time_range": top["time_range"], **item}
                         for top in store.top_lists.find() for item in top["items"]])


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_runs_and_returns_rows(store, dataset, name):
    params = someone_sharing(store, dataset) if name == "shares_my_number_one" else {}
    rows = run_query(store, name, **params)
    assert rows, f"{name} returned nothing on demo data"
    assert all(set(QUERIES[name].columns) & set(row) for row in rows)


def test_there_are_at_least_eight_questions_each_with_a_question_and_an_index():
    assert len(QUERIES) >= 8
    for query in QUERIES.values():
        assert query.question.endswith("?") and query.index[1]


def test_top_list_is_the_persons_ranks_on_their_latest_date(store, dataset):
    person = dataset["people"][0]
    rows = run_query(store, "top_list", user_id=person, kind="tracks", time_range="long_term",
                     limit=5)
    top = items_frame(store)
    latest = top[top.user_id == person].snapshot_date.max()
    expected = (top[(top.user_id == person) & (top.snapshot_date == latest)
                    & (top.kind == "tracks") & (top.time_range == "long_term")]
                .sort_values("rank").head(5))
    assert [r["name"] for r in rows] == list(expected.name)
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]


def test_defaults_come_from_the_data(store, dataset):
    params = resolve_params(store, QUERIES["top_list"], {})
    assert params["user_id"] == dataset["people"][0]  # the first active person by id
    assert params["snapshot_date"] == LAST
    revoked = resolve_params(store, QUERIES["top_list"], {"user_id": dataset["revoked"]})
    assert revoked["snapshot_date"] == DAYS[-2].isoformat()  # no snapshot on the last day


def test_shares_my_number_one_lists_the_other_people_with_that_artist(store, dataset):
    top = items_frame(store)
    artists = top[(top.kind == "artists") & (top.snapshot_date == DAYS[-2].isoformat())]
    # pick the person and range whose #1 artist is shared by the most people
    best = None
    for person in dataset["people"]:
        for time_range in ("short_term", "medium_term", "long_term"):
            mine = artists[(artists.user_id == person) & (artists.time_range == time_range)
                           & (artists["rank"] == 1)]
            if mine.empty:
                continue
            others = artists[(artists.item_id == mine.item_id.iloc[0])
                             & (artists.user_id != person)]
            if best is None or others.user_id.nunique() > best[2].user_id.nunique():
                best = (person, time_range, others)
    person, time_range, others = best
    assert len(others) > 0
    rows = run_query(store, "shares_my_number_one", user_id=person, time_range=time_range,
                     snapshot_date=DAYS[-2].isoformat())
    assert {r["user_id"] for r in rows} == set(others.user_id)
    for row in rows:
        theirs = others[others.user_id == row["user_id"]]
        assert row["best_rank"] == theirs["rank"].min() and row["lists"] == len(theirs)


def test_new_in_top10_is_the_set_difference_of_two_snapshots(store, dataset):
    person = dataset["people"][1]
    top = items_frame(store)
    short = top[(top.user_id == person) & (top.kind == "artists")
                & (top.time_range == "short_term") & (top["rank"] <= 10)]
    now = short[short.snapshot_date == LAST]
    before = set(short[short.snapshot_date == (LAST_DAY - timedelta(days=7)).isoformat()].item_id)
    expected = now[~now.item_id.isin(before)].sort_values("rank")
    rows = run_query(store, "new_in_top10", user_id=person)
    assert [(r["artist_id"], r["rank"]) for r in rows] == list(zip(expected.item_id,
                                                                   expected["rank"]))


def test_most_played_tracks_count_the_last_seven_days_of_plays(store, dataset):
    person = dataset["people"][0]
    plays = frame(store, "plays")
    end = datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), UTC)
    window = plays[(plays.user_id == person) & (plays.played_at >= end - timedelta(days=7))
                   & (plays.played_at < end)]
    counts = Counter(window.track_id)
    rows = run_query(store, "most_played_tracks", user_id=person, limit=1000)
    assert {r["track_id"]: r["plays"] for r in rows} == dict(counts)
    assert [r["plays"] for r in rows] == sorted(counts.values(), reverse=True)


def test_listening_hours_add_up_durations_per_person_and_utc_day(store):
    plays = frame(store, "plays")
    plays["day"] = plays.played_at.map(lambda t: t.astimezone(UTC).date().isoformat())
    start = (LAST_DAY - timedelta(days=6)).isoformat()
    window = plays[(plays.day >= start) & (plays.day <= LAST)]
    expected = {(day, user): (len(group), round(group.duration_ms.sum() / 3_600_000, 2))
                for (day, user), group in window.groupby(["day", "user_id"])}
    rows = run_query(store, "listening_hours_per_day")
    assert {(r["day"], r["user_id"]): (r["plays"], r["hours"]) for r in rows} == expected
    assert [r["day"] for r in rows] == sorted(r["day"] for r in rows)


def test_top_genres_count_people_and_artists(store):
    top = items_frame(store)
    artists = top[(top.snapshot_date == LAST) & (top.kind == "artists")
                  & (top.time_range == "short_term")]
    people, items = defaultdict(set), defaultdict(set)
    for row in artists.itertuples():
        for genre in row.genres or []:
            people[genre].add(row.user_id)
            items[genre].add(row.item_id)
    expected = sorted(people, key=lambda g: (-len(people[g]), -len(items[g]), g))[:5]
    rows = run_query(store, "top_genres", limit=5)
    assert [r["genre"] for r in rows] == expected
    assert [r["people"] for r in rows] == [len(people[g]) for g in expected]


def test_track_leaderboard_counts_people_per_track(store):
    top = items_frame(store)
    tracks = top[(top.snapshot_date == DAYS[-2].isoformat()) & (top.kind == "tracks")
                 & (top.time_range == "long_term")]
    people = tracks.groupby("item_id").user_id.nunique()
    rows = run_query(store, "track_leaderboard", time_range="long_term",
                     snapshot_date=DAYS[-2].isoformat(), limit=500)
    assert {r["track_id"]: r["people"] for r in rows} == people.to_dict()
    assert rows[0]["people"] == people.max()


def test_needs_reauth_and_failed_runs_name_the_people_of_the_last_day(store, dataset):
    assert [r["_id"] for r in run_query(store, "needs_reauth")] == [dataset["revoked"]]
    failed = run_query(store, "failed_runs")
    assert {(r["user_id"], r["status"]) for r in failed} == {
        (dataset["revoked"], "needs_reauth"), (dataset["failing"], "failed")}
    assert all(r["snapshot_date"] == LAST for r in failed)
    assert run_query(store, "failed_runs", until=DAYS[-2].isoformat()) == []


def test_api_calls_per_day_sum_the_runs(store):
    expected = Counter()
    for run in store.runs.find({"snapshot_date": {"$gte": DAYS[1].isoformat()}}):
        for endpoint, calls in run["api_calls"].items():
            expected[(run["snapshot_date"], endpoint)] += calls
    rows = run_query(store, "api_calls_per_day")
    assert {(r["day"], r["endpoint"]): r["calls"] for r in rows} == dict(expected)
    assert {r["endpoint"] for r in rows} >= {"GET /v1/me/top/artists", "GET /v1/me/top/tracks"}


def test_run_history_is_newest_first(store, dataset):
    rows = run_query(store, "run_history", user_id=dataset["failing"], limit=3)
    assert [r["snapshot_date"] for r in rows] == [d.isoformat() for d in DAYS[::-1][:3]]
    assert rows[0]["status"] == "failed" and "retries" in rows[0]["error"]


def test_catalogue_questions_follow_genres_and_artist_ids(store, dataset):
    genre = run_query(store, "top_genres", limit=1)[0]["genre"]
    rows = run_query(store, "artists_in_genre", genre=genre, limit=1000)
    assert {r["artist_id"] for r in rows} == {a["_id"] for a in store.artists.find()
                                              if genre in (a.get("genres") or [])}
    person = dataset["people"][0]
    artist = run_query(store, "top_list", user_id=person, limit=1)[0]
    tracks = run_query(store, "tracks_by_artist", user_id=person, limit=1000)
    assert tracks and all(artist["name"] in r["artist_names"] for r in tracks)


def test_bad_parameters_are_named(store):
    with pytest.raises(QueryError, match="no parameter colour"):
        run_query(store, "top_list", colour="blue")
    with pytest.raises(QueryError, match="time_range must be one of"):
        run_query(store, "top_list", time_range="forever")
    with pytest.raises(QueryError, match="limit must be a int"):
        run_query(store, "top_list", limit="ten")
    with pytest.raises(QueryError, match="date like"):
        run_query(store, "failed_runs", until="yesterday")
    with pytest.raises(QueryError, match="No query named 'nope'"):
        run_query(store, "nope")


def test_an_empty_database_says_there_is_nothing_yet():
    import mongomock_ng as mongomock

    with pytest.raises(QueryError, match="No people"):
        run_query(mongomock.MongoClient()["empty"], "top_list")


def test_snippets_render_dates_for_each_shell():
    spec = build(None, "most_played_tracks", example=True)
    assert ('played_at: {$gte: ISODate("2026-11-14T00:00:00Z"), '
            '$lt: ISODate("2026-11-21T00:00:00Z")}') in mongosh(spec)
    assert '"$gte": datetime(2026, 11, 14, tzinfo=UTC)' in pymongo_code(spec)
    assert date.fromisoformat(QUERIES["top_list"].params[-1].example)
