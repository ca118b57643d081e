"""The models compared on the same split: two baselines, a naive one, and gradient boosting.

- `PersonMean`: every track gets the person's mean plays per track and window (training).
- `ArtistMean`: the mean of the track's first artist in training (the person's mean for an
  artist not seen there).
- `LastWindow`: the track's plays in the 30 days up to the reference date (persistence).
- `Boosted`: scikit-learn's HistGradientBoostingRegressor with a Poisson loss (counts), which
  takes missing values as they are (no popularity in development mode, no genres, never
  played).
Metrics: MAE (plays) and Spearman's rank correlation on the held-out window.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class PersonMean:
    """The person's mean: one number for every track."""

    name = "person_mean"

    def fit(self, x: pd.DataFrame, y: np.ndarray, keys: pd.DataFrame) -> PersonMean:
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, x: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
        return np.full(len(x), self.mean_)


class ArtistMean:
    """The artist's mean in training, the person's mean for artists not seen there."""

    name = "artist_mean"

    def fit(self, x: pd.DataFrame, y: np.ndarray, keys: pd.DataFrame) -> ArtistMean:
        self.mean_ = float(np.mean(y))
        self.by_artist_ = pd.Series(y).groupby(keys["artist_id"].to_numpy()).mean().to_dict()
        return self

    def predict(self, x: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
        return np.array([self.by_artist_.get(a, self.mean_) for a in keys["artist_id"]])


class LastWindow:
    """Persistence: the next 30 days look like the last 30."""

    name = "last_30_days"

    def fit(self, x: pd.DataFrame, y: np.ndarray, keys: pd.DataFrame) -> LastWindow:
        return self

    def predict(self, x: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
        return x["track_plays_30d"].to_numpy(float)


class Boosted:
    """Gradient-boosted trees on the feature vector (Poisson loss: the target is a count)."""

    name = "gradient_boosting"
    params: dict[str, Any] = {"loss": "poisson", "learning_rate": 0.06, "max_iter": 300,
                              "max_leaf_nodes": 31, "min_samples_leaf": 20,
                              "l2_regularization": 1.0, "early_stopping": False,
                              "random_state": 0}

    def fit(self, x: pd.DataFrame, y: np.ndarray, keys: pd.DataFrame) -> Boosted:
        from sklearn.ensemble import HistGradientBoostingRegressor

        # A column missing everywhere (popularity in development mode, skips without an
        # extended export) carries nothing, and the binning cannot take it: left out.
        self.features_ = [name for name in x.columns if x[name].notna().any()]
        self.unused_ = [name for name in x.columns if name not in self.features_]
        self.model_ = HistGradientBoostingRegressor(**self.params).fit(
            x[self.features_].to_numpy(float), y)
        return self

    def predict(self, x: pd.DataFrame, keys: pd.DataFrame | None = None) -> np.ndarray:
        return self.model_.predict(x[self.features_].to_numpy(float))


BASELINES = (PersonMean, ArtistMean, LastWindow)


def mae(y: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute error, in plays."""
    return float(np.mean(np.abs(np.asarray(y, float) - np.asarray(predicted, float))))


def spearman(y: np.ndarray, predicted: np.ndarray) -> float | None:
    """Spearman's rank correlation; None when either side is constant (it ranks nothing)."""
    y, predicted = np.asarray(y, float), np.asarray(predicted, float)
    if len(y) < 3 or np.ptp(y) == 0 or np.ptp(predicted) == 0:
        return None
    from scipy.stats import spearmanr

    return float(spearmanr(y, predicted).statistic)


def scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    """Return the held-out metrics of one model."""
    rho = spearman(y, predicted)
    return {"mae": round(mae(y, predicted), 4),
            "spearman": None if rho is None else round(rho, 4)}
