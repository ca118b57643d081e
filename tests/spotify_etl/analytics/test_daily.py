from __future__ import annotations

from datetime import date

import pytest

from analytics_helpers import FIRST_DAY, LAST_DAY
from spotify_etl.analytics import daily
from spotify_etl.analytics.groups import GroupError, add_group, list_groups, remove_group
from spotify_etl.storage import open_database

DAY = LAST_DAY


def _contents(*names: str) -> dict:
    with open_database() as db:
        return {name: sorted(db[name].find(), key=lambda d: d["_id"]) for name in names}


def test_groups_are_opt_in_known_people_two_to_ten(stored):
    with open_database() as db:
        group = add_group(db, "friends", stored, publish=True)
        assert group["owner"] == stored[0] and group["playlist_id"] is None
        with pytest.raises(GroupError, match="Unknown user"):
            add_group(db, "strangers", [stored[0], "nobody-here"])
        with pytest.raises(GroupError, match="2 to 10"):
            add_group(db, "alone", [stored[0]])
        with pytest.raises(GroupError, match="must be a member"):
            add_group(db, "odd", stored[:2], owner=stored[2])
        assert [g["_id"] for g in list_groups(db)] == ["friends"]
        remove_group(db, "friends")
        assert list_groups(db) == []


def test_diffs_for_group_pairs_and_members_with_honest_missing_history(stored):
    a, b, c = stored
    with open_database() as db:
        add_group(db, "pair", [a, b])
    summary = daily.run_diffs(DAY)
    # One pair x 3 ranges; 2 members x (1 ranges diff + 2 windows x 3 ranges).
    assert summary["written"] == {"pair": 3, "ranges": 2, "change": 12}
    with open_database() as db:
        pair = db.diffs.find_one({"_id": f"pair|{min(a, b)}|{max(a, b)}|{DAY}|short_term"})
        week = db.diffs.find_one({"_id": f"change|{a}|{DAY}|7d|short_term"})
        month = db.diffs.find_one({"_id": f"change|{a}|{DAY}|30d|short_term"})
        assert db.diffs.count_documents({"users": c}) == 0  # c is in no group: not compared
    assert pair["status"] == "ok" and 0 <= pair["score"] <= 100
    assert week["status"] == "ok" and week["compared_with"] == FIRST_DAY.isoformat()
    assert month["status"] == "not_enough_history"
    assert month["message"].startswith("Not enough history yet")


def test_pair_diff_from_the_store_agrees_with_the_lists_it_read(stored):
    from spotify_etl.analytics import repository

    a, b, _ = stored
    with open_database() as db:
        document = daily.pair_document(db, a, b, DAY, "long_term")
        artists_a = {i["item_id"] for i in repository.top_list(db, a, DAY, "artists", "long_term")}
        artists_b = {i["item_id"] for i in repository.top_list(db, b, DAY, "artists", "long_term")}
    key = lambda entries: {e["id"] for e in entries}  # noqa: E731
    assert key(document["artists"]["shared"]) == artists_a & artists_b
    assert key(document["artists"]["only_a"]) == artists_a - artists_b
    assert key(document["artists"]["only_b"]) == artists_b - artists_a


def test_week_over_week_change_matches_the_two_snapshots(stored):
    from spotify_etl.analytics import repository

    user = stored[0]
    with open_database() as db:
        document = daily.change_document(db, user, DAY, 7, "short_term")
        before = repository.top_list(db, user, FIRST_DAY, "artists", "short_term")
        after = repository.top_list(db, user, DAY, "artists", "short_term")
    changes = document["artists"]
    old, new = {i["item_id"]: i["rank"] for i in before}, {i["item_id"]: i["rank"] for i in after}
    assert {e["id"] for e in changes["entered"]} == new.keys() - old.keys()
    assert {e["id"] for e in changes["left"]} == old.keys() - new.keys()
    for entry in changes["climbed"] + changes["fell"]:
        assert entry["change"] == old[entry["id"]] - new[entry["id"]] != 0


def test_rerun_of_diffs_and_mixes_leaves_identical_documents(stored):
    with open_database() as db:
        add_group(db, "trio", stored)
    daily.run_diffs(DAY)
    daily.run_mixes(DAY)
    first = _contents("diffs", "mixes")
    daily.run_diffs(DAY)
    daily.run_mixes(DAY)
    assert _contents("diffs", "mixes") == first
    assert len(first["mixes"]) == 1 and len(first["diffs"]) == 3 * 3 + 3 * 7


def test_stored_mix_is_fair_unique_and_attributed(stored):
    with open_database() as db:
        add_group(db, "trio", stored)
    assert daily.run_mixes(DAY, length=30)["mixes"] == {"trio": 30}
    with open_database() as db:
        mix = db.mixes.find_one({"_id": f"trio|{DAY}"})
    ids = [t["track_id"] for t in mix["tracks"]]
    isrcs = [t["isrc"] for t in mix["tracks"]]
    assert len(set(ids)) == 30 and len(set(isrcs)) == 30 and None not in isrcs
    assert all(t["uri"] == f"spotify:track:{t['track_id']}" for t in mix["tracks"])
    assert all(t["members"] for t in mix["tracks"])
    credits = [c["tracks"] for c in mix["credits"]]
    assert max(credits) - min(credits) <= 1
    assert mix["publish"]["status"] == "off"


def test_a_member_without_a_snapshot_gives_a_shorter_mix_with_the_reason(stored):
    with open_database() as db:
        add_group(db, "trio", stored)
    daily.run_mixes(date(2026, 11, 14))  # nobody was snapshotted that day
    with open_database() as db:
        mix = db.mixes.find_one({"_id": "trio|2026-11-14"})
    assert mix["length"] == 0 and "Too little data" in mix["short_reason"]


def test_taste_twins_store_scores_only_and_can_be_switched_off(stored, monkeypatch):
    result = daily.run_taste_twins(DAY, k=2)
    assert result["users"] == 3
    with open_database() as db:
        twins = list(db.taste_twins.find())
    assert len(twins) == 3
    for document in twins:
        assert set(document) == {"_id", "user_id", "snapshot_date", "time_range", "twins"}
        assert [set(t) for t in document["twins"]] == [{"user_id", "score"}] * 2
        assert document["user_id"] not in {t["user_id"] for t in document["twins"]}
    monkeypatch.setenv("SPOTIFY_ETL_TASTE_TWINS", "off")
    assert daily.run_taste_twins(DAY)["status"] == "off"


def test_the_newest_snapshot_date_is_used_when_none_is_given(stored):
    with open_database() as db:
        assert daily.resolve_date(db) == DAY


def test_the_analysed_date_is_the_one_the_snapshot_announced():
    from types import SimpleNamespace

    from spotify_etl.analytics.daily import date_from_asset_events

    events = {"spotify_snapshots": [SimpleNamespace(extra={"snapshot_date": "2026-11-20"}),
                                    SimpleNamespace(extra={"snapshot_date": "2026-11-21"}),
                                    SimpleNamespace(extra={})]}
    assert date_from_asset_events(events) == date(2026, 11, 21)
    assert date_from_asset_events({}) is None and date_from_asset_events(None) is None
