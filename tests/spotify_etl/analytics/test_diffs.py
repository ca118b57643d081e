from __future__ import annotations

from analytics_helpers import artist, profile, track
from spotify_etl.analytics.diffs import (list_changes, pair_diff, profile_changes,
                                         together_track)


def test_pair_diff_splits_shared_and_unique_artists_tracks_and_genres():
    alice = profile(["radiohead", "bjork", "utada"], ["t1", "t2", "t3"],
                    {"radiohead": ["art rock", "alternative rock"], "bjork": ["art pop"],
                     "utada": ["j-pop"]})
    bob = profile(["utada", "beyonce", "radiohead"], ["t3", "t9"],
                  {"utada": ["j-pop"], "beyonce": ["pop", "r&b"],
                   "radiohead": ["art rock", "alternative rock"]})
    diff = pair_diff(alice, bob)
    # radiohead is #1 and #3, utada #3 and #1: same rank product, so ordered by id.
    assert [(a["id"], a["rank_a"], a["rank_b"]) for a in diff["artists"]["shared"]] == [
        ("radiohead", 1, 3), ("utada", 3, 1)]
    assert [a["id"] for a in diff["artists"]["only_a"]] == ["bjork"]
    assert [a["id"] for a in diff["artists"]["only_b"]] == ["beyonce"]
    assert [t["id"] for t in diff["tracks"]["shared"]] == ["t3"]
    assert [t["id"] for t in diff["tracks"]["only_a"]] == ["t1", "t2"]
    assert set(diff["genres"]["shared"]) == {"art rock", "alternative rock", "j-pop"}
    assert diff["genres"]["only_a"] == ["art pop"]
    assert sorted(diff["genres"]["only_b"]) == ["pop", "r&b"]
    assert diff["together"]["id"] == "t3" and diff["together"]["rank_a"] == 3
    assert 0 < diff["score"] < 100


def test_the_track_that_brings_you_together_is_the_best_shared_pair_of_ranks():
    a = {"artists": [], "tracks": [track("x", 1), track("y", 2), track("z", 40)]}
    b = {"artists": [], "tracks": [track("z", 1), track("y", 3), track("w", 2)]}
    # y: 0.95^1 * 0.95^2 beats z: 0.95^39 * 1.
    assert together_track(a, b)["id"] == "y"


def test_without_a_shared_track_the_bridge_is_a_track_by_an_artist_the_other_loves():
    a = {"artists": [artist("nobody", 1)], "tracks": [track("t1", 1, "aurora"),
                                                      track("t2", 2, "bjork")]}
    b = {"artists": [artist("bjork", 1), artist("aurora", 9)], "tracks": [track("t5", 1)]}
    bridge = together_track(a, b)
    assert bridge["id"] == "t2" and bridge["rank_a"] == 2
    assert together_track({"artists": [], "tracks": [track("t1", 1)]},
                          {"artists": [], "tracks": [track("t2", 1)]}) is None


def test_list_changes_reports_entered_left_climbed_and_fell_with_rank_changes():
    before = [track(t, r) for r, t in enumerate(["a", "b", "c", "d", "e"], 1)]
    after = [track(t, r) for r, t in enumerate(["c", "a", "new", "b", "e"], 1)]
    changes = list_changes(before, after)
    assert [(e["id"], e["rank"]) for e in changes["entered"]] == [("new", 3)]
    assert [(e["id"], e["rank"]) for e in changes["left"]] == [("d", 4)]
    assert [(e["id"], e["previous_rank"], e["rank"], e["change"])
            for e in changes["climbed"]] == [("c", 3, 1, 2)]
    assert [(e["id"], e["previous_rank"], e["rank"], e["change"])
            for e in changes["fell"]] == [("b", 2, 4, -2), ("a", 1, 2, -1)]
    assert changes["unchanged"] == 1  # e stays at #5


def test_short_against_long_term_names_what_is_new_now_and_what_was_dropped():
    long_term = profile(["old1", "both", "old2"], ["lt1", "lt2"])
    short_term = profile(["both", "new1"], ["lt2", "st1"])
    changes = profile_changes(long_term, short_term)
    assert [e["id"] for e in changes["artists"]["entered"]] == ["new1"]
    assert [e["id"] for e in changes["artists"]["left"]] == ["old1", "old2"]
    assert [e["id"] for e in changes["tracks"]["entered"]] == ["st1"]
    assert [e["id"] for e in changes["tracks"]["left"]] == ["lt1"]
    assert [(e["id"], e["change"]) for e in changes["artists"]["climbed"]] == [("both", 1)]
