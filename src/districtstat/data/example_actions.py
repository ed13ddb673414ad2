"""The example consortium's action plans: what `districtstat example synthetic` writes as `actions.csv`, so the
routines (actions, their review dates, whether the indicator moved) have records to show."""

from __future__ import annotations

import pandas as pd

from districtstat.analyses.actions import COLUMNS


EXAMPLE_ACTIONS = [
    ("D01", "S1", "SUBSTITUTE_FILL_PCT", "Raise the substitute day rate and call a same-day list from 6 a.m.", "Director of human resources", "2024-01-08", "2024-12-31", "in_progress", "95"),
    ("D02", "T1", "BUS_ON_TIME_PCT", "Move the first bell 15 minutes later on the four longest routes", "Director of transportation", "2024-10-01", "2025-06-30", "planned", ""),
    ("D03", "A1", "pct_chronic_absent", "Attendance letters in the first two weeks and home visits after the fifth absence", "Director of student services", "2023-08-21", "2025-06-30", "in_progress", "15"),
    ("D03", "A2", "BUS_ON_TIME_PCT", "Re-route the three routes with the most late arrivals", "Director of transportation", "2023-09-05", "2024-03-31", "in_progress", ""),
    ("D05", "W1", "WORK_ORDER_DAYS", "Triage work orders daily and stock the 20 most used parts", "Chief operations officer", "2022-10-01", "2024-06-30", "done", "5"),
    ("D07", "M1", "mean_score_math", "Math coaches for grades 6 to 8, one per middle school", "Chief academic officer", "2022-08-15", "2024-06-30", "done", ""),
    ("D08", "B1", "spend_benefits", "Move staff health coverage into the state pool at renewal", "Chief financial officer", "2023-07-01", "2025-06-30", "in_progress", ""),
    ("D10", "E1", "gap.ECODIS.MATH", "After-school math tutoring for students in the free-lunch program", "Chief academic officer", "2023-09-01", "2025-06-30", "in_progress", ""),
    ("D12", "C1", "pct_chronic_absent", "Morning check-in with a named adult for students absent one day in ten", "Principal supervisor", "2022-09-01", "2024-06-30", "done", ""),
]


def write_example_actions(out_dir) -> None:
    """The example consortium's `actions.csv`: nine actions of eight districts, one past its review date, one on a
    monthly process (D01's substitute fill rate, whose planted rise starts the month the action does)."""
    frame = pd.DataFrame(EXAMPLE_ACTIONS, columns=COLUMNS)
    frame.to_csv(out_dir / "actions.csv", index=False, lineterminator="\n")
