"""The sandbox's command line: `python -m ticketmaster_sandbox`.

Runs the server in the foreground until Ctrl-C or SIGTERM. Stands alone: nothing here imports
the pipeline.
"""

from __future__ import annotations

import sys

import click

from ticketmaster_sandbox.limits import API_KEY, DEFAULT_QUOTA, DEFAULT_RATE


@click.command("ticketmaster-sandbox", context_settings={"help_option_names": ["-h", "--help"],
                                                         "max_content_width": 100})
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8910, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks any free port (the URL is printed).")
@click.option("--seed", default=42, show_default=True, type=int,
              help="Seed: the Spotify sandbox's artists of this seed get the concerts.")
@click.option("--api-key", default=API_KEY, show_default=True,
              help="The only API key the sandbox accepts (`apikey` parameter).")
@click.option("--quota", default=DEFAULT_QUOTA, show_default=True, type=click.IntRange(0),
              help="Requests a day per key before 429 (resets at UTC midnight).")
@click.option("--rate", default=DEFAULT_RATE, show_default=True, type=click.FloatRange(0),
              help="Requests a second before a spike-arrest 429; 0 switches it off.")
def main(host: str, port: int, seed: int, api_key: str, quota: int, rate: float) -> None:
    """Run the Ticketmaster sandbox: a local stand-in for the Discovery API v2.

    Deterministic concerts of the Spotify sandbox's artists in a handful of real cities, in
    Ticketmaster's shapes, with its key, quota and rate limits; 429s and 5xx on demand through
    /__sandbox/faults. It is a test double, not Ticketmaster. See docs/ticketmaster_sandbox.md.
    """
    from ticketmaster_sandbox.server import TicketmasterSandboxServer

    server = TicketmasterSandboxServer(host=host, port=port, seed=seed, api_key=api_key,
                                       quota=quota, rate_per_second=rate).start()
    # The first line is parsed by whoever launches this as a subprocess: keep it exact.
    click.echo(f"Ticketmaster sandbox listening on {server.url}")
    click.echo(f"  seed {seed}, {len(server.world.attractions)} attractions, quota {quota}/day, "
               f"{rate:g} requests/s; TICKETMASTER_API_BASE_URL={server.api_url}")
    click.echo("  a local stand-in for Ticketmaster, not Ticketmaster: the concerts are "
               "synthetic. Ctrl-C stops it.")
    sys.stdout.flush()
    server.run_until_signal()
    click.echo("Ticketmaster sandbox stopped.")
