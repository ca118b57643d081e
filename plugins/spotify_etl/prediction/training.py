"""Train a person's models on the same split, store the version, promote only a better one.

`train_person` builds the examples (`dataset`), fits the baselines and the boosted model on
the training reference dates, scores all of them on the held-out window, stores the boosted
model as a new version with everything needed to judge it, and promotes it only when it beats
the version answering now on this same held-out window (the first version: when it beats the
person's mean). People without enough history get `NotEnoughHistory`, never a model.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spotify_etl.prediction import dataset, models, registry
from spotify_etl.prediction.features import FEATURES

if TYPE_CHECKING:
    from datetime import date

    from pymongo.database import Database

    from spotify_etl.settings import Settings

log = logging.getLogger(__name__)
TARGET = (f"plays of the track by this person in the {dataset.HORIZON_DAYS} days after the "
          "reference date")
IF_BETTER, ALWAYS, NEVER = "if_better", "always", "never"


@dataclass
class TrainingReport:
    """What one training run did."""

    user_id: str
    version: int
    metrics: dict[str, dict[str, float | None]]
    promoted: bool
    reason: str
    seconds: float
    examples: dict[str, int] = field(default_factory=dict)
    window: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "metrics": self.metrics, "promoted": self.promoted,
                "reason": self.reason, "seconds": round(self.seconds, 2),
                "examples": self.examples, "window": self.window}


def single_threaded():
    """Limit numerical libraries to one thread (Airflow runs several tasks per machine)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def evaluate(data: dataset.PersonData, split: dataset.Split) -> dict[str, Any]:
    """Fit every model on the training dates and score it on the held-out window."""
    x, y, keys = dataset.examples(data, split.training)
    x_held, y_held, keys_held = dataset.examples(data, [split.held_out])
    fitted: dict[str, Any] = {}
    metrics: dict[str, dict[str, float | None]] = {}
    with single_threaded():
        for cls in (*models.BASELINES, models.Boosted):
            model = cls().fit(x, y, keys)
            fitted[model.name] = model
            metrics[model.name] = models.scores(y_held, model.predict(x_held, keys_held))
    return {"fitted": fitted, "metrics": metrics, "held_out": (x_held, y_held, keys_held),
            "examples": {"training": len(y), "held_out": len(y_held),
                         "training_reference_dates": len(split.training)}}


def train_person(db: Database, user_id: str, *, until: date | None = None,
                 promote: str = IF_BETTER) -> TrainingReport:
    """Train, store and maybe promote a person's model; raise NotEnoughHistory if it cannot."""
    started = time.monotonic()
    data = dataset.read_person(db, user_id, until)
    split = dataset.split(data)
    result = evaluate(data, split)
    boosted: models.Boosted = result["fitted"][models.Boosted.name]
    metrics = result["metrics"]
    x_held, y_held, _ = result["held_out"]
    new_mae = metrics[models.Boosted.name]["mae"]
    current = registry.current_version(db, user_id)
    if promote == ALWAYS:
        decision, reason = True, "promoted on request"
    elif promote == NEVER:
        decision, reason = False, "stored without promoting (on request)"
    elif current is None:
        baseline = metrics[models.PersonMean.name]["mae"]
        decision = new_mae < baseline
        reason = (f"first version; held-out MAE {new_mae} vs the person's mean {baseline}")
    else:
        old_model, _ = registry.load_model(db, user_id, current)
        with single_threaded():
            old_mae = models.mae(y_held, old_model.predict(x_held))
        # The new MAE is stored rounded (metrics are, to 4 places): compare at that precision,
        # or a retrained copy of the same model would beat it by the rounding alone.
        decision = new_mae < round(old_mae, 4)
        reason = (f"held-out MAE {new_mae} vs {round(old_mae, 4)} of the current version "
                  f"{current} on the same window")
    baselines = [models.PersonMean.name, models.ArtistMean.name]
    window = {**split.window, "history_first_day": data.first_day.isoformat(),
              "history_last_day": data.last_day.isoformat(), "plays": len(data.plays)}
    metadata = {
        "target": TARGET, "horizon_days": dataset.HORIZON_DAYS, "training_window": window,
        "features": boosted.features_, "unused_features": boosted.unused_,
        "feature_sources": {f.name: f.source for f in FEATURES},
        "model": {"class": "sklearn.ensemble.HistGradientBoostingRegressor",
                  "params": models.Boosted.params},
        "metrics": metrics, "examples": result["examples"],
        "beats_baselines": all(new_mae < metrics[name]["mae"] for name in baselines),
        "training_seconds": round(time.monotonic() - started, 3),
        "promotion": {"promoted": decision, "reason": reason},
    }
    document = registry.save_version(db, user_id, boosted, metadata)
    if decision:
        registry.promote(db, user_id, document["version"])
    log.info("Model version %s trained (%s)", document["version"], reason)
    return TrainingReport(user_id, document["version"], metrics, decision, reason,
                          time.monotonic() - started, result["examples"], window)


def people_with_enough_history(db: Database, user_ids: list[str]) -> list[str]:
    """Return the people whose stored plays could train a model (cheap: counts and dates)."""
    chosen = []
    for user_id in user_ids:
        query = {"user_id": user_id}
        if db.plays.count_documents(query) < dataset.MIN_PLAYS:
            continue
        first = db.plays.find_one(query, sort=[("played_at", 1)])
        last = db.plays.find_one(query, sort=[("played_at", -1)])
        if (last["played_at"].date() - first["played_at"].date()).days + 1 >= \
                dataset.MIN_HISTORY_DAYS:
            chosen.append(user_id)
    return chosen


def plan_retraining(settings: Settings | None = None) -> list[str]:
    """Return the connected people whose history is long enough to train (the DAG's plan)."""
    from spotify_etl.constants import ACTIVE
    from spotify_etl.storage import open_database

    with open_database(settings) as db:
        people = [u["_id"] for u in db.users.find({"status": ACTIVE}, {"_id": 1})]
        return people_with_enough_history(db, sorted(people))


def retrain(user_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """Train one person's new version and promote it only if it beats the current one."""
    from spotify_etl.storage import open_database

    with open_database(settings) as db:
        try:
            report = train_person(db, user_id, promote=IF_BETTER)
        except dataset.NotEnoughHistory as error:
            return {"status": "not_enough_history", "reason": str(error)}
    return {"status": "trained", "version": report.version, "promoted": report.promoted,
            "mae": report.metrics[models.Boosted.name]["mae"], "reason": report.reason}
