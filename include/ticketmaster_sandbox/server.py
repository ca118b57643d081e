"""Run a Ticketmaster sandbox over real HTTP on a background thread (tests, demos, the CLI).

Wraps werkzeug's threaded server; the world is in-process, so tests can reach `srv.world`.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from spotify_sandbox.world import World
from werkzeug.serving import BaseWSGIServer, make_server

from ticketmaster_sandbox.app import create_app
from ticketmaster_sandbox.limits import API_KEY, DEFAULT_QUOTA, DEFAULT_RATE, Gateway
from ticketmaster_sandbox.world import ConcertWorld


class TicketmasterSandboxServer:
    """A Ticketmaster sandbox listening on host:port (port 0 picks a free port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: int = 42,
                 api_key: str = API_KEY, quota: int = DEFAULT_QUOTA,
                 rate_per_second: float = DEFAULT_RATE, world: World | None = None) -> None:
        self.host = host
        self.port = port
        self.world = ConcertWorld(seed=seed, world=world)
        self.gateway = Gateway(api_key=api_key, quota=quota, rate_per_second=rate_per_second)
        self.app = create_app(self.world, self.gateway)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the base URL, e.g. `http://127.0.0.1:8910` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.server_port}"

    @property
    def api_url(self) -> str:
        """Return the Discovery API base, as TICKETMASTER_API_BASE_URL wants it."""
        return self.url + "/discovery/v2/"

    def start(self) -> TicketmasterSandboxServer:
        """Start serving on a daemon thread; return self."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # request lines carry the key
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="ticketmaster-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> TicketmasterSandboxServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
