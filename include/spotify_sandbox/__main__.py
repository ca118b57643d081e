"""`python -m spotify_sandbox`: run the Spotify sandbox (see `--help`)."""

from __future__ import annotations

from spotify_sandbox.cli import sandbox

if __name__ == "__main__":
    sandbox(prog_name="python -m spotify_sandbox")
