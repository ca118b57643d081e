"""The Ticketmaster sandbox for local runs: start it, point this process at it.

Shared by the demo, the benchmark, `python -m api_server --sandbox` and the tests. The sandbox
itself (`include/ticketmaster_sandbox`) knows nothing of the pipeline; this module is the
bridge, and the core never imports it.
"""

from __future__ import annotations

import os

from ticketmaster_sandbox import API_KEY

from spotify_etl.local.sandbox import SANDBOX_SEED, SandboxProcess


class TicketmasterSandboxProcess(SandboxProcess):
    """The Ticketmaster sandbox as a child process on a free loopback port."""

    module = "ticketmaster_sandbox"
    ready_prefix = "Ticketmaster sandbox listening on "
    default_args = ("--seed", str(SANDBOX_SEED))


def sandbox_environment(url: str) -> dict[str, str]:
    """The settings that make concerts come from the sandbox at `url` (with its own key)."""
    return {"TICKETMASTER_API_BASE_URL": f"{url}/discovery/v2/", "TICKETMASTER_API_KEY": API_KEY}


def use_sandbox(url: str) -> None:
    """Configure this process (and its children) to look concerts up in the sandbox."""
    os.environ.update(sandbox_environment(url))
