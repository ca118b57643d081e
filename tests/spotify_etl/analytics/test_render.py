"""Text for people: one way of naming people, facets on the score's scale, cuts that say so."""

from __future__ import annotations

from spotify_etl.analytics.render import changes_text, mix_text, pair_text

NAMES = {"u1": "Ximena López", "u2": "Mateo López"}


def _pair(time_range: str, genres: float | None) -> dict:
    return {"users": ["u1", "u2"], "snapshot_date": "2026-11-30", "time_range": time_range,
            "status": "ok", "score": 21.4,
            "components": {"artists": 0.25, "tracks": 0.1, "genres": genres},
            "artists": {"shared": [], "only_a": [], "only_b": []},
            "tracks": {"shared": []}, "genres": {"shared": []}, "together": None}


def test_the_pair_table_shows_every_column_on_the_0_to_100_scale_it_announces():
    text = pair_text([_pair("short_term", 0.0025), _pair("long_term", None)], "short_term",
                     names=NAMES)
    assert text.startswith("Taste match of Ximena López and Mateo López on 2026-11-30")
    assert "each 0-100" in text
    short = next(line for line in text.splitlines() if line.startswith("short_term"))
    long = next(line for line in text.splitlines() if line.startswith("long_term"))
    assert short.split()[:5] == ["short_term", "21.4", "25.0", "10.0", "0.2"]
    assert long.split()[4] == "-"  # a facet neither has was left out of the score


def _entries(count: int) -> list[dict]:
    return [{"name": f"Artist {n}", "rank": n, "previous_rank": n + 5, "change": 5}
            for n in range(1, count + 1)]


def test_cut_lists_say_how_many_more_there_are():
    document = {"kind": "change", "users": ["u1"], "snapshot_date": "2026-11-30",
                "time_range": "short_term", "days": 6, "compared_with": "2026-11-24",
                "status": "ok",
                "artists": {"entered": _entries(8), "left": _entries(5), "climbed": _entries(4),
                            "fell": _entries(1), "unchanged": 2}}
    text = changes_text(document, kinds=("artists",), limit=5, names=NAMES)
    assert text.startswith("Ximena López, short_term")
    assert "(+3 more entered, +2 more climbed; --json lists all)" in text
    assert text.count("entered  Artist") == 5


def test_the_mix_table_names_people_as_the_other_tables_do():
    mix = {"group": "demo", "snapshot_date": "2026-11-30", "length": 2, "length_requested": 2,
           "credits": [{"user_id": "u1", "tracks": 1}, {"user_id": "u2", "tracks": 1}],
           "tracks": [{"position": 1, "name": "Shadow", "artists": ["Owen Gray"],
                       "ranks": [{"user_id": "u1", "rank": 1}]},
                      {"position": 2, "name": "Fire", "artists": ["Iris Hale"],
                       "ranks": [{"user_id": "u2", "rank": 1}, {"user_id": "u1", "rank": 4}]}]}
    text = mix_text(mix, names=NAMES)
    assert "credits: Ximena López 1, Mateo López 1" in text
    assert "Mateo López #1, Ximena López #4" in text
    assert "u1" not in text and "u2" not in text
