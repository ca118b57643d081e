"""`load_history`: months of sandbox listening through the pipeline's own loader."""

from __future__ import annotations

from datetime import date

from cryptography.fernet import Fernet

from spotify_etl.local.scaleout import store_settings
from spotify_etl.local.world_history import load_history, world_sandbox
from spotify_etl.storage import open_database

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 7)


def test_people_whose_plays_history_owns_get_top_lists_but_no_second_copy_of_their_plays(
        tmp_path):
    sandbox = world_sandbox(users=2)
    ana, ben = list(sandbox.world.user_index)[:2]
    with open_database(store_settings(tmp_path, Fernet.generate_key().decode())) as db:
        db.users.insert_many([{"_id": ana, "status": "active"},
                              {"_id": ben, "status": "active", "plays_owner": "history"}])
        stored = load_history(db, sandbox, [ana, ben], FIRST, LAST)
        assert stored[ana] > 0 and stored[ben] == 0
        assert db.top_lists.count_documents({"user_id": ben}) == 6
        assert db.top_lists.count_documents({"user_id": ana}) == 6
