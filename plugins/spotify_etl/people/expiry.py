"""When each person's Spotify access ends, and reminding them before it does.

Access ends six months after consent (`users.refresh_token_expires_at`); since Spotify no
longer rotates refresh tokens, refreshing does not extend it. `access_ending` lists the active
people whose access ends within `ACCESS_WARNING_DAYS`; `send_reminders` e-mails those with a
contact address once per consent, through Airflow's SMTP settings, and only when an SMTP
server is configured. Addresses never reach a log line.
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from spotify_etl.constants import ACCESS_WARNING_DAYS, ACTIVE

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.people.tokens import TokenStore

log = logging.getLogger(__name__)


def access_dates(user: dict[str, Any], today: date) -> dict[str, Any]:
    """A person's consent date, the day their access ends and the days left (None if unknown)."""
    consented, ends = user.get("consented_at"), user.get("refresh_token_expires_at")
    return {"consented": consented.date().isoformat() if consented else None,
            "access_ends": ends.date().isoformat() if ends else None,
            "days_left": (ends.date() - today).days if ends else None}


def access_ending(db: Database, today: date, within_days: int = ACCESS_WARNING_DAYS
                  ) -> list[dict[str, Any]]:
    """List active people whose access ends within `within_days` of today (or has ended)."""
    until = datetime.combine(today + timedelta(days=within_days + 1), time(), UTC)
    users = db.users.find({"status": ACTIVE, "refresh_token_expires_at": {"$lt": until}},
                          projection={"display_name": 1, "consented_at": 1,
                                      "refresh_token_expires_at": 1}
                          ).sort("refresh_token_expires_at", 1)
    return [{"user_id": user["_id"], "display_name": user.get("display_name"),
             **access_dates(user, today)} for user in users]


def describe(person: dict[str, Any]) -> str:
    """One line about one person whose access ends soon (no contact details)."""
    days = person["days_left"]
    when = ("has ended" if days < 0 else "ends today" if days == 0
            else f"ends in {days} day{'s' if days != 1 else ''}")
    name = person["display_name"] or person["user_id"]
    return (f"Spotify access of {name} ({person['user_id']}) {when} ({person['access_ends']}, "
            f"six months after consent on {person['consented']}): they should reconnect at "
            "the authorization helper.")


def smtp_configured() -> bool:
    """Tell whether Airflow has an SMTP server to send through.

    Airflow ships `[smtp] smtp_host = localhost` as a placeholder, so only another host counts
    (for a relay on this machine, write 127.0.0.1).
    """
    try:
        from airflow.configuration import conf
    except ImportError:
        return False
    host = conf.get("smtp", "smtp_host", fallback="") or ""
    return bool(host.strip()) and host != conf.get_default_value("smtp", "smtp_host")


def reminder(person: dict[str, Any], reconnect_url: str) -> tuple[str, str]:
    """The subject and HTML body of one person's reminder."""
    name = html.escape(person["display_name"] or person["user_id"])
    subject = f"Your Spotify connection to spotify_etl ends on {person['access_ends']}"
    body = (f"<p>Hello {name},</p><p>the access you gave spotify_etl to your Spotify account on "
            f"{person['consented']} ends on <strong>{person['access_ends']}</strong> (Spotify "
            "ends every consent after six months). To keep your daily snapshots going, connect "
            f"again before then: <a href=\"{html.escape(reconnect_url)}\">"
            f"{html.escape(reconnect_url)}</a>.</p><p>If you do nothing, snapshots of your "
            "listening stop on that day; nothing already stored is lost.</p>")
    return subject, body


def send_reminders(store: TokenStore, people: list[dict[str, Any]]) -> list[str]:
    """E-mail each person with a contact address once per access-end date; return their ids.

    Does nothing without a configured SMTP server. A failed send is logged (without the
    address) and tried again on the next daily check.
    """
    if not people or not smtp_configured():
        return []
    from airflow.configuration import conf
    from airflow.providers.smtp.utils import emailer

    # The emailer logs each recipient's address at INFO: addresses stay out of task logs.
    logging.getLogger(emailer.__name__).setLevel(logging.WARNING)
    helper = urlsplit(store.settings.redirect_uri)
    reminded = []
    for person in people:
        if person["days_left"] < 0 or store.reminded_for(person["user_id"]) == person[
                "access_ends"]:
            continue
        subject, body = reminder(person, f"{helper.scheme}://{helper.netloc}/people/"
                                         f"{person['user_id']}/reconnect")
        try:
            address = store.contact(person["user_id"])
            if not address:
                continue
            emailer.send_email_smtp(address, subject, body,
                                    conn_id=conf.get("email", "email_conn_id",
                                                     fallback="smtp_default"),
                                    from_email=conf.get("email", "from_email", fallback=None))
        except Exception as error:  # noqa: BLE001 - one failed reminder must not stop the run
            log.warning("Could not e-mail %s about their access ending (%s); trying again "
                        "tomorrow", person["user_id"], type(error).__name__)
            continue
        store.record_reminder(person["user_id"], person["access_ends"])
        reminded.append(person["user_id"])
        log.info("Reminded %s by e-mail that their access ends on %s", person["user_id"],
                 person["access_ends"])
    return reminded
