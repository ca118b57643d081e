"""Injected faults: 429 (with Retry-After and the quota body), 5xx bursts, latency, expired
access tokens, malformed items; and the request counters."""

from __future__ import annotations

import time

import pytest
import requests
from sandbox_helpers import access_token, client, refresh, seed_users
from spotipy import SpotifyException


def arm(srv, **faults):
    answer = requests.post(f"{srv.url}/__sandbox/faults", json=faults, timeout=10)
    answer.raise_for_status()
    return answer.json()


def test_rate_limit_answers_429_with_retry_after_then_recovers(fresh):
    sp = client(fresh, access_token(fresh, 1))
    arm(fresh, rate_limit={"count": 2, "retry_after": 86_000})
    for _ in range(2):
        with pytest.raises(SpotifyException) as limited:
            sp.current_user_top_tracks()
        assert limited.value.http_status == 429
        assert limited.value.headers["Retry-After"] == "86000"
        assert "API rate limit exceeded" in limited.value.msg
    assert sp.current_user_top_tracks()["items"]


def test_quota_exceeded_body_and_path_filter(fresh):
    token = access_token(fresh, 1)
    arm(fresh, rate_limit={"count": 1, "retry_after": 5, "quota_exceeded": True,
                           "paths": "/v1/me/top"})
    assert requests.get(f"{fresh.url}/v1/me", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 200
    answer = requests.get(f"{fresh.url}/v1/me/top/artists",
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "5"
    assert answer.json() == {"error": {"status": 429, "message": "Too many requests",
                                       "reason": "QUOTA_EXCEEDED"}}
    with pytest.raises(SpotifyException) as limited:
        arm(fresh, rate_limit={"count": 1, "retry_after": 5, "quota_exceeded": True})
        client(fresh, token).me()
    assert limited.value.reason == "QUOTA_EXCEEDED"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_burst_then_recovery(fresh, status):
    sp = client(fresh, access_token(fresh, 1))
    arm(fresh, server_errors={"count": 3, "status": status})
    for _ in range(3):
        with pytest.raises(SpotifyException) as failed:
            sp.me()
        assert failed.value.http_status == status
    assert sp.me()["id"] == fresh.world.users[1].id


def test_latency_slows_every_call_until_cleared(fresh):
    sp = client(fresh, access_token(fresh, 1))
    arm(fresh, latency_ms=300)
    start = time.perf_counter()
    sp.me()
    assert time.perf_counter() - start >= 0.3
    requests.delete(f"{fresh.url}/__sandbox/faults", timeout=10)
    start = time.perf_counter()
    sp.me()
    assert time.perf_counter() - start < 0.3


def test_expired_access_tokens_answer_401_and_refresh_fixes_it(fresh):
    rt = seed_users(fresh, 1)[0]["refresh_token"]
    sp = client(fresh, refresh(fresh, rt).json()["access_token"])
    arm(fresh, expire_access_tokens=True)
    with pytest.raises(SpotifyException) as expired:
        sp.me()
    assert expired.value.http_status == 401 and "The access token expired" in expired.value.msg
    assert client(fresh, refresh(fresh, rt).json()["access_token"]).me()


def test_malformed_items_appear_in_the_next_pages_only(fresh):
    sp = client(fresh, access_token(fresh, 1))
    arm(fresh, malformed_items={"count": 2})
    first = sp.current_user_top_tracks(limit=10)["items"]
    second = sp.current_user_top_artists(limit=10)["items"]
    spoiled = [i for i in first + second if not isinstance(i, dict) or "id" not in i]
    assert len(spoiled) == 2
    assert any(isinstance(i, str) for i in spoiled)
    assert any(isinstance(i, dict) and "name" not in i for i in spoiled)
    clean = sp.current_user_top_tracks(limit=10)["items"]
    assert all(isinstance(i, dict) and i["id"] for i in clean)


def test_malformed_play_history_item_lacks_track_id(fresh):
    sp = client(fresh, access_token(fresh, 2))
    arm(fresh, malformed_items={"count": 1})
    items = sp.current_user_recently_played(limit=20)["items"]
    odd = [i for i in items if isinstance(i, dict) and i["track"] and "id" not in i["track"]]
    assert len(odd) == 1


def test_bad_fault_requests_are_refused(fresh):
    answer = requests.post(f"{fresh.url}/__sandbox/faults", json={"meteor": True}, timeout=10)
    assert answer.status_code == 400
    answer = requests.post(f"{fresh.url}/__sandbox/faults",
                           json={"server_errors": {"status": 418}}, timeout=10)
    assert answer.status_code == 400


def test_counters_count_by_template_user_and_token(fresh):
    token = access_token(fresh, 3)
    requests.delete(f"{fresh.url}/__sandbox/counters", timeout=10)
    sp = client(fresh, token)
    artist_id = sp.current_user_top_artists(limit=2)["items"][0]["id"]
    sp.artist(artist_id)
    sp.artist(artist_id)
    refresh(fresh, seed_users(fresh, 1)[0]["refresh_token"])
    counters = requests.get(f"{fresh.url}/__sandbox/counters", timeout=10).json()
    assert counters["by_endpoint"] == {"GET /v1/me/top/artists": 1, "GET /v1/artists/{id}": 2}
    assert counters["total"] == 3 and counters["token"] == 1
    assert counters["by_user"] == {fresh.world.users[3].id: 3}
