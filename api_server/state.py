"""What the API keeps between requests: the settings, one concert provider, the similarity
model, and each person's history and prediction model (`PersonCache`).

The similarity model reads everyone's top lists, so it is rebuilt only when it is older than
MODEL_SECONDS; the provider is shared under a lock so concurrent requests keep to
Ticketmaster's per-second limit together.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spotify_etl.concerts import service
from spotify_etl.prediction.service import PersonCache

if TYPE_CHECKING:
    from pymongo.database import Database

    from spotify_etl.concerts.provider import ConcertProvider
    from spotify_etl.concerts.similarity import SimilarityModel
    from spotify_etl.settings import Settings

MODEL_SECONDS = 600.0


@dataclass
class ApiState:
    """Shared by every request of one app."""

    settings: Settings
    provider: ConcertProvider | None
    provider_lock: threading.Lock = field(default_factory=threading.Lock)
    prediction: PersonCache = field(default_factory=PersonCache)
    _model: SimilarityModel | None = None
    _model_built: float = 0.0
    _model_lock: threading.Lock = field(default_factory=threading.Lock)

    def model(self, db: Database) -> SimilarityModel:
        """Return the similarity model, rebuilt when stale."""
        with self._model_lock:
            if self._model is None or time.monotonic() - self._model_built > MODEL_SECONDS:
                self._model = service.similarity_model(db)
                self._model_built = time.monotonic()
            return self._model
