"""`python -m spotify_sandbox`: the same as `python -m spotify_etl sandbox`."""

from __future__ import annotations

from spotify_etl.cli.sandbox import sandbox

if __name__ == "__main__":
    sandbox()
