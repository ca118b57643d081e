"""The client's failure policy, on the exceptions spotipy really raises."""

from __future__ import annotations

import pytest
import spotipy
from spotipy.exceptions import SpotifyException, SpotifyOauthError

from spotify_etl.settings import Settings
from spotify_etl.spotify.client import (NeedsReauthorization, RateLimited, SpotifySource,
                                        SpotifyUnavailable)


@pytest.fixture
def source():
    slept: list[float] = []
    settings = Settings(client_id="id", client_secret="secret", rate_limit_max_wait=60)
    src = SpotifySource(settings, spotipy.MemoryCacheHandler(), sleep=slept.append)
    src.slept = slept
    return src


def failing(*errors):
    remaining = list(errors)

    def call():
        if remaining:
            raise remaining.pop(0)
        return {"ok": True}
    return call


def test_a_short_retry_after_is_waited_out(source):
    error = SpotifyException(429, -1, "url:\n API rate limit exceeded", headers={"Retry-After": "3"})
    assert source.call(failing(error, error)) == {"ok": True}
    assert source.slept == [3, 3]


def test_a_long_retry_after_fails_with_the_wait_and_the_reason(source):
    error = SpotifyException(429, -1, "url:\n Too many requests", reason="QUOTA_EXCEEDED",
                             headers={"Retry-After": "7200"})
    with pytest.raises(RateLimited, match=r"retry after 7200 s \(QUOTA_EXCEEDED\)") as raised:
        source.call(failing(error))
    assert raised.value.retry_after == 7200 and source.slept == []


def test_spotipys_max_retries_is_an_outage_not_a_rate_limit(source):
    error = SpotifyException(429, -1, "/v1/me/top/tracks:\n Max Retries",
                             reason="too many 502 error responses")
    with pytest.raises(SpotifyUnavailable, match="kept failing"):
        source.call(failing(error))


def test_a_real_429_without_retry_after_waits_a_minute(source):
    error = SpotifyException(429, -1, "url:\n API rate limit exceeded", headers={})
    assert source.call(failing(error)) == {"ok": True}
    assert source.slept == [60]


def test_invalid_grant_means_the_person_must_reconnect(source):
    error = SpotifyOauthError("error: invalid_grant", error="invalid_grant",
                              error_description="Refresh token revoked")
    with pytest.raises(NeedsReauthorization, match="Refresh token revoked"):
        source.call(failing(error))
