"""The lake export: one Parquet partition per table and day, replaced on rerun, read back by
DuckDB and pandas to the store's own counts, on a folder and on a real S3 API (moto)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from analytics_helpers import FIRST_DAY, LAST_DAY

TABLES = ("top_lists", "plays", "artists", "tracks", "diffs", "match_scores")


@pytest.fixture
def analysed(stored):
    """The three people's two days, with a group and that day's diffs, mixes and twins."""
    from spotify_etl.analytics import daily
    from spotify_etl.analytics.groups import add_group
    from spotify_etl.storage import open_database

    with open_database() as db:
        add_group(db, "trio", stored)
    for day in (FIRST_DAY, LAST_DAY):
        daily.run_diffs(day)
        daily.run_taste_twins(day, k=2)
    return stored


def store_counts(day: date) -> dict[str, int]:
    """Count what the store holds for a day, independently of the export's own queries."""
    from spotify_etl.storage import open_database

    with open_database() as db:
        top = [d for d in db.top_lists.find({}) if d["snapshot_date"] == day.isoformat()]
        plays = [p for p in db.plays.find({})
                 if (p["played_at"] if p["played_at"].tzinfo else
                     p["played_at"].replace(tzinfo=UTC)).date() == day]
        tracks = ({i["item_id"] for d in top if d["kind"] == "tracks" for i in d["items"]}
                  | {p["track_id"] for p in plays})
        artists = ({i["item_id"] for d in top if d["kind"] == "artists" for i in d["items"]}
                   | {a for d in top if d["kind"] == "tracks" for i in d["items"]
                      for a in i["artist_ids"]} | {a for p in plays for a in p["artist_ids"]})
        diffs = [d for d in db.diffs.find({}) if d["snapshot_date"] == day.isoformat()]
        twins = [t for t in db.taste_twins.find({}) if t["snapshot_date"] == day.isoformat()]
    return {"top_lists": sum(len(d["items"]) for d in top), "plays": len(plays),
            "artists": len(artists), "tracks": len(tracks), "diffs": len(diffs),
            "match_scores": sum(d["kind"] == "pair" and d["status"] == "ok" for d in diffs)
            + sum(len(t["twins"]) for t in twins)}


def duckdb_counts(glob: str, filesystem=None) -> dict[tuple[str, str], int]:
    import duckdb

    with duckdb.connect() as con:
        if filesystem is not None:
            con.register_filesystem(filesystem)
        rows = con.execute(
            "SELECT \"table\", CAST(snapshot_date AS VARCHAR), count(*) FROM "
            f"read_parquet('{glob}', hive_partitioning = true, union_by_name = true) "
            "GROUP BY ALL").fetchall()
    return {(table, day): count for table, day, count in rows}


def test_a_day_becomes_one_partition_per_table_that_duckdb_reads_back_to_the_store_counts(
        analysed, tmp_path):
    from spotify_etl.lake.export import run_export

    lake = tmp_path / "lake"
    for day in (FIRST_DAY, LAST_DAY):
        result = run_export(day, str(lake))
        assert result["rows"] == store_counts(day)
    files = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())
    assert files == sorted(f"table={t}/snapshot_date={d}/part-0.parquet"
                           for t in TABLES for d in (FIRST_DAY, LAST_DAY))
    for table in TABLES:
        counts = duckdb_counts(f"{lake}/table={table}/*/*.parquet")
        for day in (FIRST_DAY, LAST_DAY):
            expected = store_counts(day)[table]
            assert counts.get((table, day.isoformat()), 0) == expected, (table, day)
    assert store_counts(LAST_DAY)["plays"] > 0 and store_counts(LAST_DAY)["diffs"] > 0


def test_rows_keep_the_stored_values_and_pandas_reads_the_whole_lake(analysed, tmp_path):
    import pandas as pd

    from spotify_etl.analytics.repository import top_list
    from spotify_etl.lake.export import run_export
    from spotify_etl.storage import open_database

    run_export(LAST_DAY, str(tmp_path / "lake"))
    frame = pd.read_parquet(tmp_path / "lake" / "table=top_lists")
    person = analysed[0]
    mine = frame[(frame.user_id == person) & (frame.kind == "artists")
                 & (frame.time_range == "short_term")].sort_values("rank")
    with open_database() as db:
        expected = top_list(db, person, LAST_DAY, "artists", "short_term")
    assert list(mine["item_id"]) == [item["item_id"] for item in expected]
    assert list(mine["genres"].iloc[0]) == list(expected[0]["genres"] or [])
    assert set(frame["snapshot_date"].astype(str)) == {LAST_DAY.isoformat()}
    scores = pd.read_parquet(tmp_path / "lake" / "table=match_scores")
    pairs = scores[scores.source == "group_pair"]
    assert len(pairs) == 3 * 3  # three pairs in the trio, three time ranges
    assert pairs.score.between(0, 100).all() and pairs.user_a.lt(pairs.user_b).all()
    diffs = pd.read_parquet(tmp_path / "lake" / "table=diffs")
    change = diffs[diffs.kind == "change"].iloc[0]
    assert "entered" in json.loads(change.detail) or change.status == "not_enough_history"


def test_a_rerun_replaces_the_partition_and_never_duplicates_it(analysed, tmp_path):
    from spotify_etl.lake.export import run_export

    lake = tmp_path / "lake"
    run_export(LAST_DAY, str(lake))
    stale = lake / "table=plays" / f"snapshot_date={LAST_DAY}" / "part-1.parquet"
    stale.write_bytes((stale.parent / "part-0.parquet").read_bytes())  # an older layout's part
    before = duckdb_counts(f"{lake}/table=*/*/*.parquet")
    assert before[("plays", LAST_DAY.isoformat())] == 2 * store_counts(LAST_DAY)["plays"]
    run_export(LAST_DAY, str(lake))
    run_export(LAST_DAY, str(lake))
    after = duckdb_counts(f"{lake}/table=*/*/*.parquet")
    assert after[("plays", LAST_DAY.isoformat())] == store_counts(LAST_DAY)["plays"]
    assert not stale.exists()
    assert not [p for p in lake.rglob("*") if p.is_file() and p.name != "part-0.parquet"]


def test_the_export_writes_to_a_real_s3_api_and_reruns_replace_objects(analysed, s3, s3_server):
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    from spotify_etl.lake.export import run_export

    s3.create_bucket(Bucket="lake")
    url = f"s3://lake/spotify?endpoint_override={s3_server}&scheme=http"
    for day in (FIRST_DAY, LAST_DAY, LAST_DAY):  # the last day twice: a rerun
        result = run_export(day, url)
    assert result["lake"] == "s3://lake/spotify"  # the query (endpoint, maybe keys) not shown
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="lake")["Contents"])
    assert keys == sorted(f"spotify/table={t}/snapshot_date={d}/part-0.parquet"
                          for t in TABLES for d in (FIRST_DAY, LAST_DAY))
    filesystem = pafs.S3FileSystem(endpoint_override=s3_server, scheme="http")
    for table in ("top_lists", "plays", "match_scores"):
        data = ds.dataset(f"lake/spotify/table={table}", filesystem=filesystem,
                          partitioning="hive").to_table()
        counted = Counter(str(d) for d in data.column("snapshot_date").to_pylist())
        assert counted == Counter({d.isoformat(): store_counts(d)[table]
                                   for d in (FIRST_DAY, LAST_DAY) if store_counts(d)[table]})


def test_duckdb_reads_the_s3_lake_to_the_store_counts(analysed, s3, s3_server):
    import pyarrow.fs as pafs
    from fsspec.implementations.arrow import ArrowFSWrapper

    from spotify_etl.lake.export import run_export

    s3.create_bucket(Bucket="duck")
    run_export(LAST_DAY, f"s3://duck/lake?endpoint_override={s3_server}&scheme=http")

    class S3(ArrowFSWrapper):  # DuckDB's own httpfs is downloaded on first use: not offline
        protocol = "s3"

    s3fs = S3(pafs.S3FileSystem(endpoint_override=s3_server, scheme="http"))
    counts = duckdb_counts("s3://duck/lake/table=*/*/*.parquet", filesystem=s3fs)
    assert counts == {(t, LAST_DAY.isoformat()): n for t, n in store_counts(LAST_DAY).items()
                      if n}


def test_rows_flatten_one_per_ranked_item_with_genres_for_artists_only():
    from spotify_etl.lake.tables import play_rows, to_arrow, top_list_rows

    documents = [
        {"_id": "ann|2026-11-20|artists|short_term", "user_id": "ann", "kind": "artists",
         "time_range": "short_term", "snapshot_date": "2026-11-20", "item_count": 2,
         "items": [{"rank": 1, "item_id": "a1", "name": "Björk", "artist_ids": ["a1"],
                    "artist_names": ["Björk"], "genres": ["art pop"]},
                   {"rank": 2, "item_id": "a2", "name": "Nobody", "artist_ids": ["a2"],
                    "artist_names": ["Nobody"], "genres": []}]},
        {"_id": "ann|2026-11-20|tracks|short_term", "user_id": "ann", "kind": "tracks",
         "time_range": "short_term", "snapshot_date": "2026-11-20", "item_count": 0,
         "items": []}]
    rows = top_list_rows(documents)
    assert [(r["rank"], r["item_id"], r["genres"]) for r in rows] == [
        (1, "a1", ["art pop"]), (2, "a2", [])]
    table = to_arrow("top_lists", rows)
    assert table.num_rows == 2 and "snapshot_date" not in table.column_names
    naive = datetime(2026, 11, 20, 23, 59, 59, 485000)
    plays = play_rows([{"_id": "x", "user_id": "ann", "played_at": naive, "track_id": "t",
                        "track_name": "T", "artist_ids": ["a1"], "artist_names": ["Björk"],
                        "album_id": None, "duration_ms": 1000, "context_type": None,
                        "context_uri": None}])
    assert to_arrow("plays", plays).column("played_at")[0].as_py() == naive.replace(tzinfo=UTC)


def test_shown_urls_hide_keys_and_passwords():
    from spotify_etl.lake.target import shown

    assert shown("s3://bucket/p?access_key=AK&secret_key=SECRET") == "s3://bucket/p"
    assert shown("abfs://user:pw@container/p") == "abfs://container/p"
    assert shown("/srv/lake") == "/srv/lake"


def test_keys_in_the_lake_url_never_reach_the_log(analysed, tmp_path, caplog):
    import logging

    from spotify_etl.lake.export import run_export

    url = f"file://{tmp_path}/lake?secret_key=do-not-log-me-7781"
    with caplog.at_level(logging.DEBUG):
        result = run_export(LAST_DAY, url)
    assert result["rows"]["top_lists"] > 0
    assert "do-not-log-me-7781" not in caplog.text + json.dumps(result)
    assert f"{tmp_path}/lake" in caplog.text
