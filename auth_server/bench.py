"""`python -m auth_server.bench`: how long the dashboard's pages take on the current store.

Signs each connected person in (straight into the session: no Spotify needed), opens their
page, their year in review, its PNG card and each of their groups' pages a few times through
Flask's test client, and prints the median and slowest server time per page as JSON. Run it
after `make demo` to check the "under a second on demo data" goal (docs/dashboard.md).
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import time

import click


@click.command()
@click.option("--repeat", default=5, show_default=True, type=click.IntRange(1, 100))
def main(repeat: int) -> None:
    """Time every dashboard page of every connected person."""
    from cryptography.fernet import Fernet

    os.environ.setdefault("SPOTIFY_CLIENT_ID", "bench-client-id")
    os.environ.setdefault("AUTH_SERVER_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    from auth_server import create_app
    from auth_server.signin import SESSION_KEY
    from spotify_etl.dashboard.pages import default_year
    from spotify_etl.dashboard.repository import groups_of
    from spotify_etl.storage import open_database

    app = create_app()
    client = app.test_client()
    timings: dict[str, list[float]] = {}
    with open_database() as db:
        people = [u["_id"] for u in db.users.find({}, {"_id": 1})]
        plan = {p: (default_year(db, p), [g["_id"] for g in groups_of(db, p)]) for p in people}
    for person, (year, groups) in plan.items():
        with client.session_transaction() as session:
            session[SESSION_KEY] = {"user_id": person, "at": time.time()}
        paths = {"person": f"/dashboard/people/{person}",
                 "year": f"/dashboard/people/{person}/year/{year}",
                 "card": f"/dashboard/people/{person}/year/{year}.png",
                 **{"group": f"/dashboard/groups/{g}" for g in groups}}
        for page, path in paths.items():
            for _ in range(repeat):
                started = time.perf_counter()
                answer = client.get(path)
                elapsed = time.perf_counter() - started
                if answer.status_code != 200:
                    raise click.ClickException(f"{page} answered {answer.status_code}")
                timings.setdefault(page, []).append(elapsed)
    click.echo(json.dumps({"people": len(plan), "repeat": repeat, "pages": {
        page: {"median_ms": round(1000 * statistics.median(t), 1),
               "max_ms": round(1000 * max(t), 1)} for page, t in timings.items()}}, indent=2))


if __name__ == "__main__":
    main()
