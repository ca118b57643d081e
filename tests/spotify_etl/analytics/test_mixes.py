from __future__ import annotations

import pytest

from analytics_helpers import track
from spotify_etl.analytics.mixes import build_mix, validate_members


def _tracks(prefix: str, n: int, start: int = 0) -> list[dict]:
    return [track(f"{prefix}{i}", r, isrc=f"ISRC{prefix}{i}")
            for r, i in enumerate(range(start, start + n), 1)]


def test_members_without_shared_tracks_take_turns_by_rank():
    lists = {"ann": _tracks("a", 30), "ben": _tracks("b", 30), "cat": _tracks("c", 30)}
    mix = build_mix(["ann", "ben", "cat"], lists, length=10)
    assert [t["track_id"] for t in mix["tracks"]] == [
        "a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2", "a3"]
    assert [c["tracks"] for c in mix["credits"]] == [4, 3, 3]
    assert mix["short_reason"] is None and mix["length"] == 10
    assert [t["position"] for t in mix["tracks"]] == list(range(1, 11))


def test_shared_tracks_come_first_most_shared_then_best_ranked():
    shared_by_three = track("s3", 40, isrc="S3")
    lists = {
        "ann": [track("s2", 1, isrc="S2"), track("a1", 2, isrc="A1"), shared_by_three],
        "ben": [track("b1", 1, isrc="B1"), track("s2", 2, isrc="S2"), shared_by_three],
        "cat": [shared_by_three, track("c1", 1, isrc="C1")],
    }
    mix = build_mix(["ann", "ben", "cat"], lists, length=50)
    ids = [t["track_id"] for t in mix["tracks"]]
    assert ids[:2] == ["s3", "s2"]
    assert mix["tracks"][0]["members"] == ["ann", "ben", "cat"] and mix["tracks"][0]["shared"]
    assert mix["tracks"][1]["ranks"] == [{"user_id": "ann", "rank": 1},
                                         {"user_id": "ben", "rank": 2}]
    # After the shared ones (ann 2, ben 2, cat 1 credits), cat is owed a turn first.
    assert ids[2:] == ["c1", "a1", "b1"]
    assert mix["tracks"][2]["members"] == ["cat"]


def test_fair_interleave_keeps_credits_within_one_of_each_other():
    lists = {m: _tracks(m, 50) for m in ("p", "q", "r", "s", "t", "u", "v")}
    lists["q"][0] = track("p0", 1, isrc="ISRCp0")  # one shared track
    mix = build_mix(list(lists), lists, length=50)
    credits = [c["tracks"] for c in mix["credits"]]
    assert max(credits) - min(credits) <= 1
    assert sum(credits) == 51  # the shared track credits both p and q


def test_no_duplicates_by_track_id_or_by_isrc():
    same_song_other_id = track("remaster", 1, isrc="USRC17607839")
    lists = {
        "ann": [track("orig", 1, isrc="USRC17607839"), track("a2", 2, isrc="A2"),
                track("a2", 3, isrc="A2")],
        "ben": [same_song_other_id, track("b2", 2, isrc="B2"), track("orig", 3,
                                                                     isrc="USRC17607839")],
    }
    mix = build_mix(["ann", "ben"], lists, length=50)
    ids = [t["track_id"] for t in mix["tracks"]]
    isrcs = [t["isrc"] for t in mix["tracks"]]
    assert len(ids) == len(set(ids)) and len(isrcs) == len(set(isrcs))
    assert ids == ["orig", "a2", "b2"]
    # The ISRC twin counts as shared: both members get the credit.
    assert mix["tracks"][0]["members"] == ["ann", "ben"]


def test_a_group_with_too_little_data_gets_a_shorter_mix_and_says_why():
    lists = {"ann": _tracks("a", 12), "ben": _tracks("b", 8), "cat": []}
    mix = build_mix(["ann", "ben", "cat"], lists, length=50, label="short-term top tracks")
    assert mix["length"] == 20 and mix["length_requested"] == 50
    assert "only 20 distinct tracks" in mix["short_reason"]
    assert "ann 12, ben 8" in mix["short_reason"] and "cat" in mix["short_reason"]


def test_one_member_with_data_is_not_a_blend():
    mix = build_mix(["ann", "ben"], {"ann": _tracks("a", 30), "ben": []}, length=50)
    assert mix["tracks"] == [] and "at least 2 members" in mix["short_reason"]


def test_uris_come_from_the_catalogue_or_are_built_from_the_id():
    lists = {"ann": [dict(track("a1", 1), uri="spotify:track:a1")], "ben": [track("b1", 1)]}
    mix = build_mix(["ann", "ben"], lists)
    assert [t["uri"] for t in mix["tracks"]] == ["spotify:track:a1", "spotify:track:b1"]


@pytest.mark.parametrize("members", [["a"], ["a", "a"], [f"p{i}" for i in range(11)]])
def test_groups_have_two_to_ten_people(members):
    with pytest.raises(ValueError, match="2 to 10"):
        validate_members(members)
