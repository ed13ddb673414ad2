"""What several pages share: values and changes in words with their units, signed numbers, school years, the keys of
published enrollment counts, whether the efficiency model may rank, and the box that finds a district on a chart."""

from __future__ import annotations

import re

import pandas as pd

from districtstat.data.subjects import indicator_code, statistic_of_indicator, subject_of_indicator, subject_words
from districtstat.privacy.disclosure import STUDENT_GROUP_SHARES, count_key
from districtstat.report import ByRow, Release


UNIT_WORDS = {"points": "points", "%": "%", "$": "$ per pupil", "days": "days"}


def value_text(value: float, unit: str) -> str:
    """A value with its unit where the unit has a sign of its own ($, %)."""
    if unit == "$":
        return f"{'−' if value < 0 else ''}${abs(value):,.0f}"
    if unit == "%":
        return percent_text(value)
    return true_minus(f"{value:,.1f}")


def true_minus(text: str) -> str:
    """A number as shown text writes it: the minus sign (U+2212), not the hyphen a format gives."""
    return text.replace("-", "−")


def percent_text(value: float) -> str:
    """A percentage as rounded: whole points for a rate or share of students (`disclosure.shown_percent`), else one decimal."""
    return true_minus(f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%")


def change_text(value: float, unit: str) -> str:
    """A change with its unit: dollars, percentage points for a percentage, points or days."""
    if unit == "$":
        return signed_dollars(value)
    if unit == "%":
        return f"{signed_points(value)} pct. pts"
    return f"{signed_points(value)} {UNIT_WORDS.get(unit, unit)}"


def value_interval_text(low: float, high: float, unit: str) -> str:
    """A figure's interval as its values are shown, without the unit where the column names it: `504.6 to 512.8`,
    `16% to 24%` (whole points: the percentages of students it surrounds are published rounded)."""
    if unit == "$":
        return f"{value_text(low, unit)} to {value_text(high, unit)}"
    if unit == "%":
        return true_minus(f"{low:.0f}% to {high:.0f}%")
    return f"{value_text(low, unit)} to {value_text(high, unit)}"


def change_interval_text(low: float, high: float, unit: str) -> str:
    """A change's or difference's interval in its unit's precision, without the unit (the column or sentence names
    it): `−13.0 to +3.5`, `−$120 to +$80`."""
    if unit == "$":
        return f"{signed_dollars(low)} to {signed_dollars(high)}"
    return interval_text(low, high)


UNIT_CODES = {words: code for code, words in UNIT_WORDS.items()}
BY_UNIT = ByRow(lambda value, row: value_text(float(value), UNIT_CODES[row["unit"]]))
CHANGE_BY_UNIT = ByRow(lambda value, row: change_text(float(value), UNIT_CODES[row["unit"]]))


def signed_points(value: float) -> str:
    """A change or difference with its sign, to one decimal; one that rounds to zero has none (never −0.0)."""
    if round(abs(value), 1) == 0:
        return "0.0"
    return f"{'−' if value < 0 else '+'}{abs(value):.1f}"


def interval_text(low: float, high: float) -> str:
    return f"{signed_points(low)} to {signed_points(high)}"


def signed_dollars(value: float) -> str:
    if round(abs(value)) == 0:
        return "$0"
    return f"{'−' if value < 0 else '+'}${abs(value):,.0f}"


def signed_ratio(value: float) -> str:
    """An R² as printed, with a true minus sign when it is negative."""
    return f"{value:.2f}".replace("-", "−")


def ordinal(value: float) -> str:
    number = int(round(value))
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def school_year(spring_year: int) -> str:
    return f"{int(spring_year) - 1}–{str(int(spring_year))[-2:]}"


def points(value: float) -> str:
    rounded = abs(round(float(value)))
    return f"{rounded:.0f} point" + ("" if rounded == 1 else "s")


def natural_key(name: str) -> tuple:
    """Sort 'system 2' before 'system 10'."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", str(name)))


def enrolled_keys(release: Release, district_ids) -> list[str]:
    """The keys of district enrollment counts in the latest year, which several pages publish."""
    return [count_key("enrolled", district, release.latest_year) for district in district_ids]


def group_shares(table: pd.DataFrame) -> dict[str, str]:
    """The shares of a district's students in each need group: withheld when they give away a small group."""
    return {column: "enrollment" for column in STUDENT_GROUP_SHARES if column in table.columns}


MONEY = "${:,.0f}"
SHARE_FORMATS = {code: "{:.0f}" for code in STUDENT_GROUP_SHARES}  # rounded by group size to whole points or coarser


def efficiency_fit(release: Release) -> pd.Series:
    return release.table("efficiency_fit").iloc[0]


def model_can_rank(release: Release) -> bool:
    """Whether this release's efficiency model predicts districts it was not fitted on well enough to rank them."""
    return release.has_table("efficiency_fit") and bool(efficiency_fit(release)["can_rank"])


def findable_districts(release: Release) -> dict[str, dict]:
    """Each district's name and peers, for the box that finds a district on a chart of every district."""

    def compute() -> dict[str, dict]:
        names = release.latest_indicators.set_index("district_id")["district_name"].astype(str)
        return {district: {"name": name, "peers": release.peer_ids(district)} for district, name in names.items()}

    return release.remember(("findable",), compute)


def key_outcome(release: Release) -> str:
    """The outcome the efficiency model explains, or without a model the first declared subject's mean score."""
    model = release.project.settings.efficiency
    return model.outcome if model else indicator_code("mean_score", release.project.settings.subjects[0].code)


INTERVAL_SUFFIX = "_interval"  # a figure's 90% interval or margin beside it: `mean_score_math_interval`


class SubjectLabels(dict):
    """Column labels that also name every declared subject's mean score and percent proficient, so a consortium's
    own subject (science, a composite) is labelled in its words on every table that labels math."""

    def _subject_label(self, code: object) -> str | None:
        interval = isinstance(code, str) and code.endswith(INTERVAL_SUFFIX)
        if interval:
            code = code.removesuffix(INTERVAL_SUFFIX)
        statistic = statistic_of_indicator(code) if isinstance(code, str) else None
        if statistic is None:
            return None
        short = subject_words(subject_of_indicator(code)).short
        if interval:
            return f"{short[0].upper()}{short[1:]} margin, 90% (± points)"
        return f"Mean {short} score (points)" if statistic == "mean_score" else f"Proficient in {short} (%)"

    def __missing__(self, code):
        label = self._subject_label(code)
        if label is None:
            raise KeyError(code)
        return label

    def __contains__(self, code: object) -> bool:
        return dict.__contains__(self, code) or self._subject_label(code) is not None

    def get(self, code, default=None):
        return self[code] if code in self else default
