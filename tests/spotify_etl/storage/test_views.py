"""The views' pipelines give what they promise, computed again in plain Python."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from spotify_etl.storage.views import VIEWS, create_views, run_view, view_pipeline


def _items(store, **query):
    """Every ranked item of the stored top lists, as rows (list fields + item fields)."""
    return [{**{k: v for k, v in top.items() if k not in ("_id", "items", "item_count")}, **item}
            for top in store.top_lists.find(query) for item in top["items"]]


def _latest_items(store):
    latest = {u["_id"]: u["last_snapshot_date"] for u in store.users.find()}
    return [d for d in _items(store) if latest.get(d["user_id"]) == d["snapshot_date"]]


def _key(row):
    return (row["user_id"], row["snapshot_date"], row["kind"], row["time_range"], row["rank"],
            row["item_id"])


def test_latest_top_items_are_each_persons_newest_snapshot(store, dataset):
    rows = run_view(store, "latest_top_items")
    assert sorted(map(_key, rows)) == sorted(map(_key, _latest_items(store)))
    dates = {r["user_id"]: r["snapshot_date"] for r in rows}
    assert dates[dataset["people"][0]] == "2026-11-16"
    assert dates[dataset["revoked"]] == "2026-11-15"  # its last successful snapshot
    for person in dataset["people"]:
        lists = {(r["kind"], r["time_range"]) for r in rows if r["user_id"] == person}
        assert len(lists) == 6


def test_artist_leaderboard_counts_people_lists_and_best_rank(store):
    people, lists, best = defaultdict(set), defaultdict(int), {}
    for item in _latest_items(store):
        if item["kind"] == "artists":
            people[item["item_id"]].add(item["user_id"])
            lists[item["item_id"]] += 1
            best[item["item_id"]] = min(best.get(item["item_id"], 99), item["rank"])
    rows = run_view(store, "artist_leaderboard")
    assert {r["artist_id"]: (r["people"], r["lists"], r["best_rank"]) for r in rows} == {
        a: (len(people[a]), lists[a], best[a]) for a in people}
    order = [(-r["people"], -r["lists"], r["best_rank"], r["artist_id"]) for r in rows]
    assert order == sorted(order)
    assert rows[0]["people"] > 1


def test_genre_share_weekly_shares_sum_to_one_per_person_week_and_range(store, dataset):
    rows = run_view(store, "genre_share_weekly")
    assert {r["week"] for r in rows} == {"2026-W46", "2026-W47"}
    totals = defaultdict(float)
    for row in rows:
        totals[(row["user_id"], row["week"], row["time_range"])] += row["share"]
    assert all(abs(total - 1) < 0.01 for total in totals.values())
    person = dataset["people"][0]
    tags = defaultdict(int)
    for item in _items(store, user_id=person, kind="artists", time_range="short_term"):
        if date.fromisoformat(item["snapshot_date"]).isocalendar().week == 47:
            for genre in item["genres"]:
                tags[genre] += 1
    mine = {r["genre"]: r["tags"] for r in rows
            if (r["user_id"], r["week"], r["time_range"]) == (person, "2026-W47", "short_term")}
    assert mine == dict(tags)


def test_pipelines_are_copies(store):
    pipeline = view_pipeline("latest_top_items")
    pipeline.clear()
    assert view_pipeline("latest_top_items")


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_read_only_collections_that_exist(name):
    assert VIEWS[name].source in {"users", "top_lists"}


def test_the_embedded_store_gets_no_views(store, caplog):
    with caplog.at_level("INFO"):
        assert create_views(store) == []
    assert "Views skipped" in caplog.text
    assert not set(VIEWS) & set(store.list_collection_names())
