"""docs/queries.md shows exactly the queries and views the code runs."""

from __future__ import annotations

from pathlib import Path

from spotify_etl.queries.questions import QUERIES, build, mongosh, pymongo_code
from spotify_etl.queries.reference import generated_section, queries_markdown

QUERIES_MD = Path(__file__).parents[3] / "docs" / "queries.md"


def test_the_generated_section_is_up_to_date():
    assert generated_section(QUERIES_MD.read_text()) == queries_markdown(), (
        "docs/queries.md is stale: run `python -m spotify_etl.queries.reference docs/queries.md`")


def test_every_question_is_there_in_mongosh_and_pymongo_with_its_index():
    text = QUERIES_MD.read_text()
    for name, query in QUERIES.items():
        spec = build(None, name, example=True)
        assert query.question in text
        assert mongosh(spec) in text and pymongo_code(spec) in text


def test_the_read_only_connection_is_documented():
    text = QUERIES_MD.read_text()
    assert "mongodb://analyst:PASSWORD@127.0.0.1:27017/spotify_etl?authSource=admin" in text
