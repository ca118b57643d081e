"""Model commands: `model train|list|promote|rollback` (one person's stream-count models)."""

from __future__ import annotations

import json
import sys

import click

from spotify_etl.cli import main
from spotify_etl.prediction.render import figure as _figure
from spotify_etl.prediction.render import metrics_table


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@main.group()
def model() -> None:
    """Stream-count models per person: train, list versions, promote, roll back."""


@model.command()
@click.argument("users", nargs=-1)
@click.option("--all", "everyone", is_flag=True, help="Every connected person with enough "
                                                      "history.")
@click.option("--promote", type=click.Choice(["if-better", "always", "never"]),
              default="if-better", show_default=True,
              help="Promote the new version only if it beats the current one on the held-out "
                   "window, always, or never.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def train(users: tuple[str, ...], everyone: bool, promote: str, as_json: bool) -> None:
    """Train USERS' models, print the held-out comparison, store each as a new version."""
    from spotify_etl.people.directory import list_users
    from spotify_etl.prediction.dataset import NotEnoughHistory
    from spotify_etl.prediction.training import train_person
    from spotify_etl.storage import open_database

    if not users and not everyone:
        _fail("Name one or more people, or --all.")
    failures = 0
    with open_database() as db:
        people = list(users) or [u["_id"] for u in list_users(db, status="active")]
        for user_id in people:
            if db.users.find_one({"_id": user_id}, {"_id": 1}) is None:
                click.echo(f"{user_id}: unknown person", err=True)
                failures += 1
                continue
            try:
                report = train_person(db, user_id, promote=promote.replace("-", "_"))
            except NotEnoughHistory as error:
                click.echo(f"{user_id}: {error}")
                failures += bool(users)
                continue
            if as_json:
                click.echo(json.dumps({"user_id": user_id, **report.as_dict()}, default=str))
                continue
            window = report.window
            click.echo(f"{user_id}: version {report.version} in {report.seconds:.1f} s — "
                       f"{report.examples['training']} training examples on "
                       f"{report.examples['training_reference_dates']} reference dates, "
                       f"{report.examples['held_out']} held out ({window['held_out_window']})")
            click.echo(metrics_table(report.metrics))
            click.echo(("Promoted: " if report.promoted else "Not promoted: ") + report.reason)
    sys.exit(1 if failures else 0)


@model.command("list")
@click.argument("user")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def list_versions(user: str, as_json: bool) -> None:
    """List USER's model versions (the current one marked), newest last."""
    from spotify_etl.prediction import registry
    from spotify_etl.storage import open_database
    from spotify_etl.text import table

    with open_database() as db:
        found = registry.versions(db, user)
    if as_json:
        click.echo(json.dumps([{k: v for k, v in d.items() if k != "_id"} for d in found],
                              default=str, indent=2))
        return
    if not found:
        click.echo(f"No model versions for {user}.")
        return
    rows = [{"version": d["version"], "current": "*" if d["current"] else "",
             "trained_at": str(d["trained_at"])[:19],
             "held_out": d["training_window"]["held_out_window"],
             "MAE": _figure(d["metrics"]["gradient_boosting"]["mae"]),
             "Spearman": _figure(d["metrics"]["gradient_boosting"]["spearman"]),
             "beats baselines": "yes" if d["beats_baselines"] else "no",
             "KB": round(d["artefact"]["bytes"] / 1024)} for d in found]
    click.echo(table(rows, list(rows[0])))


@model.command("promote")
@click.argument("user")
@click.argument("version", type=int)
def promote_version(user: str, version: int) -> None:
    """Make VERSION the model that answers for USER."""
    from spotify_etl.prediction import registry
    from spotify_etl.storage import open_database

    with open_database() as db:
        try:
            registry.promote(db, user, version)
        except registry.RegistryError as error:
            _fail(str(error))
    click.echo(f"{user}: version {version} now answers.")


@model.command()
@click.argument("user")
def rollback(user: str) -> None:
    """Go back to the version USER had before the current one."""
    from spotify_etl.prediction import registry
    from spotify_etl.storage import open_database

    with open_database() as db:
        try:
            document = registry.rollback(db, user)
        except registry.RegistryError as error:
            _fail(str(error))
    click.echo(f"{user}: rolled back to version {document['version']}.")
