from __future__ import annotations

import pytest

from spotify_etl.local.dag_runner import DAGS_FOLDER


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "spotify_lake_export.py"))
    assert bag.import_errors == {}
    return bag.dags["spotify_lake_export"]


def test_lake_export_runs_on_the_snapshot_and_analytics_assets(dag):
    condition = str(dag.timetable.asset_condition)
    assert "spotify_snapshots" in condition and "spotify_analytics" in condition
    assert type(dag.timetable).__name__ == "AssetTriggeredTimetable"
    assert dag.max_active_runs == 1 and dag.default_args["retries"] >= 2
    assert dag.get_task("export").upstream_task_ids == {"snapshot_date"}


def test_the_analytics_dag_announces_its_dates_to_the_lake():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "spotify_taste_analytics.py"))
    analytics = bag.dags["spotify_taste_analytics"]
    for task_id in ("diffs", "taste_twins"):
        assert [o.name for o in analytics.get_task(task_id).outlets] == ["spotify_analytics"]


@pytest.mark.integration
def test_a_dag_test_run_writes_the_days_partitions_and_a_rerun_replaces_them(stored, tmp_path,
                                                                            monkeypatch):
    import duckdb
    from analytics_helpers import LAST_DAY

    from spotify_etl.local.dag_runner import run_dag
    from spotify_etl.storage import open_database

    lake = tmp_path / "lake"
    monkeypatch.setenv("SPOTIFY_ETL_LAKE_URL", str(lake))
    for _ in range(2):
        state = run_dag("spotify_lake_export", LAST_DAY,
                        {"snapshot_date": LAST_DAY.isoformat()}).state
        assert state == "success"
    with open_database() as db:
        items = sum(len(d["items"]) for d in db.top_lists.find({})
                    if d["snapshot_date"] == LAST_DAY.isoformat())
    rows = duckdb.sql(f"SELECT snapshot_date, count(*) FROM read_parquet('{lake}/table=top_lists/"
                      "*/*.parquet', hive_partitioning = true) GROUP BY ALL").fetchall()
    assert [(str(day), count) for day, count in rows] == [(LAST_DAY.isoformat(), items)]
