"""A store with months of sandbox history and trained models, for the prediction tests.

Three sandbox people are connected through the real token store (development mode, so
popularity is null as for every new app); two get HISTORY_DAYS of plays through the pipeline's
own transform and loader (`spotify_etl.local.world_history`) and a trained, promoted model; the
third gets a single week: not enough history.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from pipeline_env import use_embedded_store, use_sandbox

LAST_DAY = date(2026, 11, 15)
HISTORY_DAYS = 200


def build_prediction_store(patch: pytest.MonkeyPatch, root: Path, server) -> dict:
    """Fill `root/data` (embedded store) and return who is who and the encryption key."""
    from spotify_etl.local.sandbox import seed_users
    from spotify_etl.local.world_history import load_history
    from spotify_etl.prediction.training import train_person
    from spotify_etl.storage import open_database

    key = Fernet.generate_key().decode()
    use_embedded_store(patch, root / "data", key)
    use_sandbox(patch, server.url)
    people = [p["id"] for p in seed_users(server.url, 3)]
    trained, short = people[1:], people[0]
    with open_database() as db:
        load_history(db, server.sandbox, trained, LAST_DAY - timedelta(days=HISTORY_DAYS - 1),
                     LAST_DAY, days_per_load=14)
        load_history(db, server.sandbox, [short], LAST_DAY - timedelta(days=6), LAST_DAY)
        reports = {person: train_person(db, person) for person in trained}
    return {"data_dir": root / "data", "key": key, "trained": trained, "short": short,
            "reports": reports}
