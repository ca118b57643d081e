from __future__ import annotations

from spotify_etl.text import table


def test_a_table_aligns_columns_to_their_widest_cell_and_shows_none_as_blank():
    text = table([{"name": "Ærø", "plays": 12}, {"name": "a much longer name", "plays": None}],
                 ["name", "plays"])
    lines = text.splitlines()
    assert lines[0].split() == ["name", "plays"]
    assert lines[1] == "-" * len("a much longer name") + "  " + "-----"
    assert lines[2].startswith("Ærø" + " " * (len("a much longer name") - 3) + "  12")
    assert lines[3].rstrip() == "a much longer name"


def test_an_empty_table_still_has_its_header():
    assert table([], ["collection", "documents"]).splitlines() == [
        "collection  documents", "----------  ---------"]
