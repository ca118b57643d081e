"""Whose access ends soon, in words and by e-mail through Airflow's SMTP settings."""

from __future__ import annotations

import email
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from spotify_etl.people.expiry import access_ending, describe, send_reminders, smtp_configured
from spotify_etl.people.tokens import REFRESH_TOKEN_LIFETIME, TokenStore
from spotify_etl.settings import load_settings
from spotify_etl.storage import database

TODAY = date(2027, 4, 27)


@pytest.fixture
def store(data_dir, monkeypatch):
    monkeypatch.setenv("SPOTIFY_ETL_FERNET_KEY", Fernet.generate_key().decode())
    store = TokenStore(database(), load_settings())
    token = {"refresh_token": "AQ-x", "access_token": None, "expires_at": 0}
    for user_id, name, days_ago in (("soon", "Ximena López", 172), ("later", "Mateo", 100),
                                    ("gone", None, 190)):
        consented = datetime.combine(TODAY, datetime.min.time(), UTC) - timedelta(days=days_ago)
        store.save_user({"id": user_id, "display_name": name}, token, consented_at=consented)
    return store


def test_people_within_two_weeks_are_listed_soonest_first_and_described(store):
    people = access_ending(store.db, TODAY)
    assert [(p["user_id"], p["days_left"]) for p in people] == [("gone", -8), ("soon", 10)]
    assert people[1]["consented"] == (TODAY - timedelta(days=172)).isoformat()
    assert people[1]["access_ends"] == (TODAY + REFRESH_TOKEN_LIFETIME
                                         - timedelta(days=172)).isoformat()
    assert describe(people[1]).startswith("Spotify access of Ximena López (soon) ends in 10 "
                                          "days")
    assert "has ended" in describe(people[0])


def test_smtp_counts_as_configured_only_with_a_real_host(monkeypatch):
    monkeypatch.delenv("AIRFLOW__SMTP__SMTP_HOST", raising=False)
    assert not smtp_configured()  # Airflow's placeholder `localhost`
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_HOST", "smtp.example.org")
    assert smtp_configured()


def test_a_reminder_goes_out_once_per_consent_and_no_address_is_logged(store, smtp_inbox,
                                                                      caplog):
    caplog.set_level(logging.DEBUG)
    store.set_contact("soon", "ximena@example.org")
    store.set_contact("gone", "gone@example.org")
    people = access_ending(store.db, TODAY)
    assert send_reminders(store, people) == ["soon"]  # the ended one is past reminding
    assert send_reminders(store, people) == []
    [mail] = smtp_inbox
    assert mail.rcpt_tos == ["ximena@example.org"]
    assert mail.mail_from == "spotify-etl@example.org"
    message = email.message_from_bytes(mail.content)
    text = next(part for part in message.walk()
                if part.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert people[1]["access_ends"] in message["Subject"]
    assert "Ximena López" in text and "/people/soon/reconnect" in text
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.")]
    assert not any("ximena@" in line or "gone@" in line for line in ours)
    # Reconnecting starts a new six months: the next reminder is for the new end date.
    assert store.reminded_for("soon") == people[1]["access_ends"]


def test_without_smtp_nothing_is_sent(store, monkeypatch):
    monkeypatch.delenv("AIRFLOW__SMTP__SMTP_HOST", raising=False)
    store.set_contact("soon", "ximena@example.org")
    assert send_reminders(store, access_ending(store.db, TODAY)) == []


def test_the_contact_address_is_kept_encrypted_out_of_users(store):
    store.set_contact("soon", "ximena@example.org")
    assert "ximena" not in str(store.db.users.find_one({"_id": "soon"}))
    assert "ximena" not in str(store.db.tokens.find_one({"_id": "soon"}))
    assert store.contact("soon") == "ximena@example.org"
    store.set_contact("soon", None)
    assert store.contact("soon") is None
