"""The weekly retraining DAG: one task per person with enough history, and a new version is
promoted only when it beats the current one on the same held-out window."""

from __future__ import annotations

from datetime import date

import pytest

from spotify_etl.local.dag_runner import DAGS_FOLDER


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER / "spotify_model_retrain.py"))
    assert bag.import_errors == {}
    return bag.dags["spotify_model_retrain"]


def test_retraining_is_weekly_one_person_at_a_time(dag):
    assert dag.timetable.expression == "0 3 * * 1" and dag.max_active_runs == 1
    assert dag.get_task("retrain").max_active_tis_per_dag == 1
    assert dag.get_task("retrain").upstream_task_ids == {"plan"}
    assert dag.get_task("summarize").trigger_rule == "all_done"


def held_out_mae(db, person, number):
    """Score a stored version on the newest held-out window, independently of the DAG."""
    from spotify_etl.prediction import dataset, models, registry

    data = dataset.read_person(db, person)
    x, y, _ = dataset.examples(data, [dataset.split(data).held_out])
    model, _ = registry.load_model(db, person, number)
    return models.mae(y, model.predict(x))


@pytest.mark.integration
def test_a_run_promotes_only_versions_that_beat_the_current_one(predicted):
    from sklearn.dummy import DummyRegressor

    from spotify_etl.local.dag_runner import run_dag
    from spotify_etl.prediction import registry
    from spotify_etl.storage import open_database

    weakened, kept = predicted["trained"]
    with open_database() as db:
        # The version answering for one person is a bad one (it always says 40 plays), so any
        # trained model beats it on the held-out window; no luck of the data involved.
        bad = DummyRegressor(strategy="constant", constant=40.0).fit([[0.0]], [40.0])
        stale = registry.save_version(db, weakened, bad, {"target": "a model that always "
                                                                    "answers 40 plays"})
        registry.promote(db, weakened, stale["version"])
        stale_mae = held_out_mae(db, weakened, stale["version"])
        kept_mae = held_out_mae(db, kept, registry.current_version(db, kept))
    run = run_dag("spotify_model_retrain", date(2026, 11, 16))
    assert run.state == "success"
    with open_database() as db:
        new_weakened = registry.versions(db, weakened)[-1]
        new_kept = registry.versions(db, kept)[-1]
        assert new_weakened["version"] == stale["version"] + 1 and new_kept["version"] == 2
        assert db.models.count_documents({"user_id": predicted["short"]}) == 0
        for document, old_mae in ((new_weakened, stale_mae), (new_kept, kept_mae)):
            new_mae = document["metrics"]["gradient_boosting"]["mae"]
            assert document["promotion"]["promoted"] == (new_mae < round(old_mae, 4))
            assert document["current"] == document["promotion"]["promoted"]
        # Same history, same split, same seed: the retrained version is no better, so the
        # one answering stays; the bad one is beaten.
        assert new_weakened["current"] and not new_kept["current"], (
            f"stale {stale_mae} -> {new_weakened['metrics']['gradient_boosting']['mae']}, "
            f"kept {kept_mae} -> {new_kept['metrics']['gradient_boosting']['mae']}")
        assert registry.current_version(db, kept) == 1
