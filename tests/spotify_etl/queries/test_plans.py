"""Every documented question is served by an index, by the ESR rule; change an index and a
test here fails."""

from __future__ import annotations

import pytest

from spotify_etl.queries.plans import all_indexes, covering_index, query_shape, serves
from spotify_etl.queries.questions import QUERIES, build
from spotify_etl.storage import INDEXES


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_is_served_by_its_declared_index(name):
    query = QUERIES[name]
    spec = build(None, name, example=True)
    collection, keys = query.index
    assert spec.collection == collection
    assert keys in all_indexes()[collection], f"{name}: {keys} is not declared anywhere"
    filter_, sort = spec.first_match
    assert serves(keys, query_shape(filter_, sort)), f"{name}: {keys} does not serve it"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_without_its_index_a_query_is_not_covered(name):
    collection, keys = QUERIES[name].index
    spec = build(None, name, example=True)
    fewer = {c: [k for k in ks if k != keys] for c, ks in all_indexes().items()}
    assert covering_index(collection, *spec.first_match, indexes=fewer) is None


@pytest.mark.parametrize("keys, filter_, sort, expected", [
    # equality, then sort, then range
    ([("user_id", 1), ("played_at", -1)], {"user_id": "a", "played_at": {"$gte": 1}},
     [("played_at", -1)], True),
    ([("user_id", 1), ("played_at", -1)], {"user_id": "a"}, [("played_at", 1)], True),  # reversed
    ([("played_at", -1), ("user_id", 1)], {"user_id": "a"}, None, False),  # equality not first
    ([("a", 1), ("b", 1)], {"a": 1}, [("b", 1), ("c", 1)], False),  # sort field not indexed
    ([("a", 1), ("b", 1), ("c", -1)], {"a": 1}, [("b", 1), ("c", 1)], False),  # mixed directions
    ([("a", 1), ("r", 1)], {"a": 1, "r": {"$lt": 3}, "x": {"$ne": 2}}, None, True),  # residual
    ([("a", 1), ("r", 1)], {"a": 1, "z": {"$gt": 3}}, None, False),  # range not indexed
    ([("d", 1), ("s", 1)], {"d": {"$gte": "x"}, "s": {"$in": ["f"]}}, [("d", -1), ("s", -1)],
     True),
    ([("genres", 1)], {"genres": "rock"}, None, True),
    ([("status", 1)], {}, [("_id", 1)], False),
])
def test_esr_rule(keys, filter_, sort, expected):
    assert serves(keys, query_shape(filter_, sort)) is expected


def test_unanalysable_filters_are_refused():
    with pytest.raises(ValueError, match=r"\$or"):
        query_shape({"$or": [{"a": 1}]})
    with pytest.raises(ValueError, match="Cannot classify"):
        query_shape({"a": {"$regex": "x"}})


def test_all_indexes_are_the_declared_ones_without_repeats():
    merged = all_indexes()
    assert merged.keys() == INDEXES.keys()
    for keys in merged.values():
        assert len(keys) == len({tuple(key) for key in keys})
