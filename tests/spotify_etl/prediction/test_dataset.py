"""The target, the time-based split and features that never look past the reference date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from spotify_etl.prediction import dataset


def test_the_target_counts_plays_in_the_30_days_after_the_reference_date(predicted):
    from spotify_etl.storage import open_database

    person = predicted["trained"][0]
    with open_database() as db:
        data = dataset.read_person(db, person)
        reference = dataset.split(data).held_out
        tracks = dataset.candidates(data, reference)[:25]
        start = datetime.combine(reference + timedelta(days=1), datetime.min.time(), UTC)
        expected = [db.plays.count_documents({"user_id": person, "track_id": t,
                                              "played_at": {"$gte": start,
                                                            "$lt": start + timedelta(days=30)}})
                    for t in tracks]
    assert dataset.targets(data, reference, tracks).tolist() == expected
    assert sum(expected) > 0


def test_the_held_out_window_is_the_newest_and_training_ends_before_it(predicted):
    from spotify_etl.storage import open_database

    with open_database() as db:
        data = dataset.read_person(db, predicted["trained"][0])
    split = dataset.split(data)
    assert split.held_out == data.last_day - timedelta(days=dataset.HORIZON_DAYS)
    assert max(split.training) + timedelta(days=dataset.HORIZON_DAYS) <= split.held_out
    assert min(split.training) >= data.first_day + timedelta(days=dataset.WARMUP_DAYS)
    assert len(split.training) >= dataset.MIN_REFERENCE_DATES


def test_features_are_the_same_with_the_future_deleted(predicted):
    """Erase everything after a reference date: its feature vectors must not change."""
    from spotify_etl.storage import open_database

    person = predicted["trained"][1]
    with open_database() as db:
        data = dataset.read_person(db, person)
        reference = dataset.split(data).training[-1]
        before, _, keys = dataset.examples(data, [reference])
        cut = datetime.combine(reference + timedelta(days=1), datetime.min.time(), UTC)
        assert db.plays.delete_many({"user_id": person, "played_at": {"$gte": cut}}
                                    ).deleted_count > 0
        db.top_lists.delete_many({"user_id": person,
                                  "snapshot_date": {"$gt": reference.isoformat()}})
        past_only = dataset.read_person(db, person)
    after, _, keys_after = dataset.examples(past_only, [reference])
    assert keys["track_id"].tolist() == keys_after["track_id"].tolist()
    np.testing.assert_array_equal(before.to_numpy(), after.to_numpy())


def test_a_weeks_history_is_not_enough(predicted):
    from spotify_etl.storage import open_database

    with open_database() as db:
        data = dataset.read_person(db, predicted["short"])
    with pytest.raises(dataset.NotEnoughHistory, match="^not enough history: .* needed"):
        dataset.split(data)
