"""
### Spotify stream-count models: weekly retraining

Every Monday at 03:00 UTC, for every connected person with enough stored history: train a new
version of their stream-count model (plays of a track in the next 30 days), score it against
the two baselines and against the version answering now on the same held-out window (the
newest complete 30 days), and **promote it only if it beats the current version** there.
Every version is kept (`python -m spotify_etl model list USER`, `... rollback USER`). See
`docs/prediction.md` (the model card).

* **plan**: who has enough history (at least 300 plays over about five months); nobody else
  gets a model, and the API tells them "not enough history".
* **retrain**: one mapped task per person, one at a time (training is CPU-bound).
* **summarize**: how many versions were trained and promoted.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="spotify_model_retrain",
    schedule="0 3 * * 1",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["spotify", "prediction"],
    doc_md=__doc__,
)
def spotify_model_retrain():
    @task
    def plan() -> list[str]:
        """List the people with enough history to train."""
        from spotify_etl.prediction.training import plan_retraining

        return plan_retraining()

    @task(max_active_tis_per_dag=1)
    def retrain(user_id: str) -> dict:
        """Train one person's new version; promote it only if it is better."""
        from spotify_etl.prediction.training import retrain as retrain_person

        return retrain_person(user_id)

    @task(trigger_rule="all_done")
    def summarize(results: list[dict]) -> dict:
        """Count the versions trained and promoted."""
        results = [r for r in results if r]
        return {"trained": sum(r["status"] == "trained" for r in results),
                "promoted": sum(bool(r.get("promoted")) for r in results),
                "not_enough_history": sum(r["status"] == "not_enough_history" for r in results)}

    summarize(retrain.expand(user_id=plan()))


spotify_model_retrain()
