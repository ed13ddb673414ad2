"""Process-behaviour (XmR) charts: is a monthly series changing, or only varying as it always does?

Natural process limits come from the moving range, as Wheeler describes them: centre = the mean of a baseline,
mR̄ = the mean of the baseline's moving ranges (|x_i − x_(i−1)|), limits = centre ± 2.66 × mR̄ (2.66 = 3 ÷ d₂,
d₂ = 1.128 for ranges of two values), and the upper range limit 3.268 × mR̄ (D₄). A limit beyond a KPI's natural
bound (0 for a count, 0 and 100 for a percentage) is set at the bound. Every point of the series, baseline
included, is then read against three rules, each a signal of a real change rather than routine variation:

- **beyond**: a value outside the natural process limits;
- **run**: eight or more values in a row on the same side of the centre line (a value on the line ends a run);
- **trend**: six or more values in a row each higher (lower) than the one before (an equal value ends it).

Points are consecutive observations, whatever the calendar gap between them (a summer without school months).
Pure functions, no I/O: `xmr` takes months as "YYYY-MM" text and values, and returns what a chart and a page need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

LIMIT_FACTOR = 2.66
RANGE_FACTOR = 3.268
BASELINE_POINTS = 12  # the default baseline: the first year of monthly data
MIN_BASELINE_POINTS = 6  # fewer values give limits too uncertain to read a month against
RUN_LENGTH = 8
TREND_LENGTH = 6
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
KINDS = ("beyond", "run", "trend")
KIND_WORDS = {"beyond": "Beyond a limit", "run": "Run on one side", "trend": "Steady rise or fall"}
NO_SIGNAL = ("Every month lies within the natural limits with no run: month-to-month differences are the process's usual "
             "variation; react to none of them singly.")


@dataclass(frozen=True)
class Signal:
    """One signal: which rule, which way, the consecutive points it covers and what it means in plain words."""

    kind: Literal["beyond", "run", "trend"]
    direction: Literal["above", "below", "rising", "falling"]
    months: tuple[str, ...]
    values: tuple[float, ...]
    sentence: str

    @property
    def first_month(self) -> str:
        return self.months[0]

    @property
    def last_month(self) -> str:
        return self.months[-1]

    @property
    def points(self) -> int:
        return len(self.months)


@dataclass(frozen=True)
class XmR:
    """A series read against its natural process limits."""

    months: tuple[str, ...]
    values: np.ndarray
    baseline: tuple[str, ...]  # the months the limits come from
    centre: float
    mean_moving_range: float
    lower: float
    upper: float
    upper_range: float
    signals: tuple[Signal, ...]

    @property
    def moving_ranges(self) -> np.ndarray:
        """|x_i − x_(i−1)| for every point after the first."""
        return np.abs(np.diff(self.values))

    @property
    def summary(self) -> str:
        if not self.signals:
            return NO_SIGNAL
        kinds = sorted({signal.kind for signal in self.signals}, key=KINDS.index)
        count = f"{len(self.signals)} signal{'s' if len(self.signals) > 1 else ''}"
        return (f"{count} of a real change ({', '.join(KIND_WORDS[kind].lower() for kind in kinds)}): look for the cause of each. "
                "Other months' ups and downs are the process's usual variation.")


def month_words(month: str, short: bool = False) -> str:
    """`2023-01` as `January 2023` (or `Jan 2023`)."""
    year, number = month.split("-")
    name = MONTH_NAMES[int(number) - 1]
    return f"{name[:3] if short else name} {year}"


def xmr(
    months: Sequence[str],
    values: Sequence[float],
    *,
    baseline_points: int = BASELINE_POINTS,
    before: str | None = None,
    bounds: tuple[float | None, float | None] = (None, None),
    label: str = "the value",
    better: str = "neither",
    shown: Callable[[float], str] = "{:,.1f}".format,
) -> XmR | None:
    """The limits and signals of a monthly series, or None when its baseline has fewer than six values.

    The baseline is the first `baseline_points` values, or, with `before` ("YYYY-MM"), every value of a month
    before it (limits from the months before an action started). `label` names the measure inside a sentence,
    `better` ("higher", "lower" or "neither") says which change is for the better, `shown` formats a value.
    """
    names = np.asarray(months, dtype=str)
    order = np.argsort(names, kind="stable")
    months_ = tuple(names[order].tolist())
    x = np.asarray(values, dtype=float)[order]
    chosen = np.array([month < before for month in months_]) if before is not None else np.arange(len(x)) < baseline_points
    if chosen.sum() < MIN_BASELINE_POINTS:
        return None
    base = x[chosen]
    centre = float(base.mean())
    mean_range = float(np.abs(np.diff(base)).mean())
    low, high = bounds
    lower = centre - LIMIT_FACTOR * mean_range
    upper = centre + LIMIT_FACTOR * mean_range
    lower = max(lower, low) if low is not None else lower
    upper = min(upper, high) if high is not None else upper
    words = _Words(label, better, shown, lower, upper)
    signals = [
        *(words.beyond(months_, x, start, stop, "above") for start, stop in _stretches(x > upper)),
        *(words.beyond(months_, x, start, stop, "below") for start, stop in _stretches(x < lower)),
        *(words.run(months_, x, start, stop, "above") for start, stop in _stretches(x > centre, RUN_LENGTH)),
        *(words.run(months_, x, start, stop, "below") for start, stop in _stretches(x < centre, RUN_LENGTH)),
        *(words.trend(months_, x, start, stop + 1, "rising") for start, stop in _stretches(np.diff(x) > 0, TREND_LENGTH - 1)),
        *(words.trend(months_, x, start, stop + 1, "falling") for start, stop in _stretches(np.diff(x) < 0, TREND_LENGTH - 1)),
    ]
    signals.sort(key=lambda signal: (signal.first_month, KINDS.index(signal.kind)))
    baseline = tuple(month for month, used in zip(months_, chosen) if used)
    return XmR(months_, x, baseline, centre, mean_range, float(lower), float(upper), RANGE_FACTOR * mean_range, tuple(signals))


def _stretches(flags: np.ndarray, min_length: int = 1) -> list[tuple[int, int]]:
    """(start, stop) of every maximal stretch of True at least `min_length` long, stop exclusive."""
    padded = np.concatenate([[False], np.asarray(flags, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(start), int(stop)) for start, stop in zip(edges[::2], edges[1::2]) if stop - start >= min_length]


@dataclass(frozen=True)
class _Words:
    """The sentences of a series' signals, in its own label and units."""

    label: str
    better: str
    shown: Callable[[float], str]
    lower: float
    upper: float

    def _tone(self, direction: str) -> str:
        up = direction in ("above", "rising")
        if self.better not in ("higher", "lower"):
            return ""
        return " for the better" if up == (self.better == "higher") else " for the worse"

    def _signal(self, kind, months, x, start, stop, direction, sentence) -> Signal:
        return Signal(kind, direction, tuple(months[start:stop]), tuple(float(v) for v in x[start:stop]), sentence)

    def beyond(self, months, x, start, stop, direction) -> Signal:
        side, limit = ("above the upper", self.upper) if direction == "above" else ("below the lower", self.lower)
        if stop - start == 1:
            sentence = (f"In {month_words(months[start])}, {self.label} ({self.shown(x[start])}) lay {side} natural process "
                        f"limit ({self.shown(limit)}): more than routine variation explains; find out what happened that month.")
        else:
            sentence = (f"From {month_words(months[start])} to {month_words(months[stop - 1])}, {self.label} lay {side} natural "
                        f"process limit ({self.shown(limit)}) for {stop - start} months in a row: each is more than routine "
                        f"variation explains.")
        return self._signal("beyond", months, x, start, stop, direction, sentence)

    def run(self, months, x, start, stop, direction) -> Signal:
        sentence = (f"From {month_words(months[start])}, {self.label} stayed {direction} the usual level for {stop - start} "
                    f"months in a row: the process has shifted{self._tone(direction)}, not just varied.")
        return self._signal("run", months, x, start, stop, direction, sentence)

    def trend(self, months, x, start, stop, direction) -> Signal:
        verb = "rose" if direction == "rising" else "fell"
        sentence = (f"From {month_words(months[start])} to {month_words(months[stop - 1])}, {self.label} {verb} every month, "
                    f"{stop - start} months in a row: a steady change{self._tone(direction)}, not the usual ups and downs.")
        return self._signal("trend", months, x, start, stop, direction, sentence)
