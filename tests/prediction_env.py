"""A store with months of sandbox history and trained models, for the prediction tests.

Three sandbox people are connected through the real token store (development mode, so
popularity is null as for every new app). Two get HISTORY_DAYS of history and a trained,
promoted model: the first (`captured`) through the pipeline's own transform and loader
(`spotify_etl.local.world_history`), the second (`imported`) by importing the sandbox's
`my_spotify_data.zip` of those days (both formats) with `history import`, plus the loader's
top lists. The third gets a single week: not enough history.
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
    from spotify_sandbox.exports import write_export

    from spotify_etl.history.importer import import_export

    people = [p["id"] for p in seed_users(server.url, 3)]
    trained, short = people[1:], people[0]
    world = server.sandbox.world
    imported = trained[1]
    export = root / "my_spotify_data.zip"
    write_export(world, next(u.index for u in world.users if u.id == imported), str(export),
                 until=LAST_DAY, days=HISTORY_DAYS)
    with open_database() as db:
        import_report = import_export(db, imported, export)
        # the loader skips plays the history room owns: the imported person gets top lists
        load_history(db, server.sandbox, trained, LAST_DAY - timedelta(days=HISTORY_DAYS - 1),
                     LAST_DAY, days_per_load=14)
        load_history(db, server.sandbox, [short], LAST_DAY - timedelta(days=6), LAST_DAY)
        reports = {person: train_person(db, person) for person in trained}
    return {"data_dir": root / "data", "key": key, "trained": trained, "short": short,
            "captured": trained[0], "imported": imported, "import_report": import_report,
            "reports": reports}
