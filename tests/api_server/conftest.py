"""Fixtures for the API service: an app against the stored snapshots and the Ticketmaster
sandbox, and a person with an API token."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `python -m api_server` runs from the repo root
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture
def api(concerts_env):
    """A test client of the API and the people's bearer headers (by user id)."""
    from fastapi.testclient import TestClient

    from api_server import create_app
    from spotify_etl.people.api_tokens import issue_token
    from spotify_etl.storage import open_database

    with open_database() as db:
        headers = {p: {"Authorization": f"Bearer {issue_token(db, p)}"} for p in concerts_env}
    with TestClient(create_app()) as client:
        client.people = headers
        yield client


@pytest.fixture
def prediction_api(predicted):
    """A test client of the API over months of history, and the people's bearer headers."""
    from fastapi.testclient import TestClient

    from api_server import create_app
    from spotify_etl.people.api_tokens import issue_token
    from spotify_etl.storage import open_database

    people = [*predicted["trained"], predicted["short"]]
    with open_database() as db:
        headers = {p: {"Authorization": f"Bearer {issue_token(db, p)}"} for p in people}
    with TestClient(create_app()) as client:
        client.people = headers
        client.store = predicted
        yield client
