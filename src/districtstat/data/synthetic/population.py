"""One district's population: its schools, its students and their years enrolled (a grade a year), and the programs
each student-year is in."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from districtstat.data.synthetic.model import POPULATION, RACE_CODES, SEX_CODES, SPAN_GRADES, SUBJECTS
from districtstat.data.synthetic.spec import ConsortiumSpec, DistrictProfile, Topic, _stream


def _district_enrollment(profile: DistrictProfile, scale: float) -> int:
    """At least two students a grade, so a tiny scale still fills every grade."""
    low, high = SPAN_GRADES[profile.grade_span]
    return max(2 * (high - low + 1), round(profile.students * scale))


# --------------------------------------------------------------------------------------------
# Schools
# --------------------------------------------------------------------------------------------

LEVEL_BANDS = (("elementary", 0, 5, 450), ("middle", 6, 8, 700), ("high", 9, 12, 1300))  # students a school
SCHOOL_STEMS = (
    "Lincoln", "Jefferson", "Oak Park", "Riverside", "Hillcrest", "Meadowbrook", "Sunset", "Valley View",
    "Washington", "Roosevelt", "Pinecrest", "Lakeview", "Maplewood", "Highland", "Cedar", "Willow", "Brookside",
    "Fairview", "Parkside", "Westwood", "Eastside", "Northgate", "Southridge", "Garfield", "Madison", "Monroe",
    "Franklin", "Kennedy", "Sequoia", "Aspen", "Redwood", "Bayview", "Canyon", "Mesa Verde", "Prairie", "Sycamore",
    "Hawthorne", "Evergreen", "Magnolia", "Juniper", "Elmwood", "Ridgeview", "Clearwater", "Stonegate",
    "Harborview", "Summit", "Bluff", "Orchard",
)
LEVEL_WORDS = {"elementary": "Elementary School", "middle": "Middle School", "high": "High School"}


@dataclasses.dataclass(frozen=True)
class SchoolLevel:
    level: str
    first_grade: int
    last_grade: int
    count: int


def _school_layout(enrollment: int, grade_span: str) -> tuple[SchoolLevel, ...]:
    """Tiny districts run two schools, small ones one a level, larger ones as many as sizes need."""
    low, high = SPAN_GRADES[grade_span]
    n_grades = high - low + 1
    bands = [(level, max(lo, low), min(hi, high), size)
             for level, lo, hi, size in LEVEL_BANDS if lo <= high and hi >= low]
    if enrollment < 500 and len(bands) > 1:
        split = low + n_grades // 2
        names = ("elementary", "high") if high >= 9 else ("elementary", "middle")
        return (SchoolLevel(names[0], low, split, 1), SchoolLevel(names[1], split + 1, high, 1))
    if enrollment < 1500:
        return tuple(SchoolLevel(level, lo, hi, 1) for level, lo, hi, _ in bands)
    return tuple(
        SchoolLevel(level, lo, hi, max(1, round(enrollment * (hi - lo + 1) / n_grades / size)))
        for level, lo, hi, size in bands
    )


def _school_names(rng: np.random.Generator, profile: DistrictProfile, layout: Sequence[SchoolLevel]) -> list[str]:
    """One-school levels take the community's name; others take stems in a district-specific order."""
    stems = [SCHOOL_STEMS[i] for i in rng.permutation(len(SCHOOL_STEMS))]
    names, used = [], 0
    for band in layout:
        word = LEVEL_WORDS[band.level]
        if band.count == 1:
            junior = " Junior-Senior" if band.level == "high" and band.first_grade < 9 else ""
            names.append(f"{profile.community}{junior} {word}")
            continue
        for k in range(band.count):
            stem = stems[(used + k) % len(stems)]
            round_no = (used + k) // len(stems)
            names.append(f"{stem} {word}" + (f" {round_no + 1}" if round_no else ""))
        used += band.count
    return names


# --------------------------------------------------------------------------------------------
# One district's students, year by year
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Students:
    """Per student, in student-id order."""

    entry_year: np.ndarray
    entry_grade: np.ndarray
    years_enrolled: np.ndarray
    left_early: np.ndarray
    sex: np.ndarray
    race: np.ndarray
    birth_date: np.ndarray
    zone: np.ndarray
    traits: dict[str, np.ndarray]  # persistent draws: uniforms, abilities, frailty


@dataclasses.dataclass
class StudentYears:
    """Per enrolled student-year, sorted by student then year; later steps fill in the outcomes."""

    student: np.ndarray
    year: np.ndarray
    grade: np.ndarray
    school: np.ndarray
    first_row: np.ndarray  # the student's first year in the window
    last_row: np.ndarray
    programs: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    days_enrolled: np.ndarray | None = None
    days_present: np.ndarray | None = None
    chronic: np.ndarray | None = None
    scores: np.ndarray | None = None  # (rows, 2) ELA, MATH; NaN when not tested


@dataclasses.dataclass
class DistrictData:
    profile: DistrictProfile
    layout: tuple[SchoolLevel, ...]
    school_names: list[str]
    school_levels: list[str]
    students: Students
    student_years: StudentYears
    finance: dict[str, np.ndarray]
    operations: dict[str, np.ndarray]
    monthly: dict[str, np.ndarray]


def _admissions(rng: np.random.Generator, profile: DistrictProfile, enrollment: int, years: Sequence[int]):
    """First-year roll plus each later year's kindergartners and movers-in, shuffled into id order."""
    low, high = SPAN_GRADES[profile.grade_span]
    grades = np.arange(low, high + 1)
    weights = np.clip(1 + 0.04 * rng.standard_normal(grades.size), 0.8, 1.2)
    weights /= weights.sum()
    counts = [rng.multinomial(enrollment, weights)]
    for t in range(1, len(years)):
        expected = enrollment * weights * POPULATION.churn
        expected[0] = enrollment * weights[0] * (1 + profile.enrollment_trend) ** t
        counts.append(rng.poisson(expected))
    entry_grade = np.concatenate([np.repeat(grades, c) for c in counts])
    entry_year = np.concatenate([np.full(c.sum(), year) for c, year in zip(counts, years)])
    order = rng.permutation(entry_grade.size)
    entry_year, entry_grade = entry_year[order], entry_grade[order]
    grades_left = high - entry_grade + 1
    stay = rng.geometric(POPULATION.churn, entry_grade.size)
    return entry_year, entry_grade, np.minimum(stay, grades_left), stay < grades_left


def _birth_dates(rng: np.random.Generator, entry_year: np.ndarray, entry_grade: np.ndarray) -> np.ndarray:
    """Born between 2 September and 1 September so the student is five on 1 September of kindergarten."""
    first_year = entry_year - entry_grade - 7
    september = ((first_year - 1970) * 12 + 8).astype("datetime64[M]").astype("datetime64[D]")
    return september + 1 + rng.integers(0, 365, entry_year.size)


def _race_draw(rng: np.random.Generator, profile: DistrictProfile, n: int) -> np.ndarray:
    shares = np.asarray(profile.race_shares, dtype=float)
    return rng.choice(len(RACE_CODES), size=n, p=shares / shares.sum())


def _force_students(profile: DistrictProfile, race: np.ndarray, entry_year, entry_grade, first_year: int) -> None:
    """Plant a handful of students of a named group so a tested cell is certainly below ten."""
    for code, grade, count in profile.forced_students:
        chosen = np.flatnonzero((entry_year == first_year) & (entry_grade == grade))[:count]
        race[chosen] = RACE_CODES.index(code)


def _students(spec: ConsortiumSpec, number: int, profile: DistrictProfile, enrollment: int, n_zones: int) -> Students:
    entry_year, entry_grade, years_enrolled, left_early = _admissions(
        _stream(spec.seed, number, Topic.ADMISSIONS), profile, enrollment, spec.years
    )
    rng = _stream(spec.seed, number, Topic.TRAITS)
    n = entry_year.size
    race = _race_draw(rng, profile, n)
    _force_students(profile, race, entry_year, entry_grade, spec.years[0])
    zone_weights = rng.dirichlet(np.full(n_zones, 6.0))
    traits = {
        "ecodis_u": rng.random(n),
        "el_u": rng.random(n),
        "swd_u": rng.random(n),
        "migrant_u": rng.random(n),
        "foster_u": rng.random(n),
        "ability": rng.standard_normal(n),
        "subject_ability": rng.standard_normal((n, len(SUBJECTS))),
        "gifted_noise": rng.standard_normal(n),
        "frailty": rng.standard_normal(n),
        "zone_poverty": rng.normal(0, POPULATION.ecodis_zone_sd, n_zones),
    }
    return Students(
        entry_year=entry_year,
        entry_grade=entry_grade,
        years_enrolled=years_enrolled,
        left_early=left_early,
        sex=rng.choice(len(SEX_CODES), size=n, p=POPULATION.sex_shares),
        race=race,
        birth_date=_birth_dates(rng, entry_year, entry_grade),
        zone=rng.choice(n_zones, size=n, p=zone_weights),
        traits=traits,
    )


def _student_years(students: Students, years: Sequence[int], layout: Sequence[SchoolLevel]) -> StudentYears:
    """One row per student and year enrolled inside the window; a student advances a grade a year."""
    rows_per_student = np.minimum(students.years_enrolled, years[-1] - students.entry_year + 1)
    student = np.repeat(np.arange(rows_per_student.size), rows_per_student)
    starts = np.repeat(np.cumsum(rows_per_student) - rows_per_student, rows_per_student)
    offset = np.arange(student.size) - starts
    grade = students.entry_grade[student] + offset
    return StudentYears(
        student=student,
        year=students.entry_year[student] + offset,
        grade=grade,
        school=_assign_schools(layout, students.zone[student], grade),
        first_row=offset == 0,
        last_row=offset == rows_per_student[student] - 1,
    )


def _assign_schools(layout: Sequence[SchoolLevel], zone: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """Attendance zones feed schools: each level splits the zones among its schools."""
    n_zones = layout[0].count
    school = np.zeros(grade.size, dtype=np.int64)
    first = 0
    for band in layout:
        here = (grade >= band.first_grade) & (grade <= band.last_grade)
        school[here] = first + zone[here] * band.count // n_zones
        first += band.count
    return school


def _ecodis_probability(profile: DistrictProfile, students: Students) -> np.ndarray:
    """Zone poverty and (modestly) race shift the logit; the intercept keeps the district's share as stated."""
    race_logit = np.array([POPULATION.ecodis_race_logit[code] for code in RACE_CODES])
    shift = students.traits["zone_poverty"][students.zone] + race_logit[students.race]
    flip = POPULATION.ecodis_yearly_flip
    target = min(max((profile.pct_ecodis - flip) / (1 - 2 * flip), 0.01), 0.99)  # before the yearly flips
    return _expit(_calibrated_intercept(target, shift) + shift)


def _expit(logit: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-logit))


def _calibrated_intercept(target: float, shift: np.ndarray, iterations: int = 30) -> float:
    """Bisection on the intercept: mean probability over these students equals the target share."""
    low, high = -12.0, 12.0
    for _ in range(iterations):
        middle = (low + high) / 2
        low, high = (middle, high) if _expit(middle + shift).mean() < target else (low, middle)
    return (low + high) / 2


def _el_probability(profile: DistrictProfile, students: Students, rows: StudentYears) -> np.ndarray:
    """EL share falls with grade (reclassification) and, except where planted, varies by race."""
    grade_factor = np.asarray(POPULATION.el_grade_factor)[rows.grade]
    if profile.el_independent:
        return np.minimum(0.95, profile.pct_el * grade_factor)
    factor = np.array([POPULATION.el_race_factor[code] for code in RACE_CODES])
    shares = np.asarray(profile.race_shares) / sum(profile.race_shares)
    race_factor = factor[students.race[rows.student]] / float(shares @ factor)
    return np.minimum(0.95, profile.pct_el * grade_factor * race_factor)


def _programs(rng, profile: DistrictProfile, students: Students, rows: StudentYears, n_schools: int,
              years: Sequence[int]) -> dict[str, np.ndarray]:
    """Program flags per student-year; persistent draws keep a student's status stable across years."""
    traits, student = students.traits, rows.student
    flip = rng.random(student.size) < POPULATION.ecodis_yearly_flip
    ecodis = (traits["ecodis_u"] < _ecodis_probability(profile, students))[student] ^ flip
    swd_p = profile.pct_swd * np.asarray(POPULATION.swd_sex_factor)[students.sex]
    gifted = traits["ability"] + 0.6 * traits["gifted_noise"] > POPULATION.gifted_threshold
    year_index = rows.year - years[0]
    return {
        "ECODIS": ecodis,
        "EL": traits["el_u"][student] < _el_probability(profile, students, rows),
        "FOSTER": traits["foster_u"][student] < POPULATION.foster_share,
        "GIFTED": gifted[student] & (rows.grade >= POPULATION.gifted_first_grade),
        "HOMELESS": ecodis & (rng.random(student.size) < POPULATION.homeless_among_ecodis),
        "MIGRANT": traits["migrant_u"][student] < profile.pct_migrant,
        "SWD": (traits["swd_u"] < swd_p)[student],
        "TITLE1": _title1_schools(ecodis, year_index, rows.school, n_schools, len(years))[year_index, rows.school],
    }


def _title1_schools(ecodis, year_index, school, n_schools: int, n_years: int) -> np.ndarray:
    """Schoolwide Title I where the school's ECODIS share reaches the threshold that year."""
    cell = year_index * n_schools + school
    enrolled = np.bincount(cell, minlength=n_years * n_schools)
    poor = np.bincount(cell, weights=ecodis, minlength=n_years * n_schools)
    share = poor / np.maximum(enrolled, 1)
    return (share >= POPULATION.title1_school_ecodis).reshape(n_years, n_schools)
