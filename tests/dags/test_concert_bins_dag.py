from __future__ import annotations

from datetime import timedelta

import pytest

from spotify_etl.local.dag_runner import DAGS_FOLDER


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "spotify_concert_bins.py"))
    assert bag.import_errors == {}
    return bag.dags["spotify_concert_bins"]


def test_concert_bins_run_daily_refresh_first_then_bins_whatever_happened(dag):
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.timetable.expression == "0 6 * * *"  # after the 00:00 snapshot
    assert set(dag.params.keys()) == {"day"}
    assert dag.get_task("bins").upstream_task_ids == {"refresh"}
    assert dag.get_task("bins").trigger_rule == "all_done"
    assert dag.doc_md and "concert bins" in dag.doc_md.lower()


def test_a_spent_quota_is_retried_after_its_reset(dag):
    from spotify_etl.concerts.provider import ProviderUnavailable, QuotaExhausted

    policy = dag.get_task("refresh").retry_policy
    decision = policy.evaluate(QuotaExhausted(7200), try_number=1, max_tries=3)
    assert decision.action.value == "retry" and decision.retry_delay == timedelta(seconds=7205)
    assert policy.evaluate(ProviderUnavailable("503"), 1, 3).action.value == "default"


@pytest.mark.integration
def test_a_dag_test_run_refreshes_and_stores_the_bins_of_people_with_a_home(concerts_env,
                                                                            ticketmaster):
    from spotify_etl.concerts import places
    from spotify_etl.concerts.geo import Point
    from spotify_etl.concerts.service import today_utc
    from spotify_etl.local.dag_runner import run_dag
    from spotify_etl.storage import document_id, open_database

    with open_database() as db:
        places.save_home(db, concerts_env[0], Point(52.52, 13.405))
    day = today_utc()
    assert run_dag("spotify_concert_bins", day, {"day": day.isoformat()}).state == "success"
    with open_database() as db:
        document = db.concert_bins.find_one({"_id": document_id(concerts_env[0], day)})
        looked_up = db.concert_lookups.count_documents({"day": day.isoformat()})
    assert document["summary"]["artists"] == looked_up > 0
    assert ticketmaster.gateway.counters()["total"] > 0
