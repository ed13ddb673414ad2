"""Each student-year's outcomes: days enrolled and present (attendance), and scale scores with the effects planted in
them, spending's among them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from districtstat.data.synthetic.finance import expected_per_pupil
from districtstat.data.synthetic.model import (
    ATTENDANCE,
    POPULATION,
    RACE_CODES,
    SCORES,
    SEX_CODES,
    SUBJECTS,
    TESTED_GRADES,
)
from districtstat.data.synthetic.population import Students, StudentYears
from districtstat.data.synthetic.spec import DistrictProfile


def _days_enrolled(rng: np.random.Generator, students: Students, rows: StudentYears, years: Sequence[int],
                   first_grade: int) -> np.ndarray:
    """Full year except a mover's first or last year, which starts or ends mid-year."""
    full = ATTENDANCE.full_year_days
    days = np.full(rows.student.size, full, dtype=np.int64)
    late_arrival = (students.entry_year > years[0]) & (students.entry_grade > first_grade)
    late_arrival &= rng.random(late_arrival.size) < POPULATION.mid_year_move_share
    early_exit = students.left_early & (students.entry_year + students.years_enrolled - 1 <= years[-1])
    early_exit &= rng.random(early_exit.size) < POPULATION.mid_year_move_share
    partial = (late_arrival[rows.student] & rows.first_row) | (early_exit[rows.student] & rows.last_row)
    days[partial] = rng.integers(POPULATION.min_partial_days, full, partial.sum())
    return days


def _days_present(rng, profile: DistrictProfile, students: Students, rows: StudentYears) -> np.ndarray:
    """Days present drawn from a student-year absence rate; EL plays no part, by design."""
    effect, programs = ATTENDANCE.log_effect, rows.programs
    log_rate = (
        np.log(ATTENDANCE.base_rate[profile.locale])
        + effect["ECODIS"] * programs["ECODIS"]
        + effect["SWD"] * programs["SWD"]
        + effect["HOMELESS"] * programs["HOMELESS"]
        + effect["HIGH_SCHOOL"] * (rows.grade >= 9)
        + ATTENDANCE.frailty_sd * students.traits["frailty"][rows.student]
        + ATTENDANCE.yearly_sd * rng.standard_normal(rows.student.size)
    )
    rate = np.minimum(np.exp(log_rate), ATTENDANCE.max_rate)
    return rows.days_enrolled - rng.binomial(rows.days_enrolled, rate)


def ecodis_effect(profile: DistrictProfile, year_index: int) -> float:
    """The ECODIS effect in a given year: the model's, or the planted closing gap (never above 0)."""
    if profile.ecodis_effect_first_year is None:
        return SCORES.ecodis
    return min(0.0, profile.ecodis_effect_first_year + profile.ecodis_effect_change_per_year * year_index)


def el_effect(profile: DistrictProfile, subject: str) -> float:
    if subject == "MATH" and profile.el_math_effect is not None:
        return profile.el_math_effect
    return SCORES.el[subject]


def productive_multiplier(profile: DistrictProfile) -> float:
    """The part of a district's spending relative to its needs that buys results."""
    return profile.spending_multiplier if profile.productive_multiplier is None else profile.productive_multiplier


def spending_effect(profile: DistrictProfile, rows: StudentYears, years: Sequence[int]) -> np.ndarray:
    """Points every student of a district gains from its spending, by year (no RNG: a function of the roll).

    What needs and size predict the district spends that year, in first-year dollars, times the part of
    its multiplier that buys results: money above what needs predict helps where it is put to use, while
    D04's excess buys nothing.
    """
    effect = np.zeros(len(years))
    for t, year in enumerate(years):
        here = rows.year == year
        n = int(here.sum())
        if not n:
            continue
        shares = {code: rows.programs[code][here].mean() for code in ("ECODIS", "EL", "SWD")}
        real = expected_per_pupil(n, shares["ECODIS"], shares["EL"], shares["SWD"], 0)
        effect[t] = SCORES.spending_per_log_dollar * math.log(
            float(real) * productive_multiplier(profile) / SCORES.spending_reference)
    return effect


def _scores(rng, profile: DistrictProfile, students: Students, rows: StudentYears, n_schools: int,
            years: Sequence[int]) -> np.ndarray:
    """Scale scores for tested grades; NaN for untested grades and the few who sat out."""
    school_effect = rng.normal(0, SCORES.school_sd, n_schools)
    school_effect -= school_effect.mean()
    tested = np.flatnonzero(np.isin(rows.grade, TESTED_GRADES))
    who = rows.student[tested]
    flag = {code: rows.programs[code][tested] for code in ("ECODIS", "EL", "SWD")}
    race_effect = np.array([SCORES.race[code] for code in RACE_CODES])
    ecodis_by_year = np.array([ecodis_effect(profile, t) for t in range(len(years))])
    year_index = rows.year[tested] - years[0]
    common = (
        SCORES.intercept
        + profile.district_effect
        + spending_effect(profile, rows, years)[year_index]
        + school_effect[rows.school[tested]]
        + race_effect[students.race[who]]
        + ecodis_by_year[year_index] * flag["ECODIS"]
        + SCORES.swd * flag["SWD"]
        + SCORES.chronic_absence * rows.chronic[tested]
        + SCORES.ability_sd * students.traits["ability"][who]
    )
    female = students.sex[who] == SEX_CODES.index("F")
    scores = np.full((rows.student.size, len(SUBJECTS)), np.nan)
    for k, subject in enumerate(SUBJECTS):
        raw = (
            common
            + el_effect(profile, subject) * flag["EL"]
            + SCORES.female[subject] * female
            + SCORES.subject_ability_sd * students.traits["subject_ability"][who, k]
            + SCORES.noise_sd * rng.standard_normal(tested.size)
        )
        sat = rng.random(tested.size) >= SCORES.non_participation
        scores[tested[sat], k] = np.clip(np.round(raw[sat], 1), *SCORES.score_range)
    return scores
