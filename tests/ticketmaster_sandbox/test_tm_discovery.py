"""The Ticketmaster sandbox answers in Discovery v2's shapes, deterministically."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
import requests

from ticketmaster_sandbox import API_KEY, TicketmasterSandboxServer
from ticketmaster_sandbox.cities import LONDON, VENUES

WINDOW = {"startDateTime": "2026-12-01T00:00:00Z", "endDateTime": "2027-03-01T00:00:00Z"}


def get(server, resource, **params):
    return requests.get(server.api_url + resource, params={"apikey": API_KEY, **params},
                        timeout=10)


@pytest.fixture
def tm(ticketmaster):
    from concert_env import fresh_gateway

    fresh_gateway(ticketmaster)
    return ticketmaster


def linked_attraction(world):
    return next(a for a in world.attractions if a.spotify_id and not a.namesake
                and len(world.events(dt.date(2026, 12, 1), dt.date(2027, 3, 1), {a.index})) > 3)


def test_events_of_an_attraction_come_in_ticketmasters_shape(tm):
    attraction = linked_attraction(tm.world)
    body = get(tm, "events.json", attractionId=attraction.id, classificationName="music",
               size=200, **WINDOW).json()
    events = body["_embedded"]["events"]
    assert body["page"] == {"size": 200, "totalElements": len(events), "totalPages": 1,
                            "number": 0}
    for event in events:
        start = event["dates"]["start"]
        venue = event["_embedded"]["venues"][0]
        assert isinstance(venue["location"]["latitude"], str)  # strings, as Ticketmaster sends
        assert event["dates"]["timezone"] == venue["timezone"]
        assert attraction.id in [a["id"] for a in event["_embedded"]["attractions"]]
        if "dateTime" in start:  # the local date and time are the UTC instant in the venue's zone
            instant = dt.datetime.strptime(start["dateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.timezone.utc).astimezone(ZoneInfo(event["dates"]["timezone"]))
            assert (instant.date().isoformat(), instant.strftime("%H:%M:%S")) == (
                start["localDate"], start["localTime"])
            assert "2026-12-01" <= start["dateTime"][:10] < "2027-03-01"
        else:
            assert start["timeTBA"] is True and "localTime" not in start
    links = {a["id"]: a.get("externalLinks", {}) for e in events
             for a in e["_embedded"]["attractions"]}
    assert links[attraction.id]["spotify"] == [
        {"url": f"https://open.spotify.com/artist/{attraction.spotify_id}"}]


def test_the_same_seed_gives_the_same_concerts_in_another_process(tm):
    attraction = linked_attraction(tm.world)
    code = ("import datetime as dt, json\nfrom ticketmaster_sandbox import ConcertWorld\n"
            "w = ConcertWorld(seed=42)\n"
            f"a = w.attraction_by_id[{attraction.id!r}]\n"
            "print(json.dumps([e.id for e in w.events(dt.date(2026, 12, 1), dt.date(2027, 3, 1),"
            " {a.index})]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    here = [e.id for e in tm.world.events(dt.date(2026, 12, 1), dt.date(2027, 3, 1),
                                          {attraction.index})]
    assert done.stdout.strip() == str(here).replace("'", '"')


def test_a_geo_search_keeps_venues_within_the_radius_in_either_unit(tm):
    near = {"latlong": f"{LONDON.latitude},{LONDON.longitude}", **WINDOW, "size": 200}
    distance = dict(zip((v.name for v in VENUES),
                        tm.world.distances_km(LONDON.latitude, LONDON.longitude)))
    assert 5.5 < distance["Eventim Apollo"] < 5.5 * 1.609344 < distance["Alexandra Palace"]
    for params, radius_km in (({"radius": 5.5, "unit": "km"}, 5.5),
                              ({"radius": 5.5}, 5.5 * 1.609344)):  # miles: Ticketmaster's default
        body = get(tm, "events.json", **near, **params).json()
        venues = {e["_embedded"]["venues"][0]["name"] for e in body["_embedded"]["events"]}
        assert venues == {name for name, d in distance.items() if d <= radius_km}
        assert all(e["distance"] <= radius_km + 0.01 and e["units"] == "KILOMETERS"
                   for e in body["_embedded"]["events"])


def test_an_empty_answer_has_a_page_but_no_embedded_list(tm):
    body = get(tm, "events.json", keyword="no such band anywhere", **WINDOW).json()
    assert "_embedded" not in body
    assert body["page"] == {"size": 20, "totalElements": 0, "totalPages": 0, "number": 0}
    sports = get(tm, "attractions.json", classificationName="sports").json()
    assert "_embedded" not in sports


def test_attraction_search_finds_namesakes_and_links_never_carry_the_key(tm):
    world = tm.world
    real = {a.artist for a in world.attractions if not a.namesake}
    namesake = next(a for a in world.attractions if a.namesake and a.artist in real)
    body = get(tm, "attractions.json", keyword=namesake.name, size=50).json()
    same_name = [a for a in body["_embedded"]["attractions"] if a["name"] == namesake.name]
    assert namesake.id in [a["id"] for a in same_name] and len(same_name) >= 2
    theirs = str(world.spotify.artist_ids[namesake.artist])
    linked_to_them = [a for a in same_name if f"artist/{theirs}" in str(a.get("externalLinks"))]
    assert namesake.id not in [a["id"] for a in linked_to_them]  # a namesake never links to them
    assert API_KEY not in str(body)


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"page": 5, "size": 200}, 400, "DIS1035"),
    ({"startDateTime": "2026-12-01"}, 400, "DIS1015"),
    ({"unit": "furlongs", "latlong": "1,1"}, 400, "DIS1015"),
])
def test_bad_parameters_get_discovery_errors(tm, params, status, code):
    answer = get(tm, "events.json", **params)
    assert answer.status_code == status
    assert answer.json()["errors"][0]["code"] == code


def test_the_gateway_wants_the_api_key(tm):
    missing = requests.get(tm.api_url + "events.json", timeout=10)
    wrong = requests.get(tm.api_url + "events.json", params={"apikey": "nope"}, timeout=10)
    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["fault"]["detail"]["errorcode"] == "steps.oauth.v2.FailedToResolveAPIKey"
    assert wrong.json()["fault"]["faultstring"] == "Invalid ApiKey"


def test_the_daily_quota_runs_out_with_ticketmasters_headers_and_body(tm):
    tm.gateway.set_quota(limit=3, used=0)
    answers = [get(tm, "attractions.json", keyword="the") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["Rate-Limit-Available"] for a in answers[:3]] == ["2", "1", "0"]
    over = answers[3]
    assert over.headers["Rate-Limit-Over"] == "1"
    reset = dt.datetime.fromtimestamp(int(over.headers["Rate-Limit-Reset"]) / 1000, dt.timezone.utc)
    assert reset.time() == dt.time(0) and reset > dt.datetime.now(dt.timezone.utc)
    assert over.json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation"
    tm.gateway.set_quota(used=0)  # a new day
    assert get(tm, "attractions.json", keyword="the").status_code == 200


def test_faults_on_demand_then_normal_service(tm):
    control = tm.url + "/__sandbox/faults"
    requests.post(control, json={"server_errors": {"count": 2, "status": 503}},
                  timeout=5).raise_for_status()
    statuses = [get(tm, "attractions.json", keyword="x").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    requests.post(control, json={"rate_limit": {"count": 1, "kind": "spike"}}, timeout=5)
    spike = get(tm, "attractions.json", keyword="x")
    assert spike.status_code == 429
    assert spike.json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.SpikeArrestViolation"
    counters = requests.get(tm.url + "/__sandbox/counters", timeout=5).json()
    assert counters["refused"] == {"503": 2, "429 spike": 1}
    assert requests.post(control, json={"bogus": 1}, timeout=5).status_code == 400


def test_spike_arrest_refuses_more_than_the_rate_in_one_second(ticketmaster):
    with TicketmasterSandboxServer(port=0, seed=42, rate_per_second=2,
                                   world=ticketmaster.world.spotify) as server:
        statuses = [get(server, "attractions.json", keyword="x").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_command_line_prints_its_address_first():
    process = subprocess.Popen([sys.executable, "-m", "ticketmaster_sandbox", "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("Ticketmaster sandbox listening on http://127.0.0.1:")
        info = requests.get(line.rsplit(" ", 1)[-1] + "/__sandbox/info", timeout=10).json()
        assert info["quota"]["limit"] == 5000 and info["rate_per_second"] == 5
        assert API_KEY not in str(info)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert math.isfinite(process.returncode)
