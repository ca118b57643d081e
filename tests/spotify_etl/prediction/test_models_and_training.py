"""Models compared on the same split; versions stored with what judges them; promotion only
of a better version; rollback; delete-me takes the models too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spotify_etl.prediction import models, registry
from spotify_etl.prediction.features import FEATURE_NAMES
from spotify_etl.prediction.training import NEVER, train_person

DOCS = Path(__file__).resolve().parents[3] / "docs" / "prediction.md"


def test_the_baselines_predict_what_they_say():
    keys = pd.DataFrame({"artist_id": ["a", "a", "b", "c"]})
    x = pd.DataFrame({"track_plays_30d": [3.0, 0.0, 1.0, 5.0]})
    y = np.array([4.0, 2.0, 0.0, 6.0])
    assert models.PersonMean().fit(x, y, keys).predict(x, keys).tolist() == [3.0] * 4
    artist = models.ArtistMean().fit(x.iloc[:3], y[:3], keys.iloc[:3])
    assert artist.predict(x, keys).tolist() == [3.0, 3.0, 0.0, 2.0]  # c: unseen, person's mean
    assert models.LastWindow().predict(x, keys).tolist() == [3.0, 0.0, 1.0, 5.0]
    assert models.scores(y, np.full(4, 3.0)) == {"mae": 2.0, "spearman": None}
    assert models.scores(y, y * 2)["spearman"] == 1.0


def test_the_boosted_model_beats_both_baselines_on_the_held_out_window(predicted):
    for person in predicted["trained"]:
        metrics = predicted["reports"][person].metrics
        boosted = metrics["gradient_boosting"]
        for baseline in ("person_mean", "artist_mean"):
            assert boosted["mae"] < metrics[baseline]["mae"], (person, metrics)
        assert boosted["spearman"] > metrics["artist_mean"]["spearman"]


def test_a_version_keeps_window_features_metrics_libraries_and_artefact(predicted):
    from spotify_etl.storage import open_database

    person = predicted["trained"][0]
    with open_database() as db:
        document = registry.versions(db, person)[0]
        model, loaded = registry.load_model(db, person)
    assert document["current"] and loaded["version"] == 1
    assert document["training_window"]["held_out_window"].count("..") == 1
    assert set(document["features"]) | set(document["unused_features"]) == set(FEATURE_NAMES)
    assert "popularity" in document["unused_features"]  # development mode sends none
    assert set(document["metrics"]) == {"person_mean", "artist_mean", "last_30_days",
                                        "gradient_boosting"}
    assert document["library_versions"]["scikit-learn"]
    assert document["artefact"]["bytes"] > 10_000
    assert isinstance(model, models.Boosted)


def test_retraining_on_the_same_history_does_not_promote(predicted):
    from spotify_etl.storage import open_database

    person = predicted["trained"][0]
    with open_database() as db:
        report = train_person(db, person)
        assert report.version == 2 and not report.promoted
        assert "same window" in report.reason
        assert registry.current_version(db, person) == 1
        assert train_person(db, person, promote=NEVER).promoted is False


def test_promote_and_rollback_walk_the_history(predicted):
    from spotify_etl.storage import open_database

    person = predicted["trained"][1]
    with open_database() as db:
        with pytest.raises(registry.RegistryError, match="Nothing to roll back"):
            registry.rollback(db, person)
        train_person(db, person, promote=NEVER)
        registry.promote(db, person, 2)
        assert registry.current_version(db, person) == 2
        assert registry.rollback(db, person)["version"] == 1
        assert registry.current_version(db, person) == 1
        with pytest.raises(registry.RegistryError):
            registry.promote(db, person, 7)


def test_an_altered_artefact_is_never_unpickled(predicted):
    from spotify_etl.storage import open_database

    person = predicted["trained"][0]
    with open_database() as db:
        db.model_artefacts.update_one({"_id": f"{person}|v1"}, {"$set": {"bytes": b"\x80\x04N."}})
        with pytest.raises(registry.RegistryError, match="missing or altered"):
            registry.load_model(db, person)


def test_delete_me_removes_the_persons_models(predicted):
    from spotify_etl.people.deletion import delete_user
    from spotify_etl.storage import open_database

    gone, other = predicted["trained"]
    with open_database() as db:
        delete_user(db, gone)
        assert db.models.count_documents({"user_id": gone}) == 0
        assert db.model_artefacts.count_documents({"user_id": gone}) == 0
        assert registry.current_version(db, other) == 1


def test_every_feature_is_documented_in_the_model_card():
    card = DOCS.read_text()
    missing = [name for name in FEATURE_NAMES if f"`{name}`" not in card]
    assert not missing
