"""Where the data lives: the backend (MongoDB or the embedded store), keys and definitions.

`open_database` picks the backend (backend.py); `document_id` builds natural keys (keys.py);
indexes, validators and views are declared once (definitions.py, schemas.py, views.py).
"""

from __future__ import annotations

from spotify_etl.storage.backend import (StorageConfigError, backend_name, database,
                                         open_database)
from spotify_etl.storage.definitions import (COLLECTIONS, INDEXES, ensure_definitions,
                                             ensure_indexes)
from spotify_etl.storage.keys import document_id

__all__ = ["COLLECTIONS", "INDEXES", "StorageConfigError", "backend_name", "database", "document_id",
           "ensure_definitions", "ensure_indexes", "open_database"]
