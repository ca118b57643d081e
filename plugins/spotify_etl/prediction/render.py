"""Held-out figures as text, for the model commands and the demo (docs/prediction.md too)."""

from __future__ import annotations

from typing import Any

from spotify_etl.text import table


def figure(value: float | None) -> str:
    """Format a metric; a constant prediction has no rank correlation."""
    return "n/a (constant)" if value is None else f"{value:.3f}"


def metrics_table(metrics: dict[str, dict[str, Any]]) -> str:
    """Render held-out metrics as a table: one row per model."""
    return table([{"model": name, "MAE (plays)": figure(m["mae"]),
                   "Spearman": figure(m["spearman"])} for name, m in metrics.items()],
                 ["model", "MAE (plays)", "Spearman"])
