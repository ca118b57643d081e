"""`python -m auth_server.bench [--browser]`: how long the dashboard's pages take on the store.

Signs each connected person in (straight into the session cookie: no Spotify needed) and opens
their page, their year in review, its PNG card and each of their groups' pages a few times:
the server's time per page through Flask's test client, and with `--browser` the time until
every chart is drawn in headless Chromium (what `dashboard.js` records in
`<body data-charts-rendered-ms>`; the first load, which also fetches plotly.js, apart). Prints
JSON. Run it after `make demo` (docs/dashboard.md).
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import threading
import time
from typing import Any

import click

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _summary(timings: dict[str, list[float]]) -> dict[str, Any]:
    return {page: {"median_ms": round(statistics.median(t), 1), "max_ms": round(max(t), 1)}
            for page, t in timings.items()}


def _plan() -> dict[str, dict[str, str]]:
    from spotify_etl.dashboard.pages import default_year
    from spotify_etl.dashboard.repository import groups_of
    from spotify_etl.storage import open_database

    plan = {}
    with open_database() as db:
        for user in db.users.find({}, {"_id": 1}).sort("_id", 1):
            person, year = user["_id"], default_year(db, user["_id"])
            plan[person] = {"person": f"/dashboard/people/{person}",
                            "year": f"/dashboard/people/{person}/year/{year}",
                            "card": f"/dashboard/people/{person}/year/{year}.png",
                            **{"group": f"/dashboard/groups/{g['_id']}"
                               for g in groups_of(db, person)[:1]}}
    return plan


def _server_times(app, plan: dict[str, dict[str, str]], repeat: int) -> dict[str, Any]:
    from auth_server.signin import SESSION_KEY

    client = app.test_client()
    timings: dict[str, list[float]] = {}
    for person, paths in plan.items():
        with client.session_transaction() as session:
            session[SESSION_KEY] = {"user_id": person, "at": time.time()}
        for page, path in paths.items():
            for _ in range(repeat):
                started = time.perf_counter()
                answer = client.get(path)
                elapsed = 1000 * (time.perf_counter() - started)
                if answer.status_code != 200:
                    raise click.ClickException(f"{page} answered {answer.status_code}")
                timings.setdefault(page, []).append(elapsed)
    return _summary(timings)


def _browser_times(app, plan: dict[str, dict[str, str]], repeat: int) -> dict[str, Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait
    from werkzeug.serving import make_server

    from auth_server.signin import SESSION_KEY

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--window-size=1440,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    serializer = app.session_interface.get_signing_serializer(app)
    timings: dict[str, list[float]] = {}
    first: float | None = None
    try:
        driver.get(base + "/healthz")
        for person, paths in plan.items():
            cookie = serializer.dumps({SESSION_KEY: {"user_id": person, "at": time.time()}})
            driver.add_cookie({"name": app.config["SESSION_COOKIE_NAME"], "value": cookie,
                               "path": "/"})
            for page, path in paths.items():
                if page == "card":
                    continue
                for _ in range(repeat):
                    driver.get(base + path)
                    body = WebDriverWait(driver, 60).until(until.presence_of_element_located(
                        (By.CSS_SELECTOR, "body[data-charts-rendered]")))
                    drawn = float(body.get_attribute("data-charts-rendered-ms"))
                    if first is None:
                        first = drawn  # plotly.js fetched and compiled: not a page's own cost
                        continue
                    timings.setdefault(page, []).append(drawn)
    finally:
        driver.quit()
        server.shutdown()
    return {"first_load_ms": first, "pages": _summary(timings)}


@click.command()
@click.option("--repeat", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--browser", is_flag=True, help="Also time the pages in headless Chromium.")
def main(repeat: int, browser: bool) -> None:
    """Time every dashboard page of every connected person."""
    from cryptography.fernet import Fernet

    os.environ.setdefault("SPOTIFY_CLIENT_ID", "bench-client-id")
    os.environ.setdefault("AUTH_SERVER_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    from auth_server import create_app

    app = create_app()
    plan = _plan()
    result: dict[str, Any] = {"people": len(plan), "repeat": repeat,
                              "server": _server_times(app, plan, repeat)}
    if browser:
        result["chromium_charts_drawn"] = _browser_times(app, plan, repeat)
    click.echo(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
