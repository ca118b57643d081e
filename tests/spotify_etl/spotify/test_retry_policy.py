"""Airflow retries after Spotify's Retry-After, unless the wait is longer than allowed."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk.definitions.retry_policy import RetryAction

from spotify_etl.spotify.client import RateLimited
from spotify_etl.spotify.retry_policy import RetryAfterPolicy


def test_a_long_rate_limit_is_retried_after_the_wait_spotify_asked_for(monkeypatch):
    monkeypatch.delenv("SPOTIFY_ETL_RATE_LIMIT_RETRY_MAX_WAIT", raising=False)
    decision = RetryAfterPolicy().evaluate(RateLimited(3600), 1, 4)
    assert decision.action == RetryAction.RETRY
    assert decision.retry_delay == timedelta(seconds=3605)


def test_a_wait_longer_than_allowed_fails_at_once_saying_when_to_retry(monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_RATE_LIMIT_RETRY_MAX_WAIT", "0")
    decision = RetryAfterPolicy().evaluate(RateLimited(3600, "QUOTA_EXCEEDED"), 1, 4)
    assert decision.action == RetryAction.FAIL
    assert "wait 3600 s" in decision.reason and "try again after" in decision.reason


def test_other_failures_keep_the_usual_back_off(monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_RATE_LIMIT_RETRY_MAX_WAIT", "0")
    assert RetryAfterPolicy().evaluate(ValueError("x"), 1, 4).action == RetryAction.DEFAULT
