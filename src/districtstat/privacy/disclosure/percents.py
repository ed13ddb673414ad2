"""Rounding and coding of percentages of students by group size (NCES's rule), so that no percentage gives away a
count of 1 to `min_n` − 1 students in a category or outside it, and how an attacker reads a published one."""

from __future__ import annotations

import math

import pandas as pd

from districtstat.privacy.disclosure.symbols import SUPPRESSED


# A percentage of n students is a count of students in a category (pct × n) and of those outside it. It is rounded to
# the smallest of these steps that leaves at least `min_n` / 2 possible students either way, so that neither count is
# ever known exactly, and two releases' roundings of the same students still leave `min_n` possible values between them.
PERCENT_STEPS = (1, 2, 5, 10, 20, 25, 50)
ROUNDED_NOTE = "Percentages of students are rounded by group size: to whole points in groups of 500 or more, to 2, 5, 10, 20, 25 or 50 points in smaller groups (see Methods)."


def percent_step(n: float, min_n: int) -> int | None:
    """The rounding step of a percentage of `n` students: at least `min_n` / 2 students wide (None: no step is)."""
    return next((step for step in PERCENT_STEPS if step * n >= 50 * min_n), None)


def coding_cut(n: float, step: int, min_n: int) -> int:
    """The smallest multiple of `step` whose rounding interval reaches `min_n` students: below it, a rounded
    percentage would say that 1 to `min_n` − 1 students are in the category (above 100 − it, outside it)."""
    cut = step
    while (cut + step / 2) * n < 100 * min_n:
        cut += step
    return cut


def shown_percent(value: float, n: float, min_n: int) -> tuple[float | None, str | None]:
    """How a percentage of `n` students is published: (the rounded value, None), (None, `<c` or `>100−c`) at the
    ends, or (None, the hidden symbol) when no rounding protects the group (fewer than about 15 students).

    The rule is NCES's (SLDS Technical Brief 3): the smaller the group, the coarser the percentage and the wider the
    coded ends, so that no percentage gives the number of students in a category, or outside it, as 1 to `min_n` − 1;
    the steps are set for a release that also publishes the counts. Every group size is coded at its ends: 100% of
    250 students is `>96`, never 100."""
    if pd.isna(value) or pd.isna(n):
        return None, None
    if n < min_n or (step := percent_step(n, min_n)) is None:
        return None, SUPPRESSED
    cut = coding_cut(n, step, min_n)
    if cut > 50:
        return None, SUPPRESSED
    rounded = step * math.floor(float(value) / step + 0.5)
    if rounded < cut:
        return None, f"<{cut}"
    if rounded > 100 - cut:
        return None, f">{100 - cut}"
    return float(rounded), None


def percent_interval(shown: float | str, n: float, min_n: int) -> tuple[float, float]:
    """What a published percentage of `n` students says about the count in its category: the attacker's reading."""
    step = percent_step(n, min_n)
    if isinstance(shown, str):
        cut = float(shown[1:])
        low, high = (0.0, cut) if shown.startswith("<") else (cut, 100.0)
    else:
        low, high = shown - step / 2, shown + step / 2
    return max(low, 0.0) * n / 100, min(high, 100.0) * n / 100


CODED = tuple(f"<{cut}" for cut in range(1, 100)) + tuple(f">{cut}" for cut in range(1, 100))  # every end code (`<20`, `>80`)
BOTTOM_CODE, TOP_CODE = "<", ">"


def is_coded(text: object) -> bool:
    return isinstance(text, str) and text in CODED


def coded_percent(value: float, n: float, min_n: int) -> str | None:
    """The code or symbol a percentage of `n` students is published as; None when it is published as a number."""
    return shown_percent(value, n, min_n)[1]


def rounded_percent(value: float, n: float, min_n: int) -> float | None:
    return shown_percent(value, n, min_n)[0]


coded_share = coded_percent  # a share of students in a group is a percentage of the district's students
