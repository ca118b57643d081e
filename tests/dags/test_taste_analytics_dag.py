from __future__ import annotations

import pytest

from spotify_etl.local.dag_runner import DAGS_FOLDER


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "spotify_taste_analytics.py"))
    assert bag.import_errors == {}
    return bag.dags["spotify_taste_analytics"]


def test_analytics_dag_runs_on_the_snapshot_asset_without_catchup(dag):
    assert dag.catchup is False
    assert "spotify_snapshots" in str(dag.timetable.asset_condition)
    assert type(dag.timetable).__name__ == "AssetTriggeredTimetable"
    assert dag.default_args["retries"] >= 1
    assert set(dag.params.keys()) == {"snapshot_date"}
    assert dag.doc_md and "taste analytics" in dag.doc_md


def test_analytics_tasks_are_wired_after_the_snapshot_date(dag):
    assert set(dag.task_ids) == {"snapshot_date", "diffs", "mixes", "publish", "taste_twins"}
    for task_id in ("diffs", "mixes", "taste_twins"):
        assert dag.get_task(task_id).upstream_task_ids == {"snapshot_date"}
    assert dag.get_task("publish").upstream_task_ids == {"snapshot_date", "mixes"}
    assert dag.get_task("publish").pool == "spotify_api"


@pytest.mark.integration
def test_a_dag_test_run_stores_diffs_mixes_and_twins_for_the_date(stored):
    from analytics_helpers import LAST_DAY

    from spotify_etl.analytics.groups import add_group
    from spotify_etl.local.dag_runner import run_dag
    from spotify_etl.storage import document_id, open_database

    with open_database() as db:
        add_group(db, "trio", stored)
    state = run_dag("spotify_taste_analytics", LAST_DAY,
                    {"snapshot_date": LAST_DAY.isoformat()}).state
    assert state == "success"
    a, b = sorted(stored)[:2]
    with open_database() as db:
        pair = db.diffs.find_one({"_id": document_id("pair", a, b, LAST_DAY, "short_term")})
        mix = db.mixes.find_one({"_id": document_id("trio", LAST_DAY)})
        twins = db.taste_twins.count_documents({"snapshot_date": LAST_DAY.isoformat()})
    assert pair["status"] == "ok" and 0 <= pair["score"] <= 100
    assert mix["length"] == 50 and mix["publish"]["status"] == "off"
    assert twins == len(stored)
