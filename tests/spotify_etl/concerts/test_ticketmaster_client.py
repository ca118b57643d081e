"""The Ticketmaster provider: exact matching, paging, limits, retries, and a key kept secret."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests

from spotify_etl.concerts import ticketmaster
from spotify_etl.concerts.geo import Point, great_circle_km
from spotify_etl.concerts.provider import (ProviderNotConfigured, ProviderRefused,
                                           ProviderUnavailable, QuotaExhausted)
from spotify_etl.concerts.ticketmaster import TicketmasterProvider, match_attraction
from spotify_etl.constants import MATCH_NAME, MATCH_SPOTIFY_LINK
from spotify_etl.settings import Settings
from ticketmaster_payloads import BJORK, RADIOHEAD, attraction

SECRET = "tm-key-0b7e5c1d9a4f4e2b8c6d"
START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 12, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def private(ticketmaster):
    """A sandbox of its own, with a distinctive key, for tests that spend quota or arm faults."""
    from ticketmaster_sandbox import TicketmasterSandboxServer

    with TicketmasterSandboxServer(port=0, seed=42, api_key=SECRET, rate_per_second=0,
                                   world=ticketmaster.world.spotify) as server:
        yield server


@pytest.fixture
def tm(private):
    from concert_env import fresh_gateway

    fresh_gateway(private)
    return private


def provider_for(server, **changes) -> TicketmasterProvider:
    settings = Settings(ticketmaster_api_key=SECRET, ticketmaster_api_base_url=server.api_url,
                        ticketmaster_requests_per_second=0, server_error_retries=2)
    for name, value in changes.pop("settings", {}).items():
        object.__setattr__(settings, name, value)
    return TicketmasterProvider(settings, sleep=changes.pop("sleep", lambda s: None), **changes)


def test_the_spotify_link_decides_even_when_namesakes_come_first():
    impostor = attraction("K8vZ917Gku7", "Radiohead", BJORK)  # linked to someone else
    tribute = attraction("K8vZ917_tribute", "Radiohead")  # no Spotify link at all
    real = attraction("K8vZ9171ob7", "Radiohead", RADIOHEAD)
    match = match_attraction(RADIOHEAD, "Radiohead", [impostor, tribute, real])
    assert (match.performer_id, match.matched_by) == ("K8vZ9171ob7", MATCH_SPOTIFY_LINK)


def test_a_name_alone_matches_only_a_single_unlinked_namesake_and_says_so():
    tribute = attraction("K8vZ917_tribute", "radiohead ")
    impostor = attraction("K8vZ917Gku7", "Radiohead", BJORK)
    match = match_attraction(RADIOHEAD, "Radiohead", [impostor, tribute])
    assert (match.performer_id, match.matched_by) == ("K8vZ917_tribute", MATCH_NAME)
    other = attraction("K8vZ917_other", "Radiohead")
    assert match_attraction(RADIOHEAD, "Radiohead", [tribute, other]) is None  # ambiguous
    assert match_attraction(RADIOHEAD, "Radiohead", [impostor]) is None  # someone else's


def test_links_are_recognised_in_every_form_spotify_writes_them():
    for url in (f"https://open.spotify.com/artist/{RADIOHEAD}",
                f"https://open.spotify.com/intl-de/artist/{RADIOHEAD}?si=abc",
                f"spotify:artist:{RADIOHEAD}"):
        assert ticketmaster.spotify_artist_id(url) == RADIOHEAD
    assert ticketmaster.spotify_artist_id("https://open.spotify.com/album/" + RADIOHEAD) is None


def test_sandbox_artists_are_found_by_link_by_name_or_not_at_all(tm):
    world, provider = tm.world, provider_for(tm)
    linked = next(a for a in world.attractions if a.spotify_id and not a.namesake)
    unlinked = next(a for a in world.attractions if not a.spotify_id and not a.namesake
                    and sum(b.name == a.name for b in world.attractions) == 1)
    off_ticketmaster = next(a for a in world.attractions if a.namesake and a.spotify_id and not any(
        b.artist == a.artist and not b.namesake for b in world.attractions))
    spotify = world.spotify
    found = provider.find_artist(linked.spotify_id, linked.name)
    assert (found.performer_id, found.matched_by) == (linked.id, MATCH_SPOTIFY_LINK)
    by_name = provider.find_artist(str(spotify.artist_ids[unlinked.artist]), unlinked.name)
    assert (by_name.performer_id, by_name.matched_by) == (unlinked.id, MATCH_NAME)
    # Only a namesake linked to another artist is on Ticketmaster: no match.
    assert provider.find_artist(str(spotify.artist_ids[off_ticketmaster.artist]),
                                off_ticketmaster.name) is None
    assert provider.requests == 3


def test_every_page_is_read_and_the_depth_limit_is_reported(tm, monkeypatch):
    attraction_ = max(tm.world.attractions, key=lambda a: tm.world.attraction_popularity[a.index])
    expected = [e.id for e in tm.world.events(START.date() - timedelta(days=1),
                                              END.date() + timedelta(days=1), {attraction_.index})
                if START <= e.sort_key()[0] <= END]  # starting within the window, in UTC
    monkeypatch.setattr(ticketmaster, "PAGE_SIZE", 7)
    provider = provider_for(tm)
    upcoming = provider.upcoming_events(attraction_.id, START, END)
    assert upcoming.complete and provider.requests == -(-len(expected) // 7)
    assert sorted(c["event_id"] for c in upcoming.concerts) == sorted(expected)
    monkeypatch.setattr(ticketmaster, "MAX_DEPTH", 14)
    shallow = provider_for(tm).upcoming_events(attraction_.id, START, END)
    assert not shallow.complete and len(shallow.concerts) == 14


def test_a_search_near_a_point_sends_latlong_radius_and_km(tm):
    attraction_ = max(tm.world.attractions, key=lambda a: tm.world.attraction_popularity[a.index])
    london = Point(51.5074, -0.1278)
    upcoming = provider_for(tm).upcoming_events(attraction_.id, START, END, near=london,
                                                radius_km=10)
    assert upcoming.concerts
    for concert in upcoming.concerts:
        venue = Point(concert["venue"]["latitude"], concert["venue"]["longitude"])
        assert great_circle_km(london, venue) <= 10.05


def test_requests_are_spaced_under_the_per_second_limit(tm):
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    provider = provider_for(tm, settings={"ticketmaster_requests_per_second": 4.0}, sleep=sleep,
                            clock=lambda: now[0])
    for _ in range(3):
        provider.find_artist("x" * 22, "Nobody At All")
    assert waits == pytest.approx([0.25, 0.25])


def test_server_errors_and_spike_arrests_are_retried_with_back_off(tm):
    waits: list[float] = []
    requests.post(tm.url + "/__sandbox/faults",
                  json={"server_errors": {"count": 2, "status": 502},
                        "rate_limit": {"count": 1, "kind": "spike"}}, timeout=5)
    provider = provider_for(tm, sleep=waits.append)
    assert provider.find_artist("x" * 22, "Nobody") is None
    assert provider.requests == 4 and waits == [1.0, 0.5, 1.0]  # spike, then 5xx back-off
    requests.post(tm.url + "/__sandbox/faults",
                  json={"server_errors": {"count": 5, "status": 503}}, timeout=5)
    with pytest.raises(ProviderUnavailable, match="HTTP 503 after 2 retries"):
        provider.find_artist("x" * 22, "Nobody")


def test_a_spent_quota_stops_until_the_reset_ticketmaster_announced(tm):
    tm.gateway.set_quota(limit=2, used=0)
    provider = provider_for(tm)
    provider.find_artist("x" * 22, "One")
    provider.find_artist("x" * 22, "Two")
    with pytest.raises(QuotaExhausted) as first:
        provider.find_artist("x" * 22, "Three")
    assert provider.requests == 2  # the headers said none were left: nothing was sent
    midnight = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC).timestamp() \
        + 86_400
    assert abs(first.value.retry_after - (midnight - datetime.now(UTC).timestamp())) < 5
    fresh = provider_for(tm)  # a process that has not seen the headers gets the 429
    with pytest.raises(QuotaExhausted):
        fresh.find_artist("x" * 22, "Four")
    assert fresh.requests == 1


def test_the_api_key_is_never_logged_shown_or_raised(tm, caplog):
    caplog.set_level(logging.DEBUG)
    provider = provider_for(tm)
    attraction_ = tm.world.attractions[0]
    provider.find_artist(attraction_.spotify_id or "x" * 22, attraction_.name)
    provider.upcoming_events(attraction_.id, START, END)
    errors = []
    tm.gateway.set_quota(limit=0)
    for call in (lambda: provider_for(tm).find_artist("x" * 22, "Q"),):
        with pytest.raises(QuotaExhausted) as raised:
            call()
        errors.append(str(raised.value))
    unreachable = provider_for(tm, settings={"ticketmaster_api_base_url":
                                             "http://127.0.0.1:9/discovery/v2/"})
    with pytest.raises(ProviderUnavailable) as raised:
        unreachable.find_artist("x" * 22, "Offline")
    errors.append(str(raised.value))
    wrong = provider_for(tm, settings={"ticketmaster_api_key": "not-" + SECRET})
    with pytest.raises(ProviderRefused) as raised:
        wrong.find_artist("x" * 22, "Refused")
    errors.append(str(raised.value))
    assert "apikey=[redacted]" in caplog.text  # urllib3's request lines were seen, and cleaned
    everything = caplog.text + " ".join(errors) + repr(provider)
    assert SECRET not in everything and "TICKETMASTER_API_KEY" in errors[-1]
    assert SECRET not in repr(Settings(ticketmaster_api_key=SECRET))


def test_no_key_means_no_provider():
    with pytest.raises(ProviderNotConfigured, match="TICKETMASTER_API_KEY"):
        TicketmasterProvider(Settings())
