"""One rule for trend words, in each indicator's own units, the same for scores, percentages, dollars and gaps.

A series moves when two things hold of the change along its least-squares line over all the years shown:

- it is at least the indicator's smallest meaningful change (`indicators.meaningful_change`), judged at the precision
  readers see it; and
- its 90% interval excludes zero. The interval comes from each year's own standard error (the history's `se`): a mean
  score or a percentage of a few hundred students moves by chance from one cohort to the next, and a gap between
  groups of a few dozen moves by more. A record of the whole district (dollars, bus runs, work orders) has no sampling
  error, so its interval is the change itself and the smallest meaningful change alone decides.

Otherwise there is **no clear change**. Where a figure rests on students and the data give no standard error, a change
of at least the smallest meaningful size gets no word either way: its interval is unknown.

With three equally spaced years the line's change equals latest − first, so the word agrees with the table beside it,
and the middle year still counts when there are more years. Years are taken as independent samples: next year's
students are mostly this year's, which makes a real change somewhat more certain than the interval says, never less.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from districtstat.analyses.indicators import goodness

CONFIDENCE = 0.90  # as every interval of a standing (`standing.CONFIDENCE`)
WORDS = {
    "higher": ("improving", "worsening"),
    "lower": ("improving", "worsening"),
    "neither": ("up", "down"),
    "closer_to_zero": ("closing", "widening"),
}
NO_CLEAR_CHANGE = "no clear change"
SHOWN_DECIMALS = 1


@dataclass(frozen=True)
class Trend:
    first_year: int
    latest_year: int
    years: int
    slope_per_year: float
    slope_se: float  # from the scatter of the years about the line (NaN with fewer than three years)
    change: float  # along the fitted line, from the first to the latest year
    change_se: float  # from each year's own standard error; 0 for a record, NaN where a year's is unknown
    word: str  # improving, worsening, closing, widening, up, down, no clear change, or '' where the interval is unknown

    @property
    def low(self) -> float:
        """The change's 90% interval, low end (NaN where its standard error is unknown)."""
        return self.change - norm.ppf(0.5 + CONFIDENCE / 2) * self.change_se

    @property
    def high(self) -> float:
        return self.change + norm.ppf(0.5 + CONFIDENCE / 2) * self.change_se


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


def change_standard_error(years: np.ndarray, errors: np.ndarray) -> float:
    """The standard error of the change along the least-squares line, from each year's own standard error:
    the slope is Σ wᵢ yᵢ with wᵢ = (xᵢ − x̄) / Σ (xⱼ − x̄)², so SE(change) = span × √(Σ wᵢ² SEᵢ²) for independent years.
    With two or three equally spaced years it is √(SE_first² + SE_latest²)."""
    x = years.astype(float)
    dx = x - x.mean()
    weights = dx / np.sum(np.square(dx))
    return float((x.max() - x.min()) * np.sqrt(np.sum(np.square(weights) * np.square(errors.astype(float)))))


def trend(years, values, errors, better: str, meaningful: float) -> Trend | None:
    """The trend of one series with each year's standard error (0 for a record, NaN where unknown), or None with fewer
    than two years (no trend to tell)."""
    frame = pd.DataFrame({"year": np.asarray(years, dtype=float), "value": np.asarray(values, dtype=float), "se": np.asarray(errors, dtype=float)})
    frame = frame.dropna(subset=["year", "value"]).sort_values("year", kind="stable")
    if frame["year"].nunique() < 2:
        return None
    years_, values_ = frame["year"].to_numpy(), frame["value"].to_numpy()
    slope, se, intercept = fitted_line(years_, values_)
    change = slope * (years_.max() - years_.min())
    change_se = change_standard_error(years_, frame["se"].to_numpy())
    moved = Trend(int(years_.min()), int(years_.max()), len(years_), slope, se, float(change), change_se, "")
    return replace(moved, word=trend_word(moved, intercept, better, meaningful))


def trend_word(moved: Trend, start: float, better: str, meaningful: float) -> str:
    """The word a change earns: no clear change below the smallest meaningful change or where its 90% interval
    includes zero; '' where that interval is unknown; else the direction, in the indicator's better direction."""
    if abs(round(moved.change, SHOWN_DECIMALS)) < meaningful:
        return NO_CLEAR_CHANGE
    if np.isnan(moved.change_se):
        return ""
    if moved.low <= 0 <= moved.high:
        return NO_CLEAR_CHANGE
    rising_word, falling_word = WORDS[better]
    if better == "neither":
        return rising_word if moved.change > 0 else falling_word
    return rising_word if goodness(start + moved.change, better) > goodness(start, better) else falling_word

