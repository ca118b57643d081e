"""Which declared index (`storage.INDEXES`) serves an analyst's question.

`covering_index` says which index serves a filter and sort by
the ESR rule (equality fields first, then sort fields, then range fields); the tests use it so
that every documented question stays backed by an index when someone changes one.
"""

from __future__ import annotations

from typing import Any

from spotify_etl.storage import INDEXES

Keys = list[tuple[str, int]]

EQUALITY_OPERATORS = {"$eq", "$in"}
RANGE_OPERATORS = {"$gt", "$gte", "$lt", "$lte"}
# Conditions an index cannot serve well; they are checked on the fetched documents instead.
RESIDUAL_OPERATORS = {"$ne", "$nin", "$exists", "$type", "$not", "$size", "$elemMatch"}


def all_indexes() -> dict[str, list[Keys]]:
    """Return the declared indexes per collection (all of them live in `storage.INDEXES`)."""
    return {name: [list(k) for k in keys] for name, keys in INDEXES.items()}


def query_shape(filter_: dict[str, Any],
                sort: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    """Classify a filter's fields: scalar equality, `$in`, range, residual; plus the sort."""
    shape: dict[str, Any] = {"equality": set(), "in": set(), "range": set(), "residual": set(),
                             "sort": list(sort or [])}
    for field, condition in filter_.items():
        if field.startswith("$"):
            raise ValueError(f"Top-level {field} is not analysed; express the query per field")
        if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
            operators = set(condition)
            if operators <= {"$eq"}:
                shape["equality"].add(field)
            elif operators <= {"$in"}:
                shape["in"].add(field)
            elif operators <= RANGE_OPERATORS:
                shape["range"].add(field)
            elif operators <= RESIDUAL_OPERATORS:
                shape["residual"].add(field)
            else:
                raise ValueError(f"Cannot classify {field}: {sorted(operators)}")
        else:
            shape["equality"].add(field)
    return shape


def serves(keys: Keys, shape: dict[str, Any]) -> bool:
    """Tell whether an index serves the query shape by the ESR rule.

    The index must start with every scalar-equality field (in any order; `$in` fields may join
    them), continue with the sort keys in order (all in the index's direction or all reversed),
    then reach the first range field; every other indexed condition ($in, further ranges) must
    be in the index somewhere so that it bounds the scan. Residual conditions may be anywhere.
    """
    fields = [field for field, _ in keys]
    equality, in_fields = shape["equality"], shape["in"]
    position = 0
    while position < len(fields) and fields[position] in equality | in_fields:
        position += 1
    prefix = set(fields[:position])
    if not equality <= prefix:
        return False
    sort = [(field, direction) for field, direction in shape["sort"] if field not in prefix]
    if sort:
        directions = dict(keys)
        window = fields[position:position + len(sort)]
        if window != [field for field, _ in sort]:
            return False
        same = [directions[field] == direction for field, direction in sort]
        if not (all(same) or not any(same)):
            return False
        position += len(sort)
    ranges = shape["range"] - prefix - {field for field, _ in sort}
    if ranges and (position >= len(fields) or fields[position] not in ranges):
        return False
    if position == 0 and not ranges:  # nothing of the query uses the index's first key
        return False
    bounded = (in_fields | shape["range"]) - prefix
    return bounded <= set(fields)


def covering_index(collection: str, filter_: dict[str, Any],
                   sort: list[tuple[str, int]] | None = None,
                   indexes: dict[str, list[Keys]] | None = None) -> Keys | None:
    """Return the first index of the collection that serves the filter and sort, or None."""
    shape = query_shape(filter_, sort)
    if set(filter_) == {"_id"}:
        return [("_id", 1)]
    for keys in (indexes or all_indexes()).get(collection, []):
        if serves(keys, shape):
            return list(keys)
    return None
