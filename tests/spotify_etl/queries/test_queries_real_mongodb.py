"""The analyst toolkit against a real MongoDB (7 or 8) when MONGODB_URI is set: validators
reject bad documents, views answer, every question gives the embedded store's answer and its
`explain` shows an index scan.

Uses a throwaway database and drops it afterwards.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest

from analyst_data import COLLECTIONS, load_into, someone_sharing
from spotify_etl.queries.questions import QUERIES, build, execute, explain, plan_stages
from spotify_etl.storage.schemas import SCHEMAS, apply_validators
from spotify_etl.storage.views import VIEWS, create_views, run_view
from spotify_etl.storage import ensure_indexes

pytestmark = [
    pytest.mark.mongodb,
    pytest.mark.skipif(not os.environ.get("MONGODB_URI"),
                       reason="MONGODB_URI is not set: no real MongoDB to test against"),
]


@pytest.fixture(scope="module")
def real_db(dataset):
    from pymongo import MongoClient

    client = MongoClient(os.environ["MONGODB_URI"], tz_aware=True, serverSelectionTimeoutMS=10_000)
    db = client[f"spotify_etl_test_{uuid.uuid4().hex[:8]}"]
    try:
        assert apply_validators(db) == list(SCHEMAS)
        ensure_indexes(db)
        assert create_views(db) == list(VIEWS)
        load_into(db, dataset["documents"])  # through the validators
        yield db
    finally:
        client.drop_database(db.name)
        client.close()


def _params(store, dataset, name):
    if name != "shares_my_number_one":
        return {}
    return someone_sharing(store, dataset)


def _normal(rows):
    """Rows as comparable JSON (mongomock gives some dates as pandas Timestamps)."""
    import pandas as pd

    def plain(value):
        if hasattr(value, "isoformat"):
            return pd.Timestamp(value).tz_convert("UTC").isoformat()
        return value

    return [json.dumps({k: plain(v) for k, v in sorted(row.items())}, default=str, sort_keys=True)
            for row in rows]


def test_validators_are_installed_moderate_and_reapplied_idempotently(real_db):
    options = {c["name"]: c.get("options", {}) for c in real_db.list_collections()}
    for name in COLLECTIONS:
        assert options[name]["validator"] == {"$jsonSchema": SCHEMAS[name]}
        assert options[name]["validationLevel"] == "moderate"
        assert options[name]["validationAction"] == "error"
    assert apply_validators(real_db) == list(SCHEMAS)


def test_a_document_violating_the_schema_is_rejected(real_db, dataset):
    from pymongo.errors import WriteError

    top = dataset["documents"]["top_lists"][0]
    document = {**top, "_id": "bad|rank", "items": [{**top["items"][0], "rank": 51}]}
    with pytest.raises(WriteError) as error:
        real_db.top_lists.insert_one(document)
    assert error.value.code == 121  # DocumentValidationFailure
    with pytest.raises(WriteError):
        real_db.runs.update_one({"_id": dataset["documents"]["runs"][0]["_id"]},
                                {"$set": {"status": "exploded"}})


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_answers_as_on_the_embedded_store_and_uses_an_index(real_db, store, dataset,
                                                                       name):
    params = _params(store, dataset, name)
    spec = build(real_db, name, **params)
    assert spec == build(store, name, **params)  # same defaults from the same data
    rows = execute(real_db, spec)
    assert rows
    assert sorted(_normal(rows)) == sorted(_normal(execute(store, spec)))
    stages = plan_stages(explain(real_db, spec))
    assert "IXSCAN" in stages and "COLLSCAN" not in stages, stages


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_answer_like_their_pipelines(real_db, store, name):
    rows = list(real_db[name].find())
    assert rows
    assert sorted(_normal(rows)) == sorted(_normal(run_view(store, name)))


def test_views_are_views_and_are_replaced_idempotently(real_db):
    kinds = {c["name"]: c.get("type") for c in real_db.list_collections()}
    assert all(kinds[name] == "view" for name in VIEWS)
    assert create_views(real_db) == list(VIEWS)
    assert real_db.artist_leaderboard.find_one()["people"] >= 1
