"""`python -m spotify_etl`: the command line."""

from __future__ import annotations

from spotify_etl.cli import main

if __name__ == "__main__":
    main()
