"""The key performance indicators a district is compared on, with the direction that counts as better."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterator, Mapping
from typing import Literal

import pandas as pd

from districtstat.data.subjects import SubjectWords, indicator_code, registered_subjects


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    area: Literal["Student outcomes", "Equity", "Finance", "Operations"]
    unit: str
    better: Literal["higher", "lower", "neither"]
    # The smallest meaningful difference, in the indicator's unit: the least change over the years a trend word calls a
    # change, and the least difference between two districts' records a standing tells apart (`standing`).
    meaningful_change: float
    peer_ranked: bool = True  # False where a rank among a handful of peers would rest on a model's noise


# The smallest move worth a word, per unit: about a tenth of a student SD on a scale score (SD ~45 points),
# 2 percentage points of students, a day, and $200 per pupil (about 1.5% of a typical budget per pupil).
POINTS, PERCENTAGE_POINTS, DAYS, DOLLARS, FUNCTION_DOLLARS = 4.0, 2.0, 1.0, 200.0, 50.0
# A count of work orders grows with a district's size, so no one number is meaningful everywhere; 10 a month is about
# a tenth of a mid-sized district's. Monthly counts are judged by their own natural process limits (`process`), not by it.
WORK_ORDERS = 10.0
GAP_MEANINGFUL_CHANGE = POINTS


def subject_indicators(subject: SubjectWords) -> list[Indicator]:
    """A tested subject's indicators, named with the words its params declare."""
    return [
        Indicator(indicator_code("mean_score", subject.code), f"Mean {subject.short} scale score", "Student outcomes", "points", "higher", POINTS),
        Indicator(indicator_code("pct_proficient", subject.code), f"Proficient in {subject.short}", "Student outcomes", "%", "higher", PERCENTAGE_POINTS),
    ]


def academic_indicators(subjects) -> list[Indicator]:
    """Mean scores of every subject, then their percents proficient, then chronic absence (a page's order)."""
    by_subject = [subject_indicators(subject) for subject in subjects]
    return [pair[0] for pair in by_subject] + [pair[1] for pair in by_subject] + [CHRONIC_ABSENCE]


CHRONIC_ABSENCE = Indicator("pct_chronic_absent", "Chronically absent", "Student outcomes", "%", "lower", PERCENTAGE_POINTS)
FINANCIAL = [
    Indicator("per_pupil_spending", "Spending per pupil", "Finance", "$", "neither", DOLLARS),
    Indicator("efficiency_residual", "Points above or below prediction", "Finance", "points", "higher", POINTS, peer_ranked=False),
    Indicator("spend_instruction", "Instruction per pupil", "Finance", "$", "neither", FUNCTION_DOLLARS),
    Indicator("spend_student_support", "Student support per pupil", "Finance", "$", "neither", FUNCTION_DOLLARS),
    Indicator("spend_administration", "Administration per pupil", "Finance", "$", "neither", FUNCTION_DOLLARS),
    Indicator("spend_operations_maintenance", "Operations and maintenance per pupil", "Finance", "$", "neither", FUNCTION_DOLLARS),
    Indicator("spend_transportation", "Transportation per pupil", "Finance", "$", "neither", FUNCTION_DOLLARS),
    Indicator("spend_benefits", "Employee benefits per pupil", "Finance", "$", "neither", FUNCTION_DOLLARS),
    Indicator("spend_out_of_district_placements", "Out-of-district placements per pupil", "Finance", "$", "neither", FUNCTION_DOLLARS),
]
# Operations records, each with its own smallest meaningful difference where the unit's is too coarse for it: a
# percentage point of staff attendance is about two school days a year for every employee, a percentage point of
# teaching posts one post in a hundred, half a day a help-desk ticket waits half a working day more. Districts count
# these figures in slightly different ways, so nothing finer is a difference a board should read.
STAFF_DAYS, POSTS, HELP_DESK_DAYS = 1.0, 1.0, 0.5
OPERATIONAL = [
    Indicator("BUS_ON_TIME_PCT", "Buses on time", "Operations", "%", "higher", PERCENTAGE_POINTS),
    Indicator("WORK_ORDER_DAYS", "Days to close a work order", "Operations", "days", "lower", DAYS),
    Indicator("TEACHER_VACANCY_PCT", "Teaching posts vacant on day one", "Operations", "%", "lower", POSTS),
    Indicator("MEAL_PARTICIPATION_PCT", "Lunch participation", "Operations", "%", "higher", PERCENTAGE_POINTS),
    Indicator("IT_TICKET_DAYS", "Days to close a help-desk ticket", "Operations", "days", "lower", HELP_DESK_DAYS),
    Indicator("STAFF_ATTENDANCE_PCT", "Staff attendance", "Operations", "%", "higher", STAFF_DAYS),
    Indicator("SUBSTITUTE_FILL_PCT", "Substitute requests filled", "Operations", "%", "higher", PERCENTAGE_POINTS),
    # Neither direction is better: more work orders closed can mean a faster crew or more breakdowns reported;
    # WORK_ORDER_DAYS carries the direction. A month's count is read for its stability, not its size.
    Indicator("WORK_ORDERS_CLOSED", "Work orders closed", "Operations", "work orders", "neither", WORK_ORDERS),
]


class IndicatorRegistry(Mapping):
    """Every indicator by code: the fixed ones and those of every registered subject (`subjects`), in page order."""

    def __init__(self) -> None:
        self._built: tuple[tuple, dict[str, Indicator]] = ((), {})

    def _all(self) -> dict[str, Indicator]:
        subjects = tuple(registered_subjects())
        if self._built[0] != subjects:
            self._built = (subjects, project_indicators(subjects))
        return self._built[1]

    def __getitem__(self, code: str) -> Indicator:
        return self._all()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


INDICATORS = IndicatorRegistry()


def project_indicators(subjects) -> dict[str, Indicator]:
    """The indicators of one project's subjects, in page order: what its pages list."""
    return {indicator.code: indicator for indicator in academic_indicators(subjects) + FINANCIAL + OPERATIONAL}


def goodness(values, better: str):
    """Values (a number or a Series) turned so that larger always means better; NaN when neither direction is."""
    if better == "higher":
        return values
    if better == "lower":
        return -values
    if better == "closer_to_zero":
        return -abs(values)
    return values * float("nan")


def rank_best_first(values: pd.Series, better: str) -> pd.Series:
    """1 for the best value in the indicator's own direction, ties sharing the better rank."""
    return goodness(values, better).rank(ascending=False, method="min").astype(int)


def indicator_history(
    indicators: pd.DataFrame, operations_kpis: pd.DataFrame, finance_by_function: pd.DataFrame, efficiency: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every district's value of every indicator in every year, long: district_id, school_year, code, value."""
    columns = [code for code in INDICATORS if code in indicators.columns]
    pieces = [indicators.melt(id_vars=["district_id", "school_year"], value_vars=columns, var_name="code")]
    if not operations_kpis.empty:
        pieces.append(operations_kpis[["district_id", "school_year", "kpi_code", "value"]].rename(columns={"kpi_code": "code"}))
    if not finance_by_function.empty:
        spending = finance_by_function[["district_id", "school_year", "category", "per_pupil"]]
        pieces.append(spending.assign(code="spend_" + spending["category"]).rename(columns={"per_pupil": "value"}).drop(columns="category"))
    if efficiency is not None and not efficiency.empty:
        latest = int(indicators["school_year"].max())
        pieces.append(efficiency[["district_id", "residual"]].rename(columns={"residual": "value"}).assign(school_year=latest, code="efficiency_residual"))
    known = list(INDICATORS)
    history = pd.concat([p[p["code"].isin(known)] for p in pieces], ignore_index=True)
    history["value"] = history["value"].astype(float)
    return history.dropna(subset=["value"]).sort_values(["district_id", "code", "school_year"], kind="stable").reset_index(drop=True)


def kpi_table(history: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per district, one column per indicator code, for one school year."""
    table = history[history["school_year"] == year].pivot_table(index="district_id", columns="code", values="value")
    table.columns.name = None
    return table[[code for code in INDICATORS if code in table.columns]].sort_index()
