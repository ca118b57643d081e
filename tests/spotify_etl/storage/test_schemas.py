"""The validators describe what the pipeline really writes, and what docs/data-model.md says."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analyst_data import COLLECTIONS
from spotify_etl.storage.schemas import SCHEMAS, apply_validators, validate_document, validator

DATA_MODEL = Path(__file__).parents[3] / "docs" / "data-model.md"


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_document_the_pipeline_wrote_validates(dataset, collection):
    documents = dataset["documents"][collection]
    assert documents
    problems = {str(d["_id"]): validate_document(collection, d) for d in documents}
    assert {k: v for k, v in problems.items() if v} == {}


def test_development_mode_nulls_validate(dataset):
    artist = dict(dataset["documents"]["artists"][0], popularity=None, followers=None)
    track = dict(dataset["documents"]["tracks"][0], popularity=None, isrc=None)
    assert validate_document("artists", artist) == []
    assert validate_document("tracks", track) == []


@pytest.mark.parametrize("change, message", [
    ({"rank": 51}, "rank: 51 is greater than the maximum of 50"),
    ({"rank": 0}, "rank: 0 is less than the minimum of 1"),
    ({"rank": 3.0}, "rank: 3.0 is not of type 'int'"),
    ({"genres": "rock"}, "genres: 'rock' is not of type 'array', 'null'"),
    ({"colour": "blue"}, "Additional properties are not allowed ('colour' was unexpected)"),
])
def test_a_broken_item_of_a_top_list_is_named(dataset, change, message):
    top = next(d for d in dataset["documents"]["top_lists"] if d["kind"] == "artists")
    document = {**top, "items": [{**top["items"][0], **change}, *top["items"][1:]]}
    assert any(message in problem for problem in validate_document("top_lists", document))


@pytest.mark.parametrize("change, message", [
    ({"kind": "albums"}, "kind: 'albums' is not one of ['artists', 'tracks']"),
    ({"time_range": "forever"}, "time_range: 'forever' is not one of"),
    ({"snapshot_date": "20/11/2026"}, "snapshot_date: '20/11/2026' does not match"),
    ({"item_count": 51}, "item_count: 51 is greater than the maximum of 50"),
    ({"colour": "blue"}, "Additional properties are not allowed ('colour' was unexpected)"),
])
def test_a_broken_top_list_is_named(dataset, change, message):
    document = {**dataset["documents"]["top_lists"][0], **change}
    assert any(message in problem for problem in validate_document("top_lists", document))


def test_missing_fields_and_wrong_instants_are_named(dataset):
    play = dict(dataset["documents"]["plays"][0])
    del play["track_id"]
    play["played_at"] = "2026-11-20T10:00:00Z"  # a string, not a BSON date
    problems = validate_document("plays", play)
    assert "(document): 'track_id' is a required property" in problems
    assert any(p.startswith("played_at:") for p in problems)
    run = {**dataset["documents"]["runs"][0], "status": "exploded", "attempts": 0}
    assert len(validate_document("runs", run)) == 2
    user = {**dataset["documents"]["users"][0], "consented_at": datetime.now(UTC).isoformat()}
    assert validate_document("users", user)


def _documented_fields() -> dict[str, set[str]]:
    """The top-level fields of each example document in docs/data-model.md."""
    text = DATA_MODEL.read_text()
    fields: dict[str, set[str]] = {}
    for section in re.split(r"\n## ", text)[1:]:
        title = section.split("\n", 1)[0]
        blocks = re.findall(r"```json\n(.*?)```", section, re.S)
        if not blocks:
            continue
        parts = re.split(r"^// (\w+)\n", blocks[0], flags=re.M)
        named = (dict(zip(parts[1::2], parts[2::2])) if len(parts) > 1
                 else {title.split()[0]: blocks[0]})
        for collection, example in named.items():
            depth, keys = 0, set()
            for match in re.finditer(r'[{}\[\]]|"([^"]+)":', example):
                token = match.group(0)
                if token in "{[":
                    depth += 1
                elif token in "}]":
                    depth -= 1
                elif depth == 1:
                    keys.add(match.group(1))
            fields[collection] = keys
    return fields


def test_schemas_have_exactly_the_documented_fields():
    documented = _documented_fields()
    assert set(documented) == set(SCHEMAS)
    for collection, schema in SCHEMAS.items():
        assert set(schema["properties"]) == documented[collection], collection


def test_validators_are_mongodb_json_schema():
    # Keywords MongoDB's $jsonSchema rejects; `type` would mean JSON types, not BSON ones.
    unsupported = {"$ref", "$schema", "default", "definitions", "format", "id", "type"}

    def keywords(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key != "properties":
                    yield key
                yield from keywords(value)
        elif isinstance(node, list):
            for value in node:
                yield from keywords(value)

    for collection in SCHEMAS:
        document = validator(collection)
        assert list(document) == ["$jsonSchema"]
        assert not set(keywords(document["$jsonSchema"])) & unsupported


def test_the_embedded_store_is_left_without_validators_and_still_takes_writes(dataset, caplog):
    import mongomock_ng as mongomock

    db = mongomock.MongoClient(tz_aware=True)["spotify_etl"]
    with caplog.at_level("INFO"):
        assert apply_validators(db) == []
    assert "Schema validators skipped" in caplog.text
    db.top_lists.insert_one(dict(dataset["documents"]["top_lists"][0]))
    assert db.top_lists.count_documents({}) == 1
