"""What a Spotify API refused before, remembered across processes in the data directory.

Development-mode apps may not use batch lookups (`GET /artists?ids=`). The first refusal is
written to `<data dir>/spotify-api.json`, so later processes (each Airflow task, each `run`)
go straight to one-by-one lookups instead of asking again. A refusal is trusted for a week and
then asked about again, since an app may be granted extended quota. Nothing here talks to
Spotify; where the file cannot be written, the refusal is remembered for this process only.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)
BATCH_LOOKUPS = "batch_lookups"
FILE_NAME = "spotify-api.json"
TRUSTED_FOR = timedelta(days=7)
# (base URL, feature) refused in this process, when the data directory was not writable.
_REFUSED_HERE: set[tuple[str, str]] = set()


class ApiMemory:
    """Refusals per API base URL and feature, kept in one small JSON file."""

    def __init__(self, data_dir: Path, now: datetime | None = None) -> None:
        self.path = data_dir / FILE_NAME
        self.now = now or datetime.now(UTC)

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            content = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return content if isinstance(content, dict) else {}

    def refused(self, base_url: str, feature: str) -> bool:
        """Tell whether this API refused the feature within the last week."""
        if (base_url, feature) in _REFUSED_HERE:
            return True
        since = self._read().get(base_url, {}).get(feature)
        try:
            return self.now - datetime.fromisoformat(since) < TRUSTED_FOR
        except (TypeError, ValueError):
            return False

    def remember_refused(self, base_url: str, feature: str) -> None:
        """Record that this API refused the feature (now), for every later process."""
        content = self._read()
        content.setdefault(base_url, {})[feature] = self.now.isoformat()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole and renamed: a reader in another process never sees half a file.
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".spotify-api.")
            with os.fdopen(handle, "w") as file:
                json.dump(content, file)
            os.replace(temporary, self.path)
        except OSError as error:
            log.info("Cannot write %s (%s): remembering the refusal in this process only",
                     self.path, type(error).__name__)
            _REFUSED_HERE.add((base_url, feature))
