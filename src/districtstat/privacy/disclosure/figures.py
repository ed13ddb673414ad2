"""District figures that rest on students (shares, rates, means and the efficiency residual): which ones each page
leaves out, and the others rounded, decided once for every page."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from districtstat.data.subjects import indicator_code, registered_subjects, statistic_of_indicator, subject_of_indicator
from districtstat.privacy.disclosure.percents import coded_percent, rounded_percent
from districtstat.privacy.disclosure.symbols import SUPPRESSED


# District figures that count students: a share of students in a group, a rate of students' results, and the means
# (and the efficiency residual, a mean's distance from its prediction) that rest on the students tested.
STUDENT_GROUP_SHARES = ("pct_ecodis", "pct_el", "pct_swd", "pct_chronic_absent")


class SubjectFigures:
    """The figures of every tested subject for some statistics (`mean_score_<subject>`, `pct_proficient_<subject>`):
    a subject a consortium declares (science, a composite) rests on its tested students exactly as math does."""

    def __init__(self, statistics: tuple[str, ...], others: tuple[str, ...] = ()):
        self.statistics, self.others = statistics, others

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and (code in self.others or statistic_of_indicator(code) in self.statistics)

    def __iter__(self) -> Iterator[str]:
        subjects = [subject.code for subject in registered_subjects()]
        return iter([*self.others, *(indicator_code(statistic, subject) for statistic in self.statistics for subject in subjects)])


STUDENT_RATES = SubjectFigures(("pct_proficient",))
STUDENT_FIGURES = SubjectFigures(("pct_proficient", "mean_score"), (*STUDENT_GROUP_SHARES, "efficiency_residual"))


def tested_subject(code: str) -> str | None:
    """The subject whose tested students a mean or rate rests on (MATH for pct_proficient_math), else None."""
    return subject_of_indicator(code)


def published_figure(code: str, value: float, students: float, min_n: int) -> str | None:
    """How a district's figure resting on `students` is published: None when as a number (a rate or share rounded by
    `shown_percent`), else its code or the symbol."""
    if code not in STUDENT_FIGURES:
        return None
    if pd.notna(students) and 0 < students < min_n:
        return SUPPRESSED
    if code in (*STUDENT_GROUP_SHARES, *STUDENT_RATES):
        return coded_percent(value, students, min_n)
    return None


def per_pupil(code: str) -> bool:
    """A figure divided by the district's students: with the total it gives the enrollment, so it goes where it goes."""
    return code == "per_pupil_spending" or code.startswith("spend_")


def students_behind(history: pd.DataFrame, enrollment: pd.DataFrame, tested: pd.DataFrame | None = None) -> np.ndarray:
    """The students each figure of `history` rests on: those tested in its subject for means and rates (where the
    data say), else the district's enrollment that year."""
    at = pd.MultiIndex.from_arrays([history["district_id"], history["school_year"]])
    students = enrollment.set_index(["district_id", "school_year"])["enrollment"].astype(float).reindex(at).to_numpy()
    if tested is not None and not tested.empty:
        by_subject = tested.set_index(["district_id", "school_year", "subject"])["n"].astype(float)
        subject = history["code"].map(tested_subject)
        took = by_subject.reindex(pd.MultiIndex.from_arrays([history["district_id"], history["school_year"], subject])).to_numpy()
        students = np.where(subject.notna().to_numpy() & ~np.isnan(took), took, students)
    return students


def withhold_student_figures(
    history: pd.DataFrame,
    enrollment: pd.DataFrame,
    min_n: int,
    tested: pd.DataFrame | None = None,
    hidden_enrollment: pd.DataFrame | None = None,
    residual_outcome: str | None = None,
) -> pd.DataFrame:
    """The figures history as published: rates and shares rounded (`shown_percent`), without the values no page may
    show as a number (`published_figure`), decided once so that ranks, peer medians, charts, scorecards and key
    figures all leave them out alike.

    `history` is long (district_id, school_year, code, value); `enrollment` gives each district's students by year
    and `tested` (district_id, school_year, subject, n, and `hidden` where the release hides that count) the students
    tested. Every figure resting on a hidden count goes with it: a subject's mean and rate with its hidden tested
    count; the shares, per-pupil figures and efficiency residual of a district whose enrollment is hidden
    (`hidden_enrollment`: district_id, school_year); and the efficiency residual where its outcome (`residual_outcome`) is withheld:
    outcome = prediction + residual."""
    students = students_behind(history, enrollment, tested)
    codes = history["code"].to_numpy()
    at = pd.Series(list(zip(history["district_id"], history["school_year"])), index=history.index)
    withheld = np.array([published_figure(code, value, count, min_n) is not None for code, value, count in zip(codes, history["value"], students)], dtype=bool)
    if hidden_enrollment is not None:
        # the efficiency residual too: the model's published coefficients and controls would give the enrollment back
        resting = np.isin(codes, [*STUDENT_GROUP_SHARES, "efficiency_residual"]) | np.array([per_pupil(code) for code in codes], dtype=bool)
        withheld |= resting & at.isin(set(zip(hidden_enrollment["district_id"], hidden_enrollment["school_year"]))).to_numpy()
    if tested is not None and "hidden" in tested and tested["hidden"].any():
        gone = set(zip(*(tested.loc[tested["hidden"].astype(bool), column] for column in ("district_id", "school_year", "subject"))))
        subject = history["code"].map(tested_subject)
        withheld |= pd.Series(list(zip(history["district_id"], history["school_year"], subject)), index=history.index).isin(gone).to_numpy()
    if residual_outcome is not None:
        withheld |= (codes == "efficiency_residual") & at.isin(set(at[withheld & (codes == residual_outcome)])).to_numpy()
    published = history[~withheld].reset_index(drop=True)
    percent = published["code"].isin([*STUDENT_GROUP_SHARES, *STUDENT_RATES]).to_numpy()
    if percent.any():
        rounded = [value if pd.isna(count) else rounded_percent(value, count, min_n) for value, count in zip(published.loc[percent, "value"], students[~withheld][percent])]
        published.loc[percent, "value"] = [value if value is not None else np.nan for value in rounded]
    return published.dropna(subset=["value"]).reset_index(drop=True)
