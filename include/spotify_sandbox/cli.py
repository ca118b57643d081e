"""The sandbox's command line: `python -m spotify_sandbox` (also `python -m spotify_etl sandbox`).

Runs the server in the foreground until Ctrl-C or SIGTERM. Stands alone: nothing here imports
the pipeline.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from spotify_sandbox.state import CLIENT_ID, CLIENT_SECRET


def _date(_: Any, __: Any, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD") from None


@click.command("sandbox", context_settings={"help_option_names": ["-h", "--help"],
                                           "max_content_width": 100})
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8900, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks any free port (the URL is printed).")
@click.option("--mode", type=click.Choice(["extended", "development"]), default="extended",
              show_default=True,
              help="API shape: extended quota, or February-2026 development mode (removed "
                   "fields and endpoints, 5-user allowlist, artist-albums limit 10).")
@click.option("--seed", default=42, show_default=True, type=int,
              help="Seed of the synthetic world: same seed, same answers.")
@click.option("--users", default=50, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Number of synthetic users.")
@click.option("--client-id", default=CLIENT_ID, show_default=True,
              help="The only client id the Accounts service accepts.")
@click.option("--client-secret", default=CLIENT_SECRET, show_default=True,
              help="Its client secret (HTTP Basic at /api/token).")
@click.option("--date", "today", callback=_date, default=None, metavar="YYYY-MM-DD",
              help="Start the simulated clock on this date (default: today, UTC). Change it "
                   "later with POST /__sandbox/clock or per request with X-Sandbox-Date.")
@click.option("--without-genres", is_flag=True,
              help="Serve artists without their `genres` field (whether development mode still "
                   "sends it is disputed).")
@click.option("--write-export", "export_user", metavar="USER_ID", default=None,
              help="Write this user's my_spotify_data.zip (both export formats) to --out and "
                   "exit, without serving.")
@click.option("--out", "export_path", type=click.Path(dir_okay=False), default="my_spotify_data.zip",
              show_default=True, help="Where --write-export writes the zip.")
@click.option("--export-days", default=365, show_default=True, type=click.IntRange(1, 7320),
              help="Days of history in the export, up to the day before --date.")
def sandbox(host: str, port: int, mode: str, seed: int, users: int, client_id: str,
            client_secret: str, today: dt.date | None, without_genres: bool,
            export_user: str | None, export_path: str, export_days: int) -> None:
    """Run the Spotify sandbox: a local stand-in for Spotify's Accounts service and Web API.

    It answers the subset of Spotify the project uses, in Spotify's shapes, over real HTTP, for a
    deterministic synthetic world. It is a test double, not Spotify. See docs/sandbox.md.
    Stop it with Ctrl-C (or SIGTERM).
    """
    if export_user is not None:
        from spotify_sandbox.exports import write_export
        from spotify_sandbox.world import World

        world = World(seed=seed, users=users)
        if export_user not in world.user_index:
            raise click.BadParameter(f"no sandbox user {export_user!r}", param_hint="--write-export")
        until = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)
        counts = write_export(world, world.user_index[export_user], export_path, until=until,
                              days=export_days)
        click.echo(f"Wrote {export_path}: {counts['account_music']} account-data music rows, "
                   f"{counts['extended']} extended-history rows (up to {until}).")
        return
    from spotify_sandbox import SandboxServer

    server = SandboxServer(host=host, port=port, mode=mode, seed=seed, users=users,
                           client_id=client_id, client_secret=client_secret, today=today,
                           genres=not without_genres)
    server.start()
    # The first line is parsed by whoever launches this as a subprocess: keep it exact.
    click.echo(f"Spotify sandbox listening on {server.url}")
    lines = [
        f"  mode {mode}, seed {seed}, {users} users, clock {server.sandbox.clock.isoformat()}"
        f"{' (follows the real date)' if today is None else ''}"
        f"{', artists without genres' if without_genres else ''}",
        f"  spotipy: sp.prefix = '{server.api_url}'; "
        f"auth_manager.OAUTH_TOKEN_URL = '{server.accounts_url}/api/token'",
        f"           auth_manager.OAUTH_AUTHORIZE_URL = '{server.accounts_url}/authorize'",
        f"  seed users without a browser: POST {server.url}/__sandbox/authorize "
        '{"count": 5}',
        "  a local stand-in for Spotify, not Spotify: the data is synthetic. Ctrl-C stops it.",
    ]
    for line in lines:
        click.echo(line)
    sys.stdout.flush()
    server.run_until_signal()
    click.echo("Spotify sandbox stopped.")
