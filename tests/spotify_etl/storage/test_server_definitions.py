"""What apply_validators and create_views send to a MongoDB server: create when missing,
collMod only when the definition changed (the application user may lack dbAdmin), nothing
on the embedded store. A recording stand-in plays the server."""

from __future__ import annotations

import pytest

from spotify_etl.storage.schemas import SCHEMAS, apply_validators, validator
from spotify_etl.storage.server import server_version
from spotify_etl.storage.views import VIEWS, create_views, view_pipeline


class RecordingServer:
    """Just enough of pymongo's Database to record the definition commands."""

    def __init__(self, collections: dict[str, dict] | None = None) -> None:
        self.collections = collections or {}
        self.calls: list[tuple] = []

    def command(self, name, *args, **kwargs):
        if name == "buildInfo":
            return {"version": "8.0.4", "versionArray": [8, 0, 4, 0], "ok": 1.0}
        self.calls.append((name, *args, kwargs))
        return {"ok": 1.0}

    def list_collections(self):
        return [{"name": n, **info} for n, info in self.collections.items()]

    def create_collection(self, name, **options):
        self.calls.append(("create", name, options))


def test_the_server_version_comes_from_build_info():
    import mongomock_ng as mongomock

    assert server_version(RecordingServer()) == (8, 0, 4)
    assert server_version(mongomock.MongoClient()["x"]) is None


def test_missing_collections_are_created_with_their_validator():
    server = RecordingServer()
    assert apply_validators(server) == list(SCHEMAS)
    created = {call[1]: call[2] for call in server.calls if call[0] == "create"}
    assert created["top_lists"] == {"validator": validator("top_lists"),
                                    "validationLevel": "moderate", "validationAction": "error"}
    assert len(created) == len(SCHEMAS)


def test_unchanged_validators_are_left_alone_and_changed_ones_modified():
    same = {"validator": None, "validationLevel": "moderate", "validationAction": "error"}
    collections = {name: {"type": "collection", "options": {**same, "validator": validator(name)}}
                   for name in SCHEMAS}
    collections["runs"]["options"]["validationAction"] = "warn"
    server = RecordingServer(collections)
    apply_validators(server)
    assert [(c[0], c[1]) for c in server.calls] == [("collMod", "runs")]


def test_views_are_created_then_only_changed_ones_replaced():
    server = RecordingServer()
    assert create_views(server) == list(VIEWS)
    assert [(c[0], c[1], c[2]["viewOn"]) for c in server.calls] == [
        ("create", name, view.source) for name, view in VIEWS.items()]
    existing = {name: {"type": "view", "options": {"viewOn": view.source,
                                                   "pipeline": view_pipeline(name)}}
                for name, view in VIEWS.items()}
    existing["genre_share_weekly"]["options"]["pipeline"] = []
    server = RecordingServer(existing)
    create_views(server)
    assert [(c[0], c[1]) for c in server.calls] == [("collMod", "genre_share_weekly")]


def test_a_collection_in_the_way_of_a_view_is_named():
    server = RecordingServer({"latest_top_items": {"type": "collection", "options": {}}})
    with pytest.raises(RuntimeError, match="latest_top_items exists and is a collection"):
        create_views(server)
