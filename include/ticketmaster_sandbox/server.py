"""Run a Ticketmaster sandbox over real HTTP on a background thread (tests, demos, the CLI).

The Spotify sandbox's runner (`BackgroundServer`); the world is in-process, so tests can reach
`srv.world`. werkzeug's request lines would show the `apikey` parameter; they are logged at
INFO, which the runner silences.
"""

from __future__ import annotations

from spotify_sandbox.server import BackgroundServer
from spotify_sandbox.world import World

from ticketmaster_sandbox.app import create_app
from ticketmaster_sandbox.limits import API_KEY, DEFAULT_QUOTA, DEFAULT_RATE, Gateway
from ticketmaster_sandbox.world import ConcertWorld


class TicketmasterSandboxServer(BackgroundServer):
    """A Ticketmaster sandbox listening on host:port (port 0 picks a free port)."""

    thread_name = "ticketmaster-sandbox"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: int = 42,
                 api_key: str = API_KEY, quota: int = DEFAULT_QUOTA,
                 rate_per_second: float = DEFAULT_RATE, world: World | None = None) -> None:
        self.world = ConcertWorld(seed=seed, world=world)
        self.gateway = Gateway(api_key=api_key, quota=quota, rate_per_second=rate_per_second)
        super().__init__(create_app(self.world, self.gateway), host, port)

    @property
    def api_url(self) -> str:
        """Return the Discovery API base, as TICKETMASTER_API_BASE_URL wants it."""
        return self.url + "/discovery/v2/"
