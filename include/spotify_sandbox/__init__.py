"""Spotify sandbox: a local HTTP stand-in for Spotify's Accounts service and Web API.

Like moto for AWS: answers the subset of Spotify the project uses, in Spotify's shapes, with a
simulated clock and injectable faults. It is a test double, never a source of real data.
"""

from __future__ import annotations

from spotify_sandbox.server import SandboxServer
from spotify_sandbox.state import CLIENT_ID, CLIENT_SECRET, Sandbox
from spotify_sandbox.world import World

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "Sandbox", "SandboxServer", "World"]
