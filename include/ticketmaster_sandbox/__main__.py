"""`python -m ticketmaster_sandbox`: run the Ticketmaster sandbox (see `--help`)."""

from __future__ import annotations

from ticketmaster_sandbox.cli import main

if __name__ == "__main__":
    main(prog_name="python -m ticketmaster_sandbox")
