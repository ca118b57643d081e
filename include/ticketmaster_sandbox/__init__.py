"""Ticketmaster sandbox: a local HTTP stand-in for the Ticketmaster Discovery API v2.

Answers event and attraction searches in Ticketmaster's shapes for deterministic concerts of
the Spotify sandbox's artists, behind Ticketmaster's gateway rules (API key, daily quota,
spike arrest), with faults on demand. A test double, never a source of real concerts.
"""

from __future__ import annotations

from ticketmaster_sandbox.limits import API_KEY
from ticketmaster_sandbox.server import TicketmasterSandboxServer
from ticketmaster_sandbox.world import ConcertWorld

__all__ = ["API_KEY", "ConcertWorld", "TicketmasterSandboxServer"]
