"""GET /bins, /artists, /similar and /home behind a person's API token, with 400s that name
the bad parameter and a clear answer when nothing is nearby."""

from __future__ import annotations

import pytest

BERLIN = {"latitude": 52.52, "longitude": 13.405}


def first(api):
    person = next(iter(api.people))
    return person, api.people[person]


def test_bins_need_a_known_token(api):
    missing = api.get("/bins", params=BERLIN)
    unknown = api.get("/bins", params=BERLIN, headers={"Authorization": "Bearer se_nope"})
    assert missing.status_code == unknown.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert "API token" in missing.json()["error"]["message"]


def test_bins_for_the_tokens_person_with_gigscoverys_defaults(api):
    person, headers = first(api)
    answer = api.get("/bins", params=BERLIN, headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["user_id"] == person
    assert (body["radius_km"], body["top_artists"], body["related_artists"]) == (25, 5, 5)
    assert body["bins"] and all(b["label"] and b["concerts"] for b in body["bins"])
    concert = body["bins"][0]["concerts"][0]
    assert set(concert) >= {"date", "time", "venue", "city", "distance_km", "artists", "url"}
    assert concert["artists"][0]["why"]
    assert body["fetch"]["status"] == "complete"
    again = api.get("/bins", params=BERLIN, headers=headers).json()
    assert again["fetch"]["requests"] == 0 and again["bins"] == body["bins"]


@pytest.mark.parametrize(("params", "parameter"), [
    ({"latitude": 123, "longitude": 0}, "latitude"),
    ({**BERLIN, "date_begin": "2026-12-10", "date_end": "2026-12-01"}, "date_end"),
    ({**BERLIN, "radius": 0}, "radius"),
    ({**BERLIN, "radius": 10_000}, "radius"),
    ({**BERLIN, "top_artists": "five"}, "top_artists"),
    ({**BERLIN, "date_begin": "soon"}, "date_begin"),
    ({"longitude": 13.4}, "latitude"),  # no latitude and no saved home
])
def test_a_bad_parameter_gets_a_400_naming_it(api, params, parameter):
    _, headers = first(api)
    answer = api.get("/bins", params=params, headers=headers)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["parameter"] == parameter and parameter in error["message"]


def test_nothing_nearby_is_an_answer_not_an_error(api):
    _, headers = first(api)
    body = api.get("/bins", params={"latitude": -60, "longitude": -30},
                   headers=headers).json()
    assert body["bins"] == [] and body["message"].startswith("No concerts")
    assert body["summary"]["concerts"] == 0 and body["artists"]


def test_a_saved_home_stands_in_for_the_place(api):
    person, headers = first(api)
    saved = api.put("/home", params={**BERLIN, "radius": 30, "label": "home"}, headers=headers)
    assert saved.status_code == 200 and saved.json()["home"]["radius_km"] == 30
    body = api.get("/bins", headers=headers).json()
    assert body["near"] == BERLIN and body["radius_km"] == 30
    assert api.delete("/home", headers=headers).status_code == 204
    assert api.get("/home", headers=headers).json() == {"home": None}
    assert api.get("/bins", headers=headers).status_code == 400


def test_artists_and_similar_artists(api):
    person, headers = first(api)
    top = api.get("/artists", params={"limit": 3}, headers=headers).json()
    assert [a["rank"] for a in top["artists"]] == [1, 2, 3]
    artist = top["artists"][0]["artist_id"]
    similar = api.get("/similar", params={"artist_id": artist, "limit": 4}, headers=headers)
    assert similar.status_code == 200
    body = similar.json()
    assert body["artist"]["artist_id"] == artist and len(body["similar"]) == 4
    assert all(0 < s["score"] <= 1 for s in body["similar"])
    unknown = api.get("/similar", params={"artist_id": "0" * 22}, headers=headers)
    assert unknown.status_code == 404 and "Unknown artist" in unknown.json()["error"]["message"]
    bad = api.get("/similar", params={"artist_id": "short"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "artist_id"


def test_openapi_documents_the_endpoints_and_docs_are_served(api):
    schema = api.get("/openapi.json").json()
    assert {"/bins", "/artists", "/similar", "/home", "/healthz"} <= set(schema["paths"])
    names = {p["name"] for p in schema["paths"]["/bins"]["get"]["parameters"]}
    assert names == {"latitude", "longitude", "date_begin", "date_end", "radius",
                     "top_artists", "related_artists", "time_range"}
    assert "swagger" in api.get("/docs").text.lower()
    health = api.get("/healthz").json()
    assert health["status"] == "ok" and health["concert_provider"] == "configured"
