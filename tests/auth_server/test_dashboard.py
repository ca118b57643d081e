"""The dashboard through the app (Flask's test client), signed in through the sandbox's real
consent page: who may see which page, what each page holds, and the PNG card."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from dashboard_env import GROUP, analyse, configure, dashboard_client

from analytics_helpers import FIRST_DAY, LAST_DAY


@pytest.fixture(scope="module")
def world():
    """The sandbox world the stored snapshots came from (same seed and size)."""
    from spotify_sandbox import SandboxServer

    with SandboxServer(mode="extended", seed=42, users=50) as srv:
        yield srv


@pytest.fixture
def people(stored, world, monkeypatch):
    configure(monkeypatch, world, "http://127.0.0.1:8888")
    analyse(stored, FIRST_DAY, LAST_DAY)
    return stored


def sign_in(client, robot, user_id: str):
    query = robot.consent(client, user_id=user_id, login_path="/login?then=dashboard")
    return client.get(robot.callback_path(query))


def test_signing_in_leads_to_the_persons_own_page(people, robot):
    client = dashboard_client()
    assert client.get(f"/dashboard/people/{people[0]}").status_code == 302  # not signed in
    landed = sign_in(client, robot, people[0])
    assert landed.status_code == 302 and landed.headers["Location"].endswith("/dashboard/")
    home = client.get("/dashboard/")
    assert home.headers["Location"].endswith(f"/dashboard/people/{people[0]}")
    page = client.get(f"/dashboard/people/{people[0]}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for chart in ("chart-bump", "chart-genres", "chart-clock"):
        assert f'id="{chart}-figure"' in text
    assert f'href="/dashboard/groups/{GROUP}"' in text
    assert "cdn" not in text.lower()
    from spotify_etl.people.tokens import TokenStore
    from spotify_etl.settings import load_settings
    from spotify_etl.storage import database

    token = TokenStore(database(), load_settings()).token_info(people[0])
    assert token["refresh_token"] not in text and token["refresh_token"] not in str(
        client.get_cookie("spotify_auth_session", domain="127.0.0.1").value)
    assert re.search(r'<script src="/dashboard/assets/plotly-[0-9.]+\.min\.js">', text)


def test_a_person_cannot_open_another_persons_pages_and_unknown_ones_are_404(people, robot):
    client = dashboard_client()
    sign_in(client, robot, people[0])
    other = people[1]
    for path in (f"/dashboard/people/{other}", f"/dashboard/people/{other}/year/2026",
                 f"/dashboard/people/{other}/year/2026.png", f"/dashboard/people/{other}/year"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert other not in answer.get_data(as_text=True).replace(path, "")
    assert client.get("/dashboard/people/nobody-like-this").status_code == 404
    assert client.get("/dashboard/groups/no-such-group").status_code == 404


def test_a_group_page_is_only_for_its_members(people, robot):
    from spotify_etl.analytics.groups import add_group
    from spotify_etl.storage import open_database

    with open_database() as db:
        add_group(db, "pair", people[1:])
    client = dashboard_client()
    sign_in(client, robot, people[0])
    assert client.get("/dashboard/groups/pair").status_code == 403
    page = client.get(f"/dashboard/groups/{GROUP}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="chart-match-figure"' in text and 'id="together"' in text
    assert len(re.findall(r"<tr(?: class=\"shared\")?><td>\d+</td>", text)) == 50  # the mix


def test_the_person_page_shows_the_stored_top_lists_and_changes(people, robot):
    from spotify_etl.analytics.repository import top_list
    from spotify_etl.dashboard.pages import person_page
    from spotify_etl.storage import open_database

    with open_database() as db:
        artists = top_list(db, people[0], LAST_DAY, "artists", "short_term")
        page = person_page(db, people[0])
        plays = db.plays.count_documents({"user_id": people[0]})
    assert [a["id"] for a in page["top_artists"]] == [a["item_id"] for a in artists[:10]]
    assert page["snapshot_date"] == LAST_DAY.isoformat()
    assert page["changes"]["label"] == f"since {FIRST_DAY}"
    assert [s["ranks"][-1] for s in page["bump"]] == list(range(1, 9))
    assert page["bump"][0]["dates"] == [FIRST_DAY.isoformat(), LAST_DAY.isoformat()]
    assert sum(map(sum, page["clock"])) == plays == page["lifetime"]["plays"]
    for week in range(len(page["genres"]["weeks"])):
        assert sum(s[week] for s in page["genres"]["series"].values()) == pytest.approx(100, abs=1)


def png_size(data: bytes) -> tuple[int, int]:
    """Check the PNG signature and the IHDR chunk's CRC; return (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16:29]
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(kind + body)
    assert data.endswith(b"IEND\xaeB`\x82")
    return struct.unpack(">II", body[:8])


def test_the_year_in_review_and_its_png_card(people, robot):
    client = dashboard_client()
    sign_in(client, robot, people[0])
    opened = client.get(f"/dashboard/people/{people[0]}/year")
    assert opened.headers["Location"].endswith(f"/year/{LAST_DAY.year}")
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert 'id="chart-discoveries-figure"' in page and 'id="download-card"' in page
    card = client.get(f"/dashboard/people/{people[0]}/year/{LAST_DAY.year}.png")
    assert card.status_code == 200 and card.mimetype == "image/png"
    assert "attachment" in card.headers["Content-Disposition"]
    assert png_size(card.data) == (1080, 1350)
    assert client.get(f"/dashboard/people/{people[0]}/year/1999.png").status_code == 404


def test_the_year_review_counts_the_years_plays(people):
    from collections import Counter
    from datetime import UTC, datetime

    from spotify_etl.dashboard.pages import year_review
    from spotify_etl.storage import open_database

    year = LAST_DAY.year
    with open_database() as db:
        review = year_review(db, people[0], year)
        plays = [p for p in db.plays.find({"user_id": people[0]})
                 if p["played_at"].replace(tzinfo=UTC) >= datetime(year, 1, 1, tzinfo=UTC)]
    assert review["source"] == "plays"
    assert review["minutes"] == round(sum(p["duration_ms"] for p in plays) / 60000)
    counts = Counter(p["track_id"] for p in plays)
    assert review["top_tracks"][0]["plays"] == counts.most_common(1)[0][1]
    assert sum(review["discoveries"]) == len({a for p in plays for a in p["artist_ids"]})
    assert review["discovery_month"] is not None


def test_signing_in_to_the_dashboard_stores_nobody_new(data_dir, world, monkeypatch, robot):
    from cryptography.fernet import Fernet

    from spotify_etl.storage import open_database

    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    configure(monkeypatch, world, "http://127.0.0.1:8888")
    client = dashboard_client()
    answer = sign_in(client, robot, world.world.users[7].id)
    assert answer.status_code == 403
    with open_database() as db:
        assert db.users.count_documents({}) == 0
    assert client.get("/dashboard/").status_code == 200  # still asked to sign in


def test_plotly_is_served_by_the_app_itself_and_cached_while_pages_never_are(people):
    from importlib.metadata import version

    client = dashboard_client()
    answer = client.get(f"/dashboard/assets/plotly-{version('plotly')}.min.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert b"plotly.js" in answer.data[:2000] and len(answer.data) > 1_000_000
    assert "immutable" in answer.headers["Cache-Control"]
    assert client.get("/dashboard/assets/plotly-0.0.1.min.js").status_code == 404
    assert client.get("/dashboard/").headers["Cache-Control"] == "no-store"


def test_signing_out_ends_the_dashboard_session(people, robot):
    client = dashboard_client()
    sign_in(client, robot, people[0])
    page = client.get(f"/dashboard/people/{people[0]}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/dashboard/sign-out", data={"csrf_token": "x" * 43},
                       headers={"Origin": "http://127.0.0.1:8888"}).status_code == 403
    out = client.post("/dashboard/sign-out", data={"csrf_token": token},
                      headers={"Origin": "http://127.0.0.1:8888"})
    assert out.status_code == 302
    assert client.get(f"/dashboard/people/{people[0]}").status_code == 302


def test_without_plays_the_year_comes_from_the_long_term_top_lists(people, robot):
    from spotify_etl.analytics.repository import top_list
    from spotify_etl.dashboard.pages import year_review
    from spotify_etl.storage import open_database

    with open_database() as db:
        db.plays.delete_many({"user_id": people[0]})
        review = year_review(db, people[0], LAST_DAY.year)
        long_term = top_list(db, people[0], LAST_DAY, "artists", "long_term")
        first = {a["item_id"] for a in top_list(db, people[0], FIRST_DAY, "artists", "short_term")}
        last = {a["item_id"] for a in top_list(db, people[0], LAST_DAY, "artists", "short_term")}
    assert review["source"] == "top lists" and review["minutes"] is None
    assert [a["name"] for a in review["top_artists"]] == [a["name"] for a in long_term[:5]]
    assert sum(review["discoveries"]) == len(last - first)
    client = dashboard_client()
    sign_in(client, robot, people[0])
    card = client.get(f"/dashboard/people/{people[0]}/year/{LAST_DAY.year}.png")
    assert card.status_code == 200 and png_size(card.data) == (1080, 1350)
    assert "minutes need plays" in client.get(
        f"/dashboard/people/{people[0]}/year/{LAST_DAY.year}").get_data(as_text=True)
