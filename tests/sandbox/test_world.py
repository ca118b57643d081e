"""The synthetic world: determinism, realism, drift, consistency, edge cases, scale."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter

import numpy as np
import requests
from sandbox_helpers import TODAY, access_token

from spotify_sandbox import SandboxServer, World
from spotify_sandbox.world import GENRES

DAY = TODAY.toordinal()


def test_same_seed_same_answers_different_seed_different(ext):
    with SandboxServer(seed=42, users=50, today=TODAY) as twin, \
            SandboxServer(seed=7, users=50, today=TODAY) as other:
        answers = []
        for srv in (ext, twin, other):
            token = access_token(srv, 1)
            answer = requests.get(f"{srv.url}/v1/me/top/tracks", params={"limit": 50},
                                  headers={"Authorization": f"Bearer {token}"}, timeout=10)
            answers.append([t["id"] for t in answer.json()["items"]])
        assert answers[0] == answers[1]
        assert answers[0] != answers[2]
        assert ext.world.users[1].id == twin.world.users[1].id != other.world.users[1].id


def test_catalogue_is_realistic(ext):
    w = ext.world
    assert 3000 <= w.n_artists <= 5000
    assert all(re.fullmatch(r"[0-9A-Za-z]{22}", i) for i in w.artist_ids[:200].tolist())
    empty = sum(not w.genres_of(a) for a in range(w.n_artists)) / w.n_artists
    assert 0.02 < empty < 0.2
    assert {g for a in range(w.n_artists) for g in w.genres_of(a)} <= set(GENRES)
    assert any(not n.isascii() for n in w.artist_names)
    precisions = Counter(w.release_date(m)[1] for m in range(len(w.album_ids)))
    assert set(precisions) == {"day", "month", "year"}
    assert re.fullmatch(r"\d{4}", next(w.release_date(m)[0] for m in range(len(w.album_ids))
                                       if w.release_date(m)[1] == "year"))
    assert 1 <= w.album_total_tracks.min() and w.album_total_tracks.max() <= 20
    for t in range(0, len(w.track_ids), 997):
        assert re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}\d{7}", w.isrc(t))
    assert 0.05 < w.track_explicit.mean() < 0.5


def overlap(a, b):
    return len(set(a[:10]) & set(b[:10]))


def test_short_term_drifts_over_a_week_while_long_term_stays(ext):
    w = ext.world
    users = [u for u in range(w.n_users) if not w.users[u].light][:20]
    short = [overlap(w.top_artists(u, DAY, "short_term"), w.top_artists(u, DAY + 7, "short_term"))
             for u in users]
    long = [overlap(w.top_artists(u, DAY, "long_term"), w.top_artists(u, DAY + 7, "long_term"))
            for u in users]
    day_to_day = [overlap(w.top_artists(u, DAY, "short_term"),
                          w.top_artists(u, DAY + 1, "short_term")) for u in users]
    assert np.mean(short) <= 7.5  # several changes in a top-10 over a week
    assert np.mean(long) >= 9.5  # long-term barely moves
    assert np.mean(day_to_day) > np.mean(short)  # drift accumulates, it is not noise


def test_recent_plays_follow_short_term_taste(ext):
    w = ext.world
    hits = []
    for u in range(2, 12):
        top = set(w.top_artists(u, DAY, "short_term"))
        plays = [p for p in w.recent_plays(u, ext.sandbox.now_ms(TODAY)) if p.track >= 0]
        hits.append(np.mean([int(w.track_artist[p.track]) in top for p in plays]))
    assert np.mean(hits) > 0.7


def test_plays_per_day_spread_and_skips_are_not_listed(ext):
    w = ext.world
    counts = [len(w.plays_on(u, DAY - d)) for u in range(1, 20) for d in range(3)
              if not (w.users[u].light or w.users[u].heavy or w.is_burst_day(u, DAY - d))]
    assert 10 <= min(counts) and max(counts) <= 61
    plays = w.plays_on(1, DAY)
    hours = {(p.played_at_ms // 3_600_000) % 24 for p in plays}
    assert len(hours) >= 2
    assert all(p.ms_played >= 30_000 for p in w.recent_plays(1, ext.sandbox.now_ms(TODAY)))


def test_edge_cases_appear_local_files_and_null_tracks(ext):
    token = access_token(ext, 1)
    local, null = [], 0
    for back in range(25):
        day = (TODAY - dt.timedelta(days=back)).isoformat()
        for user in (1, 2, 3):
            tok = token if user == 1 else access_token(ext, user)
            answer = requests.get(f"{ext.url}/v1/me/player/recently-played",
                                  params={"limit": 50},
                                  headers={"Authorization": f"Bearer {tok}",
                                           "X-Sandbox-Date": day}, timeout=10).json()
            for item in answer["items"]:
                if item["track"] is None:
                    null += 1
                elif item["track"]["is_local"]:
                    local.append(item["track"])
        if local and null:
            break
    assert null > 0 and local
    track = local[0]
    assert track["id"] is None and track["uri"].startswith("spotify:local:")
    assert track["artists"][0]["id"] is None and track["album"]["id"] is None


def test_ten_thousand_user_world_builds_in_seconds():
    start = time.perf_counter()
    world = World(seed=3, users=10_000)
    assert time.perf_counter() - start < 5
    assert len(world.user_index) == 10_000
    assert len(world.top_tracks(9_999, DAY, "medium_term")) > 0


def test_daily_play_counts_range_from_a_few_to_300_with_bursts(ext):
    w = ext.world
    days = range(DAY - 60, DAY)
    listed = {(u, d): sum(p.ms_played >= 30_000 for p in w.plays_on(u, d))
              for u in range(w.n_users) for d in days}
    light = [n for (u, _), n in listed.items() if w.users[u].light]
    heavy = [n for (u, d), n in listed.items() if w.users[u].heavy and not w.is_burst_day(u, d)]
    bursts = [n for (u, d), n in listed.items() if w.is_burst_day(u, d)]
    assert max(light) < 15 and min(light) == 0
    assert heavy and 50 < sum(heavy) / len(heavy) < 160
    assert bursts and max(bursts) > 200 and max(listed.values()) <= 300
    # a burst is one long session: the party, the drive
    u, d = next(key for key in listed if w.is_burst_day(*key))
    gaps = np.diff([p.played_at_ms for p in w.plays_on(u, d)])
    assert gaps.max() < 13 * 60_000  # the longest track, never a break


def test_listed_plays_between_are_what_recently_played_reaches(ext):
    w = ext.world
    u = next(u.index for u in w.users if u.heavy)
    end = (DAY - dt.date(1970, 1, 1).toordinal()) * 86_400_000
    recent = w.recent_plays(u, end)
    between = w.listed_plays_between(u, recent[-1].played_at_ms, end + 1)
    assert [p.played_at_ms for p in reversed(recent)] == [p.played_at_ms for p in between]
