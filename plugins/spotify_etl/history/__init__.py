"""Listening history: every play kept, from the adaptive capture and from data exports.

`capture` reads recently played for the people who are due (`schedule`), `importer` brings in
Spotify's data exports (`exports`), both through one write path (`store`) that applies the
dedupe rule (`matching`); `coverage` and `lifetime` read what is kept. See docs/history.md.
"""
