"""One rule for trend words, in each indicator's own units, the same for scores, percentages, dollars and gaps.

A series moves when the change along its least-squares line over all the years shown is at least the
indicator's minimum meaningful change (`indicators.meaningful_change`); otherwise it is steady. With three
equally spaced years the line's change equals latest − first, so the word agrees with the table beside it, and
the middle year still counts when there are more years. The change is judged at the precision readers see it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from districtstat.analyses.indicators import goodness

WORDS = {
    "higher": ("improving", "worsening"),
    "lower": ("improving", "worsening"),
    "neither": ("up", "down"),
    "closer_to_zero": ("closing", "widening"),
}
STEADY = "steady"
SHOWN_DECIMALS = 1


@dataclass(frozen=True)
class Trend:
    first_year: int
    latest_year: int
    years: int
    slope_per_year: float
    slope_se: float
    change: float  # along the fitted line, from the first to the latest year
    word: str


def fitted_line(years: np.ndarray, values: np.ndarray) -> tuple[float, float, float]:
    """Slope, its standard error (NaN with fewer than three years) and the line's value at the first year."""
    x = years.astype(float) - years.min()
    y = values.astype(float)
    dx, dy = x - x.mean(), y - y.mean()
    slope = float(np.sum(dx * dy) / np.sum(np.square(dx)))
    start = float(y.mean() - slope * x.mean())
    if len(x) < 3:
        return slope, float("nan"), start
    residuals = y - (start + slope * x)
    se = float(np.sqrt(np.sum(np.square(residuals)) / (len(x) - 2) / np.sum(np.square(dx))))
    return slope, se, start


def trend(years, values, better: str, meaningful: float) -> Trend | None:
    """The trend of one series, or None with fewer than two years (no trend to tell)."""
    frame = pd.DataFrame({"year": np.asarray(years, dtype=float), "value": np.asarray(values, dtype=float)}).dropna()
    frame = frame.sort_values("year", kind="stable")
    if frame["year"].nunique() < 2:
        return None
    years_, values_ = frame["year"].to_numpy(), frame["value"].to_numpy()
    slope, se, intercept = fitted_line(years_, values_)
    span = years_.max() - years_.min()
    change = slope * span
    start, end = intercept, intercept + change
    rising_word, falling_word = WORDS[better]
    if abs(round(change, SHOWN_DECIMALS)) < meaningful:
        word = STEADY
    elif better == "neither":
        word = rising_word if change > 0 else falling_word
    else:
        word = rising_word if goodness(end, better) > goodness(start, better) else falling_word
    return Trend(int(years_.min()), int(years_.max()), len(years_), slope, se, float(change), word)
