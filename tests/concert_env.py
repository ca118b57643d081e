"""Point this process at a Ticketmaster sandbox and reset it, the way the concert tests need it."""

from __future__ import annotations

import pytest


def use_ticketmaster(patch: pytest.MonkeyPatch, url: str) -> None:
    """Look concerts up in the sandbox at `url`, unthrottled (undone after the test)."""
    from spotify_etl.local.concert_sandbox import sandbox_environment

    for name, value in sandbox_environment(url).items():
        patch.setenv(name, value)
    patch.setenv("TICKETMASTER_REQUESTS_PER_SECOND", "0")


def fresh_gateway(server) -> None:
    """Give a shared sandbox a new day: full quota, no faults, zero counters."""
    server.gateway.set_quota(limit=5000, used=0)
    server.gateway.clear_faults()
    server.gateway.reset_counters()
