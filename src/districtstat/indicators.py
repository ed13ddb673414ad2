"""The key performance indicators a district is compared on, with the direction that counts as better."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    area: Literal["Student outcomes", "Equity", "Finance", "Operations"]
    unit: str
    better: Literal["higher", "lower", "neither"]


ACADEMIC = [
    Indicator("mean_score_ela", "Mean ELA scale score", "Student outcomes", "points", "higher"),
    Indicator("mean_score_math", "Mean math scale score", "Student outcomes", "points", "higher"),
    Indicator("pct_proficient_ela", "Proficient in ELA", "Student outcomes", "%", "higher"),
    Indicator("pct_proficient_math", "Proficient in math", "Student outcomes", "%", "higher"),
    Indicator("pct_chronic_absent", "Chronically absent", "Student outcomes", "%", "lower"),
]
FINANCIAL = [
    Indicator("per_pupil_spending", "Spending per pupil", "Finance", "$", "neither"),
]
OPERATIONAL = [
    Indicator("BUS_ON_TIME_PCT", "Buses on time", "Operations", "%", "higher"),
    Indicator("WORK_ORDER_DAYS", "Days to close a work order", "Operations", "days", "lower"),
    Indicator("TEACHER_VACANCY_PCT", "Teaching posts vacant on day one", "Operations", "%", "lower"),
    Indicator("MEAL_PARTICIPATION_PCT", "Lunch participation", "Operations", "%", "higher"),
    Indicator("IT_TICKET_DAYS", "Days to close a help-desk ticket", "Operations", "days", "lower"),
    Indicator("STAFF_ATTENDANCE_PCT", "Staff attendance", "Operations", "%", "higher"),
]
INDICATORS = {indicator.code: indicator for indicator in ACADEMIC + FINANCIAL + OPERATIONAL}


def kpi_table(indicators: pd.DataFrame, operations_kpis: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per district, one column per indicator code, for one school year."""
    profile = indicators[indicators["school_year"] == year].set_index("district_id")
    columns = [code for code in INDICATORS if code in profile.columns]
    table = profile[columns].astype(float)
    if not operations_kpis.empty:
        operations = operations_kpis[operations_kpis["school_year"] == year].pivot_table(index="district_id", columns="kpi_code", values="value")
        table = table.join(operations, how="left")
    return table.sort_index()
