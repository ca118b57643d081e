"""Bins: coherent groups with labels and reasons, stable for the same data, clear when empty."""

from __future__ import annotations

import random

from spotify_etl.concerts import repository, service
from spotify_etl.concerts.bins import choose_artists, group, label
from spotify_etl.concerts.parameters import bins_query
from spotify_etl.concerts.similarity import SimilarityModel
from spotify_etl.settings import load_settings
from spotify_etl.storage import open_database

BERLIN = {"latitude": 52.52, "longitude": 13.405, "radius": 25}


def bins_for(db, person, settings, day, *, model=None, provider=True, **where):
    query = bins_query(**{**BERLIN, **where}, today=day, horizon_days=365)
    answer = service.person_bins(
        db, person, query, settings=settings, today=day,
        provider=service.provider_from_settings(settings) if provider else None,
        model=model or service.similarity_model(db))
    answer.pop("fetch")
    return answer


def test_bins_are_the_same_for_the_same_data(concerts_env):
    settings = load_settings()
    day = service.today_utc()
    with open_database(settings) as db:
        answers = [bins_for(db, person, settings, day) for person in concerts_env]
        again = [bins_for(db, person, settings, day, provider=False) for person in concerts_env]
        # The same inputs in another order: a model built from shuffled dicts.
        listening, genres, names = repository.listening_inputs(db)
        shuffled = {}
        for person in random.Random(7).sample(sorted(listening), len(listening)):
            items = list(listening[person].items())
            random.Random(person).shuffle(items)
            shuffled[person] = dict(items)
        model = SimilarityModel(shuffled, dict(reversed(list(genres.items()))), names)
        reordered = [bins_for(db, p, settings, day, model=model, provider=False)
                     for p in concerts_env]
    assert answers == again == reordered
    assert sum(a["summary"]["concerts"] for a in answers) > 0


def test_every_artist_and_concert_says_why_it_is_there(concerts_env):
    settings = load_settings()
    day = service.today_utc()
    with open_database(settings) as db:
        answer = bins_for(db, concerts_env[0], settings, day, date_end=None)
        top = repository.person_top_artists(db, concerts_env[0],
                                            repository.snapshot_dates(db)[concerts_env[0]],
                                            "medium_term")[:5]
    names = {item["name"]: item["rank"] for item in top}
    reasons = [why for a in answer["artists"] for why in a["why"]]
    assert sorted(r for r in reasons if r.startswith("top artist")) == sorted(
        f"top artist #{rank}" for rank in names.values())
    for reason in (r for r in reasons if r.startswith("similar to")):
        assert reason.removeprefix("similar to ").rsplit(" (", 1)[0] in names
    labels = [b["label"] for b in answer["bins"]]
    assert len(labels) == len(set(labels))
    for b in answer["bins"]:
        members = {a["artist_id"] for a in b["artists"]}
        dates = [c["date"] for c in b["concerts"]]
        assert dates == sorted(dates) and all(answer["date_begin"] <= d <= answer["date_end"]
                                              for d in dates)
        for concert in b["concerts"]:
            assert concert["distance_km"] <= 25 and concert["status"] != "canceled"
            assert {a["artist_id"] for a in concert["artists"]} <= members
            assert all(a["role"] in ("headliner", "support") for a in concert["artists"])


def test_nothing_nearby_is_a_clear_empty_answer(concerts_env):
    settings = load_settings()
    day = service.today_utc()
    with open_database(settings) as db:
        answer = bins_for(db, concerts_env[0], settings, day, latitude=0.0, longitude=-140.0)
    assert answer["bins"] == [] and answer["summary"]["concerts"] == 0
    assert answer["artists"]  # who was considered is still said
    assert answer["message"].startswith("No concerts of your artists or artists like them "
                                        "within 25 km of 0,-140 between")


def test_one_person_alone_still_gets_similar_artists_from_genres(concerts_env):
    settings = load_settings()
    day = service.today_utc()
    with open_database(settings) as db:
        listening, genres, names = repository.listening_inputs(db)
        alone = SimilarityModel({concerts_env[0]: listening[concerts_env[0]]}, genres, names)
        answer = bins_for(db, concerts_env[0], settings, day, model=alone, provider=False)
    similar = [a for a in answer["artists"] if a["why"][0].startswith("similar to")]
    assert len(similar) >= 5


def test_bins_merge_alike_artists_and_are_named_by_their_dominant_genres():
    genres = {"r1": ["indie rock", "shoegaze"], "r2": ["indie rock", "shoegaze", "dream pop"],
              "r3": ["shoegaze", "indie rock"], "t1": ["techno"], "t2": ["techno", "house"],
              "j1": []}
    names = {a: a.upper() for a in genres}
    model = SimilarityModel({}, genres, names)
    top = [{"item_id": a, "name": names[a], "rank": r, "genres": genres[a]}
           for r, a in enumerate(["r1", "t1", "r2", "j1"], start=1)]
    chosen = choose_artists(top, model, top_artists=4, related_artists=1)
    by_id = {c["artist_id"]: c for c in chosen}
    # G(r1, r3) = (2/3 + 3/4) / 2 = 0.71; G(r2, r3) = (2/4 + 3/6) / 2 = 0.5
    assert by_id["r3"]["why"] == ["similar to R1 (0.71)", "similar to R2 (0.50)"]
    assert by_id["r3"]["seed"] == "r1" and by_id["t2"]["seed"] == "t1"
    groups = group(model, chosen)
    assert groups == [["r1", "r3", "r2"], ["t1", "t2"], ["j1"]]
    labels = [label([by_id[a] for a in g])[0] for g in groups]
    assert labels == ["indie rock / shoegaze", "techno / house", "J1 and similar"]
    # G(t1, r*) = 0: the techno bin stays apart; a weaker link than MERGE_AT keeps bins apart too
    apart = SimilarityModel({}, {**genres, "r2": ["indie rock", "dream pop"]}, names)
    assert group(apart, choose_artists(top, apart, 4, 1))[0] == ["r1", "r3"]
