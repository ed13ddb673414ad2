"""A deterministic synthetic consortium whose answers are known in advance.

Why: every step of the pipeline (validate, gaps, efficiency, peers, disclosure control) needs
realistic microdata to run on, and tests need effects that were planted on purpose so they can
check that the analysis finds them. `generate` builds every microdata entity of the data
contracts from a `ConsortiumSpec`; `write_consortium` writes them as ``<entity>.csv`` beside
``planted_truths.json``, which records the spec, the generating model and every planted truth.

Everything is a pure function of the spec. Each district draws from its own random streams,
``SeedSequence(seed, spawn_key=(district_number, topic))``, so the same seed gives byte-identical
files and a district's data do not depend on how many districts come after it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "ENTITIES",
    "ConsortiumSpec",
    "DistrictProfile",
    "district_profiles",
    "effective_scale",
    "generate",
    "planted_truths",
    "write_consortium",
]

ENTITIES = (
    "districts",
    "schools",
    "students",
    "enrollments",
    "program_participation",
    "attendance",
    "assessments",
    "finance",
    "operations_kpis",
)
GRADE_CODES = ("KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
RACE_CODES = ("HI", "AM", "AS", "BL", "PI", "WH", "TR")
SEX_CODES = ("F", "M", "X")
SUBJECTS = ("ELA", "MATH")
PROGRAM_CODES = ("ECODIS", "EL", "FOSTER", "GIFTED", "HOMELESS", "MIGRANT", "SWD", "TITLE1")  # file order
TESTED_GRADES = (3, 4, 5, 6, 7, 8, 11)
SPAN_GRADES = {"K-12": (0, 12), "K-8": (0, 8), "K-6": (0, 6), "7-12": (7, 12), "9-12": (9, 12)}
STUDENT_SERIAL_DIGITS = 7
FLOAT_FORMATS = {"assessments": "%.1f", "finance": "%.2f", "operations_kpis": "%.1f"}
TRUTHS_FILE = "planted_truths.json"


class Topic(IntEnum):
    """One random stream per district and topic: changing one topic leaves the others' draws alone."""

    PROFILES = 0
    SCHOOLS = 1
    ADMISSIONS = 2
    TRAITS = 3
    PROGRAMS = 4
    ATTENDANCE = 5
    SCORES = 6
    FINANCE = 7
    OPERATIONS = 8
    MONTHLY_OPERATIONS = 9


# --------------------------------------------------------------------------------------------
# The generating model: every coefficient is recorded in planted_truths.json.
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PopulationModel:
    """Who the students are and how they move: shares, churn, program identification."""

    sex_shares: tuple[float, float, float] = (0.488, 0.509, 0.003)  # F, M, X
    churn: float = 0.07  # yearly share leaving before their last grade; as many move in
    mid_year_move_share: float = 0.35  # of movers, the share who arrive or leave during the year
    min_partial_days: int = 20
    # EL identification falls with grade (reclassification); factor times the district's EL share.
    el_grade_factor: tuple[float, ...] = (1.7, 1.6, 1.5, 1.35, 1.2, 1.05, 0.95, 0.85, 0.8, 0.7, 0.65, 0.6, 0.55)
    el_race_factor: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"HI": 2.6, "AM": 0.8, "AS": 2.0, "BL": 0.45, "PI": 1.5, "WH": 0.2, "TR": 0.4}
    )
    ecodis_race_logit: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"HI": 0.6, "AM": 0.8, "AS": -0.3, "BL": 0.7, "PI": 0.5, "WH": -0.4, "TR": 0.0}
    )
    ecodis_zone_sd: float = 0.5  # logit spread of poverty between school attendance zones
    ecodis_yearly_flip: float = 0.04
    swd_sex_factor: tuple[float, float, float] = (0.68, 1.32, 1.0)
    gifted_threshold: float = 1.6  # on ability + 0.6 * noise, from grade 02
    gifted_first_grade: int = 2
    homeless_among_ecodis: float = 0.04
    foster_share: float = 0.004
    title1_school_ecodis: float = 0.40  # schoolwide Title I program above this ECODIS share


@dataclasses.dataclass(frozen=True)
class AttendanceModel:
    """Absence rate = base(locale) * exp(effects + frailty); chronic below 90% of enrolled days."""

    full_year_days: int = 180
    base_rate: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"city": 0.036, "suburb": 0.029, "town": 0.031, "rural": 0.031}
    )
    log_effect: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"ECODIS": 0.45, "SWD": 0.3, "HOMELESS": 0.5, "HIGH_SCHOOL": 0.35}
    )
    frailty_sd: float = 0.7  # persistent student propensity (log scale)
    yearly_sd: float = 0.3
    max_rate: float = 0.9
    chronic_threshold: float = 0.9


@dataclasses.dataclass(frozen=True)
class ScoreModel:
    """Scale score = intercept + district + spending + school + student effects + ability + noise, in points."""

    intercept: float = 522.0
    ecodis: float = -18.0
    swd: float = -38.0
    el: dict[str, float] = dataclasses.field(default_factory=lambda: {"ELA": -28.0, "MATH": -22.0})
    female: dict[str, float] = dataclasses.field(default_factory=lambda: {"ELA": 6.0, "MATH": -2.0})
    chronic_absence: float = -12.0
    race: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"HI": -8.0, "AM": -10.0, "AS": 10.0, "BL": -12.0, "PI": -7.0, "WH": 0.0, "TR": -2.0}
    )
    ability_sd: float = 32.0  # persistent across years and subjects
    subject_ability_sd: float = 12.0  # persistent, one per subject
    noise_sd: float = 25.0  # each test
    school_sd: float = 5.0  # centred within the district
    non_participation: float = 0.015
    # Money buys results, modestly: points per log-dollar of the spending that is put to use (about 0.5
    # student SD, so +2.4 points for 10% more, near the Jackson & Mackevicius 2024 meta-analysis of
    # school-spending studies). Real dollars (first-year prices), relative to the reference per pupil.
    spending_per_log_dollar: float = 25.0
    spending_reference: float = 15_000.0
    cut_scores: tuple[float, float, float] = (450.0, 500.0, 550.0)
    score_range: tuple[float, float] = (100.0, 900.0)


@dataclasses.dataclass(frozen=True)
class SpendingModel:
    """Per-pupil spending = base * inflation * (1 + need weights) * small-district premium * multiplier * noise."""

    base_per_pupil: float = 10_400.0
    inflation: float = 0.03
    need_weight: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"ECODIS": 0.35, "SWD": 0.9, "EL": 0.25}
    )
    small_district_size: float = 3000.0
    small_district_premium: float = 0.30  # per factor of ten below small_district_size ...
    small_district_max_decades: float = 1.5  # ... up to this many factors of ten
    noise_sd: float = 0.03  # log scale, each district-year
    multiplier_sd: float = 0.10  # log spread of drawn districts' spending beyond needs (levies, sparsity aid)
    title1_per_ecodis: float = 950.0  # federal, at Title I schools
    sped_per_swd: float = 4_200.0  # special revenue, at the school
    idea_per_swd: float = 1_500.0  # federal related services, district-wide
    placement_rate: float = 0.025  # of SWD placed out of district (tuition, object 560)
    placement_tuition: float = 52_000.0
    day_program_rate: float = 0.01  # of SWD in day-treatment programs (function 2100, object 560)
    day_program_tuition: float = 38_000.0
    transport_locale_factor: dict[str, float] = dataclasses.field(
        default_factory=lambda: {"city": 0.8, "suburb": 1.0, "town": 1.3, "rural": 1.8}
    )


POPULATION = PopulationModel()
ATTENDANCE = AttendanceModel()
SCORES = ScoreModel()
SPENDING = SpendingModel()

# Shares of what is left once the rate-driven lines are paid: (fund, function, object, school-level, share).
SPENDING_LINES = (
    ("GENERAL", "1000", "100", True, 0.400),
    ("GENERAL", "1000", "200", True, 0.135),
    ("GENERAL", "1000", "300", True, 0.010),
    ("GENERAL", "1000", "600", True, 0.030),
    ("GENERAL", "2100", "100", True, 0.035),
    ("GENERAL", "2100", "200", True, 0.012),
    ("GENERAL", "2200", "100", True, 0.025),
    ("GENERAL", "2200", "200", True, 0.008),
    ("GENERAL", "2400", "100", True, 0.050),
    ("GENERAL", "2400", "200", True, 0.017),
    ("GENERAL", "2600", "100", True, 0.030),
    ("GENERAL", "2600", "400", True, 0.030),
    ("GENERAL", "2600", "600", True, 0.020),
    ("GENERAL", "2300", "100", False, 0.014),
    ("GENERAL", "2300", "200", False, 0.005),
    ("GENERAL", "2300", "300", False, 0.006),
    ("GENERAL", "2500", "100", False, 0.018),
    ("GENERAL", "2500", "300", False, 0.007),
    ("GENERAL", "2500", "700", False, 0.004),
    ("GENERAL", "2700", "100", False, 0.020),
    ("GENERAL", "2700", "200", False, 0.007),
    ("GENERAL", "2700", "500", False, 0.005),
    ("GENERAL", "2700", "600", False, 0.008),
    ("GENERAL", "2900", "800", False, 0.005),
    ("FOOD_SERVICE", "3100", "100", False, 0.015),
    ("FOOD_SERVICE", "3100", "200", False, 0.005),
    ("FOOD_SERVICE", "3100", "600", False, 0.016),
)
MODEL_FORMULAS = {
    "scale_score": "clip(round(intercept + district_effect + school_effect + race[race] + ecodis_effect(district, "
                   "year) * ECODIS + swd * SWD + el_effect(district, subject) * EL + female[subject] * F "
                   "+ chronic_absence * CHRONIC + spending_effect(district, year) + ability_sd * z_student "
                   "+ subject_ability_sd * z_student_subject + noise_sd * z_test, 1), 100, 900)",
    "performance_level": "1 + number of cut_scores at or below scale_score; levels 3 and 4 are proficient",
    "absence_rate": "min(max_rate, base_rate[locale] * exp(log_effect . flags + frailty_sd * z_student "
                    "+ yearly_sd * z_year)); days_present = days_enrolled - Binomial(days_enrolled, absence_rate)",
    "predicted_per_pupil": "base_per_pupil * (1 + inflation) ** year_index * (1 + need_weight . shares) "
                           "* (1 + small_district_premium * clip(log10(small_district_size / enrollment), 0, "
                           "small_district_max_decades))",
    "per_pupil_spending": "predicted_per_pupil * spending_multiplier * exp(noise_sd * z_district_year), "
                          "= sum of finance amounts / enrollment",
    "spending_effect": "spending_per_log_dollar * log(predicted_per_pupil(year_index=0) * productive_multiplier "
                       "/ spending_reference): the same points for every student of a district-year; "
                       "predicted_per_pupil from that year's enrollment and need shares in first-year dollars "
                       "(inflation buys nothing), productive_multiplier = spending_multiplier unless a district "
                       "sets it (the part of its spending that buys results); the yearly noise buys nothing",
}
KPI_UNITS = {
    "BUS_ON_TIME_PCT": "percent",
    "IT_TICKET_DAYS": "days",
    "MEAL_PARTICIPATION_PCT": "percent",
    "STAFF_ATTENDANCE_PCT": "percent",
    "TEACHER_VACANCY_PCT": "percent",
    "WORK_ORDER_DAYS": "days",
}
MONTHLY_KPI_UNITS = {"BUS_ON_TIME_PCT": "percent", "SUBSTITUTE_FILL_PCT": "percent", "WORK_ORDERS_CLOSED": "count"}
SCHOOL_MONTHS = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6)  # the months a school year reports, September to June


@dataclasses.dataclass(frozen=True)
class MonthlyModel:
    """Support services month by month: a district level and quiet common-cause noise (`_quiet`), unless planted.

    Work orders closed ~ level + sqrt(level + (extra_cv * level)^2) * z (Poisson and a little more), level from the
    district's size. Substitute requests filled: a level from needs, noise that shrinks with size (more requests).
    Buses on time: the school year's figure plus monthly deviations in tenths that sum to zero, so the months
    average exactly to the yearly value.
    """

    work_orders_per_1000_students: float = 40.0
    work_orders_extra_cv: float = 0.05
    fill_base: float = 90.0
    fill_per_ecodis: float = -12.0
    fill_level_sd: float = 2.0
    fill_noise_per_sqrt_student: float = 60.0  # SD = this / sqrt(students), within fill_noise_range
    fill_noise_range: tuple[float, float] = (0.6, 3.0)
    bus_month_sd: float = 1.5
    baseline_months: int = 12  # the months a process chart takes its limits from by default


MONTHLY = MonthlyModel()


@dataclasses.dataclass(frozen=True)
class PlantedProcess:
    """A monthly series with a planted signal (or planted to have none): which, where and how large.

    `point` is the school month (0 = the first September) where the effect starts: a shift from there on, one
    outlier month there; a trend climbs by `size` every month for the last `length` months of the data.
    `size` is in the KPI's units, or a share of the level for a shift (−0.5 halves it).
    """

    id: str
    district_id: str
    kpi: str
    kind: str  # shift, trend, outlier or stable
    size: float = 0.0
    point: int | None = None
    length: int = 0
    level: float | None = None  # the process level, when the planted story needs a particular one


PLANTED_PROCESSES = (
    PlantedProcess("work_orders_shift", "D13", "WORK_ORDERS_CLOSED", "shift", size=-0.5, point=14),
    PlantedProcess("substitute_fill_trend", "D01", "SUBSTITUTE_FILL_PCT", "trend", size=4.5, length=5, level=70.0),
    PlantedProcess("substitute_fill_outlier", "D06", "SUBSTITUTE_FILL_PCT", "outlier", size=-12.0, point=15),
    PlantedProcess("work_orders_stable", "D08", "WORK_ORDERS_CLOSED", "stable"),
)
# Monthly noise is drawn again until it is quiet, so that a planted effect is its series' only signal and its edges are
# sharp (values in SDs of the noise; see `_quiet`).
QUIET_MAX, QUIET_SIDE, QUIET_CENTRE, QUIET_MONOTONE, QUIET_SPREAD = 2.0, 0.5, 0.25, 5, (0.85, 1.25)

# --------------------------------------------------------------------------------------------
# The districts
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DistrictProfile:
    """What makes one district itself; the planted truths are fields here, not special cases."""

    district_id: str
    community: str
    kind: str  # "Unified", "Public Schools", ...
    region: str
    locale: str
    grade_span: str
    students: int  # first-year enrollment at scale 1.0
    pct_ecodis: float
    pct_el: float
    pct_swd: float
    race_shares: tuple[float, ...]  # in RACE_CODES order
    district_effect: float = 0.0  # points added to every score
    spending_multiplier: float = 1.0  # spending relative to what needs and size predict
    productive_multiplier: float | None = None  # the part of that spending that buys results; None: all of it
    enrollment_trend: float = 0.0  # yearly growth of the kindergarten cohort
    pct_migrant: float = 0.002
    el_math_effect: float | None = None  # replaces the model's EL effect in MATH
    el_independent: bool = False  # EL drawn independently of race, so the raw gap equals the effect
    ecodis_effect_first_year: float | None = None  # replaces the model's ECODIS effect ...
    ecodis_effect_change_per_year: float = 0.0  # ... and moves it this much each year
    forced_students: tuple[tuple[str, int, int], ...] = ()  # (race, grade, count) in the first year
    bus_on_time_change_per_year: float = 0.0

    @property
    def district_name(self) -> str:
        return f"{self.community} {self.kind}"


EL_GAP_DISTRICT, EL_GAP_MATH = "D02", -45.0
CLOSING_GAP_DISTRICT, CLOSING_GAP_FIRST, CLOSING_GAP_STEP = "D03", -30.0, 6.0
INEFFICIENT_DISTRICT, INEFFICIENT_MULTIPLIER, INEFFICIENT_PRODUCTIVE = "D04", 1.35, 1.0
EFFICIENT_DISTRICT, EFFICIENT_EFFECT = "D05", 25.0
BUS_DECLINE_DISTRICT, BUS_DECLINE_STEP = "D07", -5.0
TINY_SUBGROUP_DISTRICT, TINY_SUBGROUP_RACE = "D10", "PI"

BASE_DISTRICTS = (
    DistrictProfile("D01", "Harbor City", "Public Schools", "Coastal", "city", "K-12", 40_000, 0.72, 0.22, 0.145,
                    (0.44, 0.004, 0.07, 0.27, 0.006, 0.17, 0.04), district_effect=-6.0,
                    spending_multiplier=0.94, enrollment_trend=-0.01),
    DistrictProfile("D02", "Cedar Falls", "Unified", "Central Valley", "suburb", "K-12", 22_000, 0.38, 0.16, 0.13,
                    (0.30, 0.006, 0.09, 0.08, 0.004, 0.47, 0.05), district_effect=3.0,
                    spending_multiplier=1.09, enrollment_trend=0.01,
                    el_math_effect=EL_GAP_MATH, el_independent=True),
    DistrictProfile("D03", "Riverbend", "City Schools", "Central Valley", "city", "K-12", 15_000, 0.60, 0.17, 0.14,
                    (0.38, 0.005, 0.05, 0.20, 0.005, 0.32, 0.04), district_effect=-2.0, spending_multiplier=0.88,
                    ecodis_effect_first_year=CLOSING_GAP_FIRST, ecodis_effect_change_per_year=CLOSING_GAP_STEP),
    DistrictProfile("D04", "Maple Grove", "Public Schools", "Northern", "suburb", "K-12", 9_500, 0.24, 0.06, 0.13,
                    (0.10, 0.004, 0.06, 0.07, 0.002, 0.71, 0.054), district_effect=0.0,
                    spending_multiplier=INEFFICIENT_MULTIPLIER, productive_multiplier=INEFFICIENT_PRODUCTIVE),
    DistrictProfile("D05", "Granite Ridge", "Unified", "High Plains", "town", "K-12", 6_200, 0.58, 0.12, 0.14,
                    (0.34, 0.03, 0.02, 0.06, 0.002, 0.51, 0.038), district_effect=EFFICIENT_EFFECT,
                    spending_multiplier=1.0, pct_migrant=0.02),
    DistrictProfile("D06", "Willow Creek", "School District", "Coastal", "suburb", "K-12", 4_100, 0.28, 0.10, 0.13,
                    (0.18, 0.004, 0.16, 0.05, 0.008, 0.54, 0.058), district_effect=5.0, spending_multiplier=1.18),
    DistrictProfile("D07", "Prairie View", "Public Schools", "High Plains", "town", "K-12", 2_800, 0.52, 0.07, 0.15,
                    (0.16, 0.11, 0.01, 0.03, 0.001, 0.65, 0.049), district_effect=-5.0, spending_multiplier=0.86,
                    bus_on_time_change_per_year=BUS_DECLINE_STEP),
    DistrictProfile("D08", "Silver Lake", "School District", "Northern", "rural", "K-12", 1_900, 0.40, 0.04, 0.15,
                    (0.06, 0.02, 0.01, 0.02, 0.001, 0.86, 0.029), district_effect=2.0, spending_multiplier=1.12,
                    pct_migrant=0.01),
    DistrictProfile("D09", "Eastport", "School District", "Coastal", "town", "K-12", 1_300, 0.48, 0.14, 0.14,
                    (0.22, 0.01, 0.05, 0.04, 0.03, 0.60, 0.05), district_effect=-3.0, spending_multiplier=0.91),
    DistrictProfile("D10", "Pine Hollow", "School District", "Northern", "rural", "K-12", 850, 0.45, 0.03, 0.15,
                    (0.05, 0.015, 0.005, 0.01, 0.0, 0.89, 0.03), spending_multiplier=1.15, pct_migrant=0.01,
                    forced_students=((TINY_SUBGROUP_RACE, 3, 4), (TINY_SUBGROUP_RACE, 5, 3))),
    DistrictProfile("D11", "Red Mesa", "Elementary District", "High Plains", "rural", "K-8", 600, 0.68, 0.09, 0.15,
                    (0.22, 0.30, 0.003, 0.01, 0.002, 0.43, 0.035), district_effect=-7.0, spending_multiplier=0.86,
                    pct_migrant=0.01),
    DistrictProfile("D12", "Juniper Flats", "Unified", "Central Valley", "rural", "K-12", 420, 0.78, 0.26, 0.13,
                    (0.70, 0.01, 0.01, 0.01, 0.005, 0.245, 0.02), district_effect=-4.0, spending_multiplier=1.08,
                    pct_migrant=0.08),
    DistrictProfile("D13", "Lakeshore Heights", "Public Schools", "Northern", "suburb", "K-12", 11_500, 0.17, 0.08,
                    0.12, (0.09, 0.003, 0.19, 0.08, 0.004, 0.57, 0.063), district_effect=7.0,
                    spending_multiplier=0.95, enrollment_trend=0.015),
    DistrictProfile("D14", "Ashford Valley", "School District", "Central Valley", "rural", "K-12", 300, 0.50, 0.05,
                    0.16, (0.20, 0.01, 0.0, 0.01, 0.0, 0.75, 0.03), district_effect=-1.0, spending_multiplier=1.18,
                    pct_migrant=0.01),
)
MIN_DISTRICTS, MAX_DISTRICTS = 12, 99
REGIONS = ("Coastal", "Central Valley", "Northern", "High Plains")
EXTRA_COMMUNITIES = (
    "Alder", "Bramble", "Copper", "Dunmore", "Elk Run", "Fox Hollow", "Glenrock", "Hazel", "Ironwood", "Jasper",
    "Kestrel", "Larkspur", "Millbrook", "Northfield", "Oakmont", "Pebble Creek", "Quarry", "Rosewood", "Sagebrush",
    "Tamarack", "Upland", "Vista", "Whitewater", "Yarrow",
)
EXTRA_KINDS = ("Unified", "School District", "Public Schools", "Consolidated Schools")
SCHOOL_STEMS = (
    "Lincoln", "Jefferson", "Oak Park", "Riverside", "Hillcrest", "Meadowbrook", "Sunset", "Valley View",
    "Washington", "Roosevelt", "Pinecrest", "Lakeview", "Maplewood", "Highland", "Cedar", "Willow", "Brookside",
    "Fairview", "Parkside", "Westwood", "Eastside", "Northgate", "Southridge", "Garfield", "Madison", "Monroe",
    "Franklin", "Kennedy", "Sequoia", "Aspen", "Redwood", "Bayview", "Canyon", "Mesa Verde", "Prairie", "Sycamore",
    "Hawthorne", "Evergreen", "Magnolia", "Juniper", "Elmwood", "Ridgeview", "Clearwater", "Stonegate",
    "Harborview", "Summit", "Bluff", "Orchard",
)
LEVEL_WORDS = {"elementary": "Elementary School", "middle": "Middle School", "high": "High School"}


# --------------------------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ConsortiumSpec:
    """What to generate; the defaults are the README example (14 districts, three spring years)."""

    seed: int = 20241
    years: tuple[int, ...] = (2022, 2023, 2024)  # spring school years, consecutive
    scale: float = 1.0  # multiplies every district's enrollment
    n_districts: int = 14
    students: int | None = None  # target first-year enrollment of the consortium; overrides scale

    def __post_init__(self) -> None:
        object.__setattr__(self, "years", tuple(int(year) for year in self.years))
        if not self.years or any(b - a != 1 for a, b in zip(self.years, self.years[1:])):
            raise ValueError(f"years must be consecutive and increasing, got {self.years}")
        if not MIN_DISTRICTS <= self.n_districts <= MAX_DISTRICTS:
            raise ValueError(f"n_districts must be between {MIN_DISTRICTS} and {MAX_DISTRICTS}")
        if self.scale <= 0 or (self.students is not None and self.students <= 0):
            raise ValueError("scale and students must be positive")


def _stream(seed: int, district_number: int, topic: Topic) -> np.random.Generator:
    """Why: a district's draws depend only on the seed, its number and the topic."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(district_number, int(topic))))


def district_profiles(spec: ConsortiumSpec) -> list[DistrictProfile]:
    """The hand-made districts first (they carry the planted truths), then drawn ones if more are asked."""
    profiles = list(BASE_DISTRICTS[: spec.n_districts])
    rng = _stream(spec.seed, 0, Topic.PROFILES)
    for number in range(len(profiles) + 1, spec.n_districts + 1):
        profiles.append(_drawn_profile(rng, number))
    return profiles


def _drawn_profile(rng: np.random.Generator, number: int) -> DistrictProfile:
    """An ordinary district beyond the fourteen: plausible size and needs, no planted effect."""
    locale = str(rng.choice(["city", "suburb", "town", "rural"], p=[0.15, 0.35, 0.25, 0.25]))
    ecodis = float(np.clip(rng.normal(0.48, 0.16), 0.12, 0.85))
    race = rng.dirichlet(np.array([18, 1, 4, 8, 0.6, 40, 4], dtype=float))
    index = number - len(BASE_DISTRICTS) - 1
    community = EXTRA_COMMUNITIES[index % len(EXTRA_COMMUNITIES)]
    if index >= len(EXTRA_COMMUNITIES):
        community = f"{community} {'North South East West'.split()[(index // len(EXTRA_COMMUNITIES) - 1) % 4]}"
    return DistrictProfile(
        district_id=f"D{number:02d}",
        community=community,
        kind=EXTRA_KINDS[index % len(EXTRA_KINDS)],
        region=REGIONS[int(rng.integers(len(REGIONS)))],
        locale=locale,
        grade_span="K-12",
        students=int(np.clip(rng.lognormal(np.log(3000), 1.1), 300, 40_000)),
        pct_ecodis=round(ecodis, 3),
        pct_el=round(float(np.clip(rng.normal(0.05 + 0.2 * ecodis, 0.04), 0.02, 0.3)), 3),
        pct_swd=round(float(rng.uniform(0.12, 0.16)), 3),
        race_shares=tuple(round(float(share), 4) for share in race),
        district_effect=round(float(rng.normal(0, 6)), 1),
        spending_multiplier=round(float(np.exp(rng.normal(0, SPENDING.multiplier_sd))), 3),
        enrollment_trend=round(float(rng.normal(0, 0.01)), 3),
        pct_migrant=0.01 if locale == "rural" else 0.002,
    )


def effective_scale(spec: ConsortiumSpec, profiles: Sequence[DistrictProfile] | None = None) -> float:
    """`students`, when given, sets the scale so the first year enrolls about that many."""
    if spec.students is None:
        return float(spec.scale)
    profiles = district_profiles(spec) if profiles is None else profiles
    return spec.students / sum(profile.students for profile in profiles)


def _district_enrollment(profile: DistrictProfile, scale: float) -> int:
    """At least two students a grade, so a tiny scale still fills every grade."""
    low, high = SPAN_GRADES[profile.grade_span]
    return max(2 * (high - low + 1), round(profile.students * scale))


# --------------------------------------------------------------------------------------------
# Schools
# --------------------------------------------------------------------------------------------

LEVEL_BANDS = (("elementary", 0, 5, 450), ("middle", 6, 8, 700), ("high", 9, 12, 1300))  # students a school


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


def _simulate_district(spec: ConsortiumSpec, number: int, profile: DistrictProfile, scale: float) -> DistrictData:
    """Schools, students and their years, then programs, attendance, scores, money and operations."""
    years = spec.years
    enrollment = _district_enrollment(profile, scale)
    layout = _school_layout(enrollment, profile.grade_span)
    n_schools = sum(band.count for band in layout)
    students = _students(spec, number, profile, enrollment, layout[0].count)
    rows = _student_years(students, years, layout)
    rows.programs = _programs(_stream(spec.seed, number, Topic.PROGRAMS), profile, students, rows, n_schools, years)
    attendance = _stream(spec.seed, number, Topic.ATTENDANCE)
    rows.days_enrolled = _days_enrolled(attendance, students, rows, years, SPAN_GRADES[profile.grade_span][0])
    rows.days_present = _days_present(attendance, profile, students, rows)
    rows.chronic = rows.days_present < ATTENDANCE.chronic_threshold * rows.days_enrolled
    rows.scores = _scores(_stream(spec.seed, number, Topic.SCORES), profile, students, rows, n_schools, years)
    operations = _operations(_stream(spec.seed, number, Topic.OPERATIONS), profile, years)
    return DistrictData(
        profile=profile,
        layout=layout,
        school_names=_school_names(_stream(spec.seed, number, Topic.SCHOOLS), profile, layout),
        school_levels=[band.level for band in layout for _ in range(band.count)],
        students=students,
        student_years=rows,
        finance=_finance(_stream(spec.seed, number, Topic.FINANCE), profile, rows, n_schools, years),
        operations=operations,
        monthly=_monthly_operations(_stream(spec.seed, number, Topic.MONTHLY_OPERATIONS), profile, years, operations),
    )


def school_months(years: Sequence[int]) -> list[str]:
    """Every school month of the spring years, as YYYY-MM: September of the year before to June."""
    return [f"{year - (month >= 7)}-{month:02d}" for year in years for month in SCHOOL_MONTHS]


# --------------------------------------------------------------------------------------------
# Money and operations
# --------------------------------------------------------------------------------------------


def expected_per_pupil(enrollment, pct_ecodis, pct_el, pct_swd, year_index):
    """What needs and size predict a district spends per pupil (shares as fractions, not percents)."""
    weight = SPENDING.need_weight
    needs = 1 + weight["ECODIS"] * pct_ecodis + weight["SWD"] * pct_swd + weight["EL"] * pct_el
    decades = np.clip(np.log10(SPENDING.small_district_size / np.asarray(enrollment, dtype=float)), 0,
                      SPENDING.small_district_max_decades)
    inflation = (1 + SPENDING.inflation) ** np.asarray(year_index)
    return SPENDING.base_per_pupil * inflation * needs * (1 + SPENDING.small_district_premium * decades)


def _finance(rng, profile: DistrictProfile, rows: StudentYears, n_schools: int, years: Sequence[int]):
    """Ledger lines per year: money that follows student counts first, the general shares split the rest."""
    pieces = []
    for t, fiscal_year in enumerate(years):
        counts = _school_counts(rows, fiscal_year, n_schools)
        total = _planned_spending(rng, profile, counts, t)
        categorical = _rate_driven_lines(counts, (1 + SPENDING.inflation) ** t)
        categorical_total = sum(amount.sum() for *_, amount in categorical)
        shrink = min(1.0, 0.5 * total / categorical_total)  # a tiny district cannot spend it all on placements
        lines = [(*where, amount * shrink) for *where, amount in categorical]
        lines += _share_lines(total - shrink * categorical_total, _need_weighted(counts), profile.locale)
        pieces += [_ledger_piece(fiscal_year, *line) for line in lines]
    return {key: np.concatenate([piece[key] for piece in pieces]) for key in pieces[0]}


def _school_counts(rows: StudentYears, fiscal_year: int, n_schools: int) -> dict[str, np.ndarray]:
    """Students, needs and Title I poverty per school in one year."""
    here = rows.year == fiscal_year
    school = rows.school[here]
    counts = {"ENROLLED": np.bincount(school, minlength=n_schools).astype(float)}
    for code in ("ECODIS", "EL", "SWD"):
        counts[code] = np.bincount(school, weights=rows.programs[code][here], minlength=n_schools)
    poor_title1 = rows.programs["ECODIS"][here] & rows.programs["TITLE1"][here]
    counts["TITLE1_ECODIS"] = np.bincount(school, weights=poor_title1, minlength=n_schools)
    return counts


def _planned_spending(rng, profile: DistrictProfile, counts: dict[str, np.ndarray], year_index: int) -> float:
    """Total current spending: what needs and size predict, times the district's multiplier and noise."""
    n = counts["ENROLLED"].sum()
    per_pupil = expected_per_pupil(n, counts["ECODIS"].sum() / n, counts["EL"].sum() / n, counts["SWD"].sum() / n,
                                   year_index)
    return float(per_pupil * n * profile.spending_multiplier * math.exp(rng.normal(0, SPENDING.noise_sd)))


def _need_weighted(counts: dict[str, np.ndarray]) -> np.ndarray:
    """Schools with needier students get a larger share of school-level money."""
    weight = counts["ENROLLED"] + sum(SPENDING.need_weight[code] * counts[code] for code in ("ECODIS", "EL", "SWD"))
    return weight / weight.sum()


def _rate_driven_lines(counts: dict[str, np.ndarray], inflation: float):
    """Title I, special education and out-of-district placements follow counts of students, not totals."""
    swd = counts["SWD"].sum()
    placements = max(1, round(SPENDING.placement_rate * swd))
    day_programs = round(SPENDING.day_program_rate * swd)
    return [
        ("FEDERAL", "1000", "100", True, SPENDING.title1_per_ecodis * inflation * counts["TITLE1_ECODIS"]),
        ("SPECIAL_REVENUE", "1000", "100", True, SPENDING.sped_per_swd * inflation * counts["SWD"]),
        ("SPECIAL_REVENUE", "1000", "560", False, np.array([placements * SPENDING.placement_tuition * inflation])),
        ("GENERAL", "2100", "560", False, np.array([day_programs * SPENDING.day_program_tuition * inflation])),
        ("FEDERAL", "2100", "300", False, np.array([SPENDING.idea_per_swd * inflation * swd])),
    ]


def _share_lines(remaining: float, school_weight: np.ndarray, locale: str):
    """Split the rest by fixed shares; transport costs more where buses drive further."""
    factor = SPENDING.transport_locale_factor[locale]
    shares = np.array([share * (factor if line[1] == "2700" else 1.0) for *line, share in SPENDING_LINES])
    shares /= shares.sum()
    return [
        (fund, function, obj, at_school, remaining * share * (school_weight if at_school else np.ones(1)))
        for (fund, function, obj, at_school, _), share in zip(SPENDING_LINES, shares)
    ]


def _ledger_piece(fiscal_year: int, fund: str, function: str, obj: str, at_school: bool, amount: np.ndarray):
    """One line per school (school-level money) or one district-wide line (school -1); zero lines dropped."""
    amount = np.round(np.asarray(amount, dtype=float), 2)
    school = np.arange(amount.size) if at_school else np.full(amount.size, -1)
    keep = amount > 0
    n = int(keep.sum())
    return {
        "year": np.full(n, fiscal_year),
        "school": school[keep],
        "fund": np.full(n, fund, dtype=object),
        "function": np.full(n, function, dtype=object),
        "object": np.full(n, obj, dtype=object),
        "amount": amount[keep],
    }


def _operations(rng, profile: DistrictProfile, years: Sequence[int]) -> dict[str, np.ndarray]:
    """Support-service KPIs: a district level from its locale and needs, a little noise each year."""
    eco = profile.pct_ecodis
    level = {
        "BUS_ON_TIME_PCT": 94 - 3 * (profile.locale == "rural") - 2 * (profile.locale == "city") + rng.normal(0, 1.5),
        "IT_TICKET_DAYS": rng.lognormal(np.log(2.0), 0.35),
        "MEAL_PARTICIPATION_PCT": 25 + 60 * eco + rng.normal(0, 3),
        "STAFF_ATTENDANCE_PCT": 95.5 - 2 * eco + rng.normal(0, 0.5),
        "TEACHER_VACANCY_PCT": 1 + 5 * eco + rng.normal(0, 0.6),
        "WORK_ORDER_DAYS": rng.lognormal(np.log(7.0), 0.3),
    }
    t = np.arange(len(years))
    values = {
        "BUS_ON_TIME_PCT": np.clip(level["BUS_ON_TIME_PCT"] + profile.bus_on_time_change_per_year * t
                                   + rng.normal(0, 0.6, t.size), 40, 99.5),
        "IT_TICKET_DAYS": level["IT_TICKET_DAYS"] * rng.lognormal(0, 0.1, t.size),
        "MEAL_PARTICIPATION_PCT": np.clip(level["MEAL_PARTICIPATION_PCT"] + rng.normal(0, 1.5, t.size), 5, 98),
        "STAFF_ATTENDANCE_PCT": np.clip(level["STAFF_ATTENDANCE_PCT"] + rng.normal(0, 0.3, t.size), 85, 99.5),
        "TEACHER_VACANCY_PCT": np.clip(level["TEACHER_VACANCY_PCT"] + rng.normal(0, 0.4, t.size), 0.2, None),
        "WORK_ORDER_DAYS": level["WORK_ORDER_DAYS"] * rng.lognormal(0, 0.08, t.size),
    }
    codes = sorted(KPI_UNITS)
    return {
        "year": np.repeat(np.asarray(years), len(codes)),
        "kpi": np.tile(np.arange(len(codes)), len(years)),
        "value": np.round(np.column_stack([values[code] for code in codes]).ravel(), 1),
    }


def _monthly_operations(rng, profile: DistrictProfile, years: Sequence[int], annual: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Monthly values of the support-service processes, with any signal planted in this district."""
    n = len(years) * len(SCHOOL_MONTHS)
    planted = {plant.kpi: plant for plant in PLANTED_PROCESSES if plant.district_id == profile.district_id and _fits(plant, n)}
    codes = sorted(MONTHLY_KPI_UNITS)
    values = {
        "BUS_ON_TIME_PCT": _monthly_bus(rng, annual),
        "SUBSTITUTE_FILL_PCT": _monthly_fill(rng, profile, n, planted.get("SUBSTITUTE_FILL_PCT")),
        "WORK_ORDERS_CLOSED": _monthly_work_orders(rng, profile, n, planted.get("WORK_ORDERS_CLOSED")),
    }
    return {
        "year": np.repeat(np.asarray(years), len(SCHOOL_MONTHS) * len(codes)),
        "month": np.repeat(np.arange(n), len(codes)),
        "kpi": np.tile(np.arange(len(codes)), n),
        "value": np.column_stack([values[code] for code in codes]).ravel(),
    }


def _fits(plant: PlantedProcess, n: int) -> bool:
    """A plant needs its baseline year untouched and room after it: two school years of months or more."""
    return n >= 2 * len(SCHOOL_MONTHS) and (plant.point is None or plant.point + 1 < n)


def _monthly_bus(rng, annual: dict[str, np.ndarray]) -> np.ndarray:
    """Each school year's ten months: its yearly figure plus deviations in tenths that sum to zero, none above 100%."""
    bus = annual["value"][annual["kpi"] == sorted(KPI_UNITS).index("BUS_ON_TIME_PCT")]
    noise = _quiet(rng, bus.size * len(SCHOOL_MONTHS), None).reshape(bus.size, len(SCHOOL_MONTHS))
    months = []
    for value, z in zip(bus, noise):
        tenths = np.round(MONTHLY.bus_month_sd * z * 10).astype(np.int64)
        tenths -= int(np.round(tenths.mean()))
        tenths[-1] -= tenths.sum()
        room = int(round((100 - value) * 10))
        while tenths.max() > room:  # move a tenth from the highest month to the lowest, keeping the sum
            tenths[tenths.argmax()] -= 1
            tenths[tenths.argmin()] += 1
        months.append(np.round(value + tenths / 10, 1))
    return np.concatenate(months)


def _monthly_fill(rng, profile: DistrictProfile, n: int, plant: PlantedProcess | None) -> np.ndarray:
    level = float(np.clip(MONTHLY.fill_base + MONTHLY.fill_per_ecodis * profile.pct_ecodis + rng.normal(0, MONTHLY.fill_level_sd), 50, 97))
    level = plant.level if plant is not None and plant.level is not None else level
    sd = float(np.clip(MONTHLY.fill_noise_per_sqrt_student / math.sqrt(profile.students), *MONTHLY.fill_noise_range))
    z = _quiet(rng, n, plant)
    return np.round(np.clip(level + _effect(plant, n) + sd * z, 0, 100), 1)


def _monthly_work_orders(rng, profile: DistrictProfile, n: int, plant: PlantedProcess | None) -> np.ndarray:
    level = MONTHLY.work_orders_per_1000_students * profile.students / 1000
    level = np.full(n, level) * (1 + _effect(plant, n)) if plant is not None and plant.kind == "shift" else level + _effect(plant, n)
    sd = np.sqrt(level + np.square(MONTHLY.work_orders_extra_cv * level))
    z = _quiet(rng, n, plant)
    return np.maximum(np.round(level + sd * z), 0)


def _effect(plant: PlantedProcess | None, n: int) -> np.ndarray:
    """The planted change at each school month: a step, a climb over the last months, or one month apart."""
    effect = np.zeros(n)
    if plant is None or plant.kind == "stable":
        return effect
    if plant.kind == "shift":
        effect[plant.point:] = plant.size
    elif plant.kind == "outlier":
        effect[plant.point] = plant.size
    elif plant.kind == "trend":
        effect[n - plant.length:] = plant.size * np.arange(1, plant.length + 1)
    return effect


def _quiet(rng, n: int, plant: PlantedProcess | None) -> np.ndarray:
    """Standard normal noise, drawn again until it raises no signal of its own and leaves a planted one's edges sharp.

    Every district's substitute and work-order processes are stable unless planted, so every signal their charts show
    is one `planted_truths.json` names (iid noise alone would raise a false one in about a quarter of 30-month series);
    buses on time move only with their yearly figures.

    Quiet: no value beyond ±2 SD; no five values in a row rising or falling; no eight in a row above −0.5 SD or below
    +0.5 SD; the baseline year's mean within ±0.25 SD and its mean moving range within 0.85 to 1.25 of what an SD gives.
    So the limits lie 2.3 SD or more from the level, beyond every quiet value, and 4 SD or less, short of every planted one.
    Sharp edges: the month before a shift or an outlier, and the one after an outlier, lie at least 0.5 SD on the far
    side of the usual level, and the month before a shift does not continue its direction; a trend starts from a month
    0.5 SD or more on the far side, not further along than the month before it.
    """
    for _ in range(100_000):
        z = rng.standard_normal(n)
        if _is_quiet(z) and _sharp_edges(z, plant, n):
            return z
    raise RuntimeError("no quiet noise found")  # pragma: no cover - about one draw in a few hundred passes


def _is_quiet(z: np.ndarray) -> bool:
    base = z[: MONTHLY.baseline_months]
    spread = np.abs(np.diff(base)).mean() / 1.128
    steps = np.sign(np.diff(z))
    return bool(
        np.abs(z).max() <= QUIET_MAX
        and abs(base.mean()) <= QUIET_CENTRE
        and QUIET_SPREAD[0] <= spread <= QUIET_SPREAD[1]
        and _longest(steps > 0) < QUIET_MONOTONE - 1
        and _longest(steps < 0) < QUIET_MONOTONE - 1
        and _longest(z > -QUIET_SIDE) < 8
        and _longest(z < QUIET_SIDE) < 8
    )


def _longest(flags: np.ndarray) -> int:
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest


def _sharp_edges(z: np.ndarray, plant: PlantedProcess | None, n: int) -> bool:
    if plant is None:
        return True
    way = 1 if plant.size > 0 else -1  # the direction of the planted change
    if plant.kind == "outlier":
        return bool(-way * z[plant.point - 1] >= QUIET_SIDE and -way * z[plant.point + 1] >= QUIET_SIDE)
    if plant.kind in ("shift", "trend"):
        edge = plant.point - 1 if plant.kind == "shift" else n - plant.length - 1  # the last month before the change
        return bool(-way * z[edge] >= QUIET_SIDE and way * z[edge - 1] > way * z[edge])
    return True


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _text(values) -> pd.api.extensions.ExtensionArray:
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def _labels(names: Sequence[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Millions of labels from a short list, without a Python string per row (code -1 is missing)."""
    return _text(list(names)).take(np.asarray(codes), allow_fill=True)


def _student_ids(districts: Sequence[DistrictData]) -> pd.api.extensions.ExtensionArray:
    """`D01-0000001`: the district, then a serial, so sorting ids keeps districts together."""
    pieces = []
    for d in districts:
        serial = np.arange(1, d.students.race.size + 1).astype(str)
        pieces.append(np.char.add(f"{d.profile.district_id}-", np.char.zfill(serial, STUDENT_SERIAL_DIGITS)))
    return _text(np.concatenate(pieces))


@dataclasses.dataclass
class Keys:
    """Identifiers shared by every table: district, school and student labels by global index."""

    district_ids: list[str]
    school_ids: list[str]
    student_ids: pd.api.extensions.ExtensionArray
    school_offset: np.ndarray
    student_offset: np.ndarray


def _keys(districts: Sequence[DistrictData]) -> Keys:
    return Keys(
        district_ids=[d.profile.district_id for d in districts],
        school_ids=[f"{d.profile.district_id}-S{k + 1:03d}" for d in districts for k in range(len(d.school_names))],
        student_ids=_student_ids(districts),
        school_offset=np.cumsum([0] + [len(d.school_names) for d in districts]),
        student_offset=np.cumsum([0] + [d.students.race.size for d in districts]),
    )


def _stacked_student_years(districts: Sequence[DistrictData], keys: Keys) -> dict[str, np.ndarray]:
    """All districts' student-years with global indices, sorted by year then student id."""
    years = [d.student_years for d in districts]
    rows = {
        "student": np.concatenate([y.student + off for y, off in zip(years, keys.student_offset)]),
        "district": np.concatenate([np.full(y.student.size, k) for k, y in enumerate(years)]),
        "school": np.concatenate([y.school + off for y, off in zip(years, keys.school_offset)]),
        "year": np.concatenate([y.year for y in years]).astype(np.int64),
        "grade": np.concatenate([y.grade for y in years]),
        "days_enrolled": np.concatenate([y.days_enrolled for y in years]).astype(np.int64),
        "days_present": np.concatenate([y.days_present for y in years]).astype(np.int64),
        "scores": np.concatenate([y.scores for y in years]),
        **{code: np.concatenate([y.programs[code] for y in years]) for code in PROGRAM_CODES},
    }
    order = np.lexsort((rows["student"], rows["year"]))
    return {key: value[order] for key, value in rows.items()}


def _frames(districts: Sequence[DistrictData], years: Sequence[int]) -> dict[str, pd.DataFrame]:
    """Stack the districts and sort every table by its primary key."""
    keys = _keys(districts)
    rows = _stacked_student_years(districts, keys)
    return {
        "districts": _district_frame(districts),
        "schools": _school_frame(districts, keys),
        "students": _student_frame(districts, keys),
        "enrollments": _enrollment_frame(rows, keys),
        "program_participation": _program_frame(rows, keys),
        "attendance": _attendance_frame(rows, keys),
        "assessments": _assessment_frame(rows, keys),
        "finance": _finance_frame(districts, keys),
        "operations_kpis": _operations_frame(districts, keys, school_months(years)),
    }


def _district_frame(districts: Sequence[DistrictData]) -> pd.DataFrame:
    profiles = [d.profile for d in districts]
    return pd.DataFrame({
        "district_id": [p.district_id for p in profiles],
        "district_name": [p.district_name for p in profiles],
        "region": [p.region for p in profiles],
        "locale": [p.locale for p in profiles],
        "grade_span": [p.grade_span for p in profiles],
    })


def _school_frame(districts: Sequence[DistrictData], keys: Keys) -> pd.DataFrame:
    return pd.DataFrame({
        "school_id": _text(keys.school_ids),
        "district_id": _labels(keys.district_ids, np.repeat(np.arange(len(districts)), np.diff(keys.school_offset))),
        "school_name": _text([name for d in districts for name in d.school_names]),
        "school_level": _text([level for d in districts for level in d.school_levels]),
    })


def _student_frame(districts: Sequence[DistrictData], keys: Keys) -> pd.DataFrame:
    birth_date = np.concatenate([d.students.birth_date for d in districts])
    return pd.DataFrame({
        "student_id": keys.student_ids,
        "sex": _labels(SEX_CODES, np.concatenate([d.students.sex for d in districts])),
        "race_ethnicity": _labels(RACE_CODES, np.concatenate([d.students.race for d in districts])),
        "birth_date": _text(np.datetime_as_string(birth_date, unit="D")),
    })


def _enrollment_frame(rows: dict[str, np.ndarray], keys: Keys) -> pd.DataFrame:
    return pd.DataFrame({
        "school_year": rows["year"],
        "student_id": keys.student_ids.take(rows["student"]),
        "district_id": _labels(keys.district_ids, rows["district"]),
        "school_id": _labels(keys.school_ids, rows["school"]),
        "grade": _labels(GRADE_CODES, rows["grade"]),
    })


def _attendance_frame(rows: dict[str, np.ndarray], keys: Keys) -> pd.DataFrame:
    return pd.DataFrame({
        "school_year": rows["year"],
        "student_id": keys.student_ids.take(rows["student"]),
        "district_id": _labels(keys.district_ids, rows["district"]),
        "days_enrolled": rows["days_enrolled"],
        "days_present": rows["days_present"],
    })


def _program_frame(rows: dict[str, np.ndarray], keys: Keys) -> pd.DataFrame:
    """One row per program a student was in, sorted by year, student and program code."""
    hits = [np.flatnonzero(rows[code]) for code in PROGRAM_CODES]
    row = np.concatenate(hits)
    code = np.concatenate([np.full(h.size, k) for k, h in enumerate(hits)])
    order = np.lexsort((code, rows["student"][row], rows["year"][row]))
    row, code = row[order], code[order]
    return pd.DataFrame({
        "school_year": rows["year"][row],
        "student_id": keys.student_ids.take(rows["student"][row]),
        "program_code": _labels(PROGRAM_CODES, code),
    })


def _assessment_frame(rows: dict[str, np.ndarray], keys: Keys) -> pd.DataFrame:
    """ELA then MATH for every tested student-year; levels from the cut scores."""
    row, subject = np.nonzero(~np.isnan(rows["scores"]))
    score = rows["scores"][row, subject]
    return pd.DataFrame({
        "school_year": rows["year"][row],
        "student_id": keys.student_ids.take(rows["student"][row]),
        "district_id": _labels(keys.district_ids, rows["district"][row]),
        "school_id": _labels(keys.school_ids, rows["school"][row]),
        "subject": _labels(SUBJECTS, subject),
        "grade": _labels(GRADE_CODES, rows["grade"][row]),
        "scale_score": score,
        "performance_level": performance_level(score),
    })


def performance_level(score: np.ndarray) -> np.ndarray:
    """1 below basic .. 4 advanced; levels 3 and 4 are proficient."""
    return 1 + np.searchsorted(np.asarray(SCORES.cut_scores), score, side="right").astype(np.int64)


def _finance_frame(districts: Sequence[DistrictData], keys: Keys) -> pd.DataFrame:
    """The ledger sorted by year, district, school (district-wide lines first), function, object, fund."""
    ledger = {name: np.concatenate([d.finance[name] for d in districts]) for name in districts[0].finance}
    district = np.concatenate([np.full(d.finance["year"].size, k) for k, d in enumerate(districts)])
    school = np.where(ledger["school"] >= 0, ledger["school"] + keys.school_offset[district], -1)
    finance = pd.DataFrame({
        "fiscal_year": ledger["year"].astype(np.int64),
        "district_id": _labels(keys.district_ids, district),
        "school_id": _labels(keys.school_ids, school),
        "fund_code": _text(ledger["fund"]),
        "function_code": _text(ledger["function"]),
        "object_code": _text(ledger["object"]),
        "amount": ledger["amount"],
    })
    order = ["fiscal_year", "district_id", "school_id", "function_code", "object_code", "fund_code"]
    return finance.sort_values(order, kind="stable", na_position="first", ignore_index=True)


def _operations_frame(districts: Sequence[DistrictData], keys: Keys, months: Sequence[str]) -> pd.DataFrame:
    """Whole-year values (an empty month) first in each school year, then its months: the file sorted by its key."""
    pieces = []
    for part, units in (("operations", KPI_UNITS), ("monthly", MONTHLY_KPI_UNITS)):
        codes = sorted(units)
        kpi = np.concatenate([getattr(d, part)["kpi"] for d in districts])
        district = np.concatenate([np.full(getattr(d, part)["kpi"].size, k) for k, d in enumerate(districts)])
        month = np.concatenate([d.monthly["month"] for d in districts]) if part == "monthly" else np.full(kpi.size, -1)
        pieces.append(pd.DataFrame({
            "school_year": np.concatenate([getattr(d, part)["year"] for d in districts]).astype(np.int64),
            "month": _labels(months, month),
            "district_id": _labels(keys.district_ids, district),
            "kpi_code": _labels(codes, kpi),
            "value": np.concatenate([getattr(d, part)["value"] for d in districts]),
            "unit": _labels([units[code] for code in codes], kpi),
        }))
    operations = pd.concat(pieces, ignore_index=True)
    order = ["school_year", "month", "district_id", "kpi_code"]
    return operations.sort_values(order, kind="stable", na_position="first", ignore_index=True)


def generate(spec: ConsortiumSpec = ConsortiumSpec()) -> dict[str, pd.DataFrame]:
    """Every microdata entity of the contracts, as frames sorted by primary key; a pure function of spec."""
    profiles = district_profiles(spec)
    scale = effective_scale(spec, profiles)
    districts = [_simulate_district(spec, number, profile, scale) for number, profile in enumerate(profiles, start=1)]
    return _frames(districts, spec.years)


# --------------------------------------------------------------------------------------------
# Planted truths
# --------------------------------------------------------------------------------------------


def _district_scores(frames: dict[str, pd.DataFrame], district_id: str, program: str) -> pd.DataFrame:
    """A district's assessment rows with one program flag attached."""
    scores = frames["assessments"][frames["assessments"]["district_id"] == district_id]
    members = frames["program_participation"]
    members = members.loc[members["program_code"] == program, ["school_year", "student_id"]].assign(member=True)
    scores = scores.merge(members, on=["school_year", "student_id"], how="left")
    return scores.assign(member=scores["member"].fillna(False).astype(bool))


def _raw_gaps(scores: pd.DataFrame) -> list[dict]:
    """Group mean minus everyone else's mean, by year and subject, as the gaps module will see it."""
    grouped = scores.groupby(["school_year", "subject", "member"])["scale_score"]
    means = grouped.agg(["mean", "size"]).unstack("member")
    return [
        {"school_year": int(year), "subject": subject,
         "raw_mean_gap": round(float(row[("mean", True)] - row[("mean", False)]), 2),
         "n_group": int(row[("size", True)]), "n_others": int(row[("size", False)])}
        for (year, subject), row in means.iterrows()
    ]


def _tiny_cells(frames: dict[str, pd.DataFrame], district_id: str, race: str) -> list[dict]:
    """Assessment cells (year, grade, subject) where the race group has 1 to 9 tested students."""
    scores = frames["assessments"][frames["assessments"]["district_id"] == district_id]
    scores = scores.merge(frames["students"][["student_id", "race_ethnicity"]], on="student_id")
    counts = scores[scores["race_ethnicity"] == race].groupby(["school_year", "grade", "subject"]).size()
    return [
        {"school_year": int(year), "grade": grade, "subject": subject, "n": int(n)}
        for (year, grade, subject), n in counts.items()
        if 0 < n < 10
    ]


def _spending_table(frames: dict[str, pd.DataFrame], years: Sequence[int]) -> pd.DataFrame:
    """Per district-year: enrollment, need shares, realised and predicted per-pupil spending."""
    enrollment = frames["enrollments"].groupby(["school_year", "district_id"]).size().rename("enrollment")
    flags = frames["program_participation"].merge(frames["enrollments"][["school_year", "student_id", "district_id"]],
                                                  on=["school_year", "student_id"])
    needs = flags[flags["program_code"].isin(["ECODIS", "EL", "SWD"])].groupby(
        ["school_year", "district_id", "program_code"]).size().unstack(fill_value=0)
    table = needs.join(enrollment, how="right").fillna(0)
    spent = frames["finance"].groupby(["fiscal_year", "district_id"])["amount"].sum()
    spent.index = spent.index.rename(["school_year", "district_id"])
    table["per_pupil_spending"] = spent.reindex(table.index) / table["enrollment"]
    year_index = table.index.get_level_values("school_year") - years[0]
    table["predicted_per_pupil"] = expected_per_pupil(
        table["enrollment"], table["ECODIS"] / table["enrollment"], table["EL"] / table["enrollment"],
        table["SWD"] / table["enrollment"], year_index)
    table["spending_ratio"] = table["per_pupil_spending"] / table["predicted_per_pupil"]
    table["real_predicted_per_pupil"] = table["predicted_per_pupil"] / (1 + SPENDING.inflation) ** year_index
    return table


def _spending_points(row: pd.Series, profile: DistrictProfile) -> float:
    """The score points a district-year's spending adds to every student, as `spending_effect` computes them."""
    productive = row["real_predicted_per_pupil"] * productive_multiplier(profile)
    return SCORES.spending_per_log_dollar * math.log(productive / SCORES.spending_reference)


def _round_floats(value):
    """Why: fixed decimals keep the JSON byte-stable and readable."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {str(k): _round_floats(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round_floats(v) for v in value]
    return value


def planted_truths(spec: ConsortiumSpec, frames: dict[str, pd.DataFrame] | None = None) -> dict:
    """The spec, the generating model and every planted truth, with what the data actually show."""
    frames = generate(spec) if frames is None else frames
    profiles = {p.district_id: p for p in district_profiles(spec)}
    years, latest = spec.years, spec.years[-1]
    spending = _spending_table(frames, years)
    truths = [
        _el_gap_truth(frames, latest),
        _spending_effect_truth(),
        _inefficient_truth(spending, profiles[INEFFICIENT_DISTRICT]),
        _efficient_truth(spending, profiles[EFFICIENT_DISTRICT]),
        _closing_gap_truth(frames, profiles[CLOSING_GAP_DISTRICT], years),
        _tiny_subgroup_truth(frames),
        {
            "id": "chronic_absence_effect",
            "district_id": "ALL",
            "parameter": "score_model.chronic_absence",
            "value": SCORES.chronic_absence,
            "description": f"Chronically absent students (present under 90% of enrolled days) score "
                           f"{-SCORES.chronic_absence:g} points lower in both subjects, all else equal, in every "
                           f"district; chronic absence is more likely for ECODIS, SWD, homeless and high-school "
                           f"students, so the raw gap is wider than the effect, while among students neither "
                           f"ECODIS nor SWD it is close to it.",
        },
        _bus_truth(frames),
        *_process_truths(frames, spec),
    ]
    return _round_floats({
        "spec": {**dataclasses.asdict(spec), "effective_scale": effective_scale(spec)},
        "model": {
            "population": dataclasses.asdict(POPULATION),
            "attendance": dataclasses.asdict(ATTENDANCE),
            "scores": dataclasses.asdict(SCORES),
            "spending": dataclasses.asdict(SPENDING),
            "spending_lines": [list(line) for line in SPENDING_LINES],
            "tested_grades": [GRADE_CODES[g] for g in TESTED_GRADES],
            "formulas": MODEL_FORMULAS,
            "monthly_operations": dataclasses.asdict(MONTHLY),
        },
        "districts": [_district_record(p, spending) for p in profiles.values()],
        "truths": truths,
    })


def _district_record(profile: DistrictProfile, spending: pd.DataFrame) -> dict:
    record = dataclasses.asdict(profile) | {"district_name": profile.district_name}
    record["race_shares"] = dict(zip(RACE_CODES, profile.race_shares))
    record["forced_students"] = [list(item) for item in profile.forced_students]
    ours = spending.xs(profile.district_id, level="district_id")
    record["per_year"] = [
        {"school_year": int(year), "enrollment": int(row["enrollment"]),
         "per_pupil_spending": round(float(row["per_pupil_spending"]), 2),
         "predicted_per_pupil": round(float(row["predicted_per_pupil"]), 2),
         "spending_ratio": round(float(row["spending_ratio"]), 4),
         "spending_effect_points": round(_spending_points(row, profile), 2)}
        for year, row in ours.iterrows()
    ]
    return record


def _el_gap_truth(frames, latest: int) -> dict:
    gaps = _raw_gaps(_district_scores(frames, EL_GAP_DISTRICT, "EL"))
    return {
        "id": "el_gap_math",
        "district_id": EL_GAP_DISTRICT,
        "parameter": "el_math_effect",
        "value": EL_GAP_MATH,
        "subject": "MATH",
        "school_year": latest,
        "expected_raw_mean_gap": EL_GAP_MATH,
        "description": f"In {EL_GAP_DISTRICT}, English learners score {-EL_GAP_MATH:g} scale points below non-EL "
                       f"students in MATH, all else equal. EL status there is drawn independently of every other "
                       f"score factor, so the raw mean gap (EL minus non-EL) equals the effect up to sampling error. "
                       f"ELA keeps the model's effect ({SCORES.el['ELA']:g}).",
        "realised": gaps,
    }


def _spending_rows(spending: pd.DataFrame, profile: DistrictProfile) -> list[dict]:
    """Per year: spending against what needs predict, the points it buys, and the points its excess does not."""
    ours = spending.xs(profile.district_id, level="district_id")
    rows = []
    for year, row in ours.iterrows():
        bought = _spending_points(row, profile)
        at_full = SCORES.spending_per_log_dollar * math.log(
            row["real_predicted_per_pupil"] * row["spending_ratio"] / SCORES.spending_reference)
        rows.append({"school_year": int(year), "per_pupil_spending": round(float(row["per_pupil_spending"]), 2),
                     "predicted_per_pupil": round(float(row["predicted_per_pupil"]), 2),
                     "spending_ratio": round(float(row["spending_ratio"]), 4),
                     "spending_effect_points": round(bought, 2),
                     "points_not_bought": round(at_full - bought, 2)})
    return rows


def _spending_effect_truth() -> dict:
    ordinary = [p.spending_multiplier for p in BASE_DISTRICTS if p.productive_multiplier is None]
    return {
        "id": "spending_effect",
        "district_id": "ALL",
        "parameter": "score_model.spending_per_log_dollar",
        "value": SCORES.spending_per_log_dollar,
        "reference_per_pupil": SCORES.spending_reference,
        "description": f"Every student of a district gains {SCORES.spending_per_log_dollar:g} points per log-dollar "
                       f"of its spending per pupil that is put to use (what its needs and size predict, in "
                       f"first-year dollars, times its productive multiplier) relative to "
                       f"${SCORES.spending_reference:,.0f}: {SCORES.spending_per_log_dollar * math.log(1.1):.1f} "
                       f"points for 10% more. The hand-made districts other than {INEFFICIENT_DISTRICT} spend "
                       f"{min(ordinary):g} to {max(ordinary):g} times what their needs predict and all of it buys "
                       f"results, so a regression of outcomes on log spending and needs finds a positive slope; "
                       f"yearly spending noise and {INEFFICIENT_DISTRICT}'s excess buy nothing, so the fitted slope "
                       f"is attenuated, and with one row per district it is imprecise.",
    }


def _inefficient_truth(spending: pd.DataFrame, profile: DistrictProfile) -> dict:
    forgone = SCORES.spending_per_log_dollar * math.log(profile.spending_multiplier / productive_multiplier(profile))
    return {
        "id": "inefficient_district",
        "district_id": INEFFICIENT_DISTRICT,
        "parameter": "spending_multiplier",
        "value": INEFFICIENT_MULTIPLIER,
        "productive_multiplier": INEFFICIENT_PRODUCTIVE,
        "district_effect": profile.district_effect,
        "points_not_bought": forgone,
        "expected_residual": "negative: among the lowest efficiency residuals",
        "description": f"{INEFFICIENT_DISTRICT} spends {INEFFICIENT_MULTIPLIER - 1:.0%} more per pupil than its "
                       f"needs and size predict (before {SPENDING.noise_sd:.0%} yearly noise), the most of any "
                       f"district, with a district effect of {profile.district_effect:g} points, but its excess "
                       f"buys nothing (productive multiplier {INEFFICIENT_PRODUCTIVE:g}): it scores about "
                       f"{forgone:.1f} points below districts whose spending of that size is put to use, so an "
                       f"efficiency regression places it well below the line. `realised` shows, per year, the "
                       f"spending ratio, the points its spending buys and the points its excess does not.",
        "realised": _spending_rows(spending, profile),
    }


def _efficient_truth(spending: pd.DataFrame, profile: DistrictProfile) -> dict:
    return {
        "id": "efficient_district",
        "district_id": EFFICIENT_DISTRICT,
        "parameter": "district_effect",
        "value": EFFICIENT_EFFECT,
        "spending_multiplier": profile.spending_multiplier,
        "expected_residual": "the highest efficiency residual, near value",
        "description": f"{EFFICIENT_DISTRICT} scores {EFFICIENT_EFFECT:g} points above what its students' needs "
                       f"and its spending predict in both subjects, at the spending its needs and size predict "
                       f"(multiplier {profile.spending_multiplier:g}): its efficiency residual should be the "
                       f"largest, near {EFFICIENT_EFFECT:g} points (a regression on 14 districts absorbs a little "
                       f"of it).",
        "realised": _spending_rows(spending, profile),
    }


def _closing_gap_truth(frames, profile: DistrictProfile, years: Sequence[int]) -> dict:
    return {
        "id": "closing_ecodis_gap",
        "district_id": CLOSING_GAP_DISTRICT,
        "parameter": "ecodis_effect_change_per_year",
        "value": CLOSING_GAP_STEP,
        "effect_by_year": {str(year): ecodis_effect(profile, t) for t, year in enumerate(years)},
        "description": f"In {CLOSING_GAP_DISTRICT}, the ECODIS effect starts at {CLOSING_GAP_FIRST:g} points in "
                       f"{years[0]} and shrinks by {CLOSING_GAP_STEP:g} points a year (never past 0), in both "
                       f"subjects; elsewhere it is a constant {SCORES.ecodis:g}. The raw gap is wider than the "
                       f"effect (ECODIS students are also more often chronically absent and of groups with lower "
                       f"scores), but it closes by about the same amount each year.",
        "realised": _raw_gaps(_district_scores(frames, CLOSING_GAP_DISTRICT, "ECODIS")),
    }


def _tiny_subgroup_truth(frames) -> dict:
    cells = _tiny_cells(frames, TINY_SUBGROUP_DISTRICT, TINY_SUBGROUP_RACE)
    profile = next(p for p in BASE_DISTRICTS if p.district_id == TINY_SUBGROUP_DISTRICT)
    return {
        "id": "tiny_subgroup",
        "district_id": TINY_SUBGROUP_DISTRICT,
        "parameter": "forced_students",
        "value": [list(item) for item in profile.forced_students],
        "subgroup": f"RACE_{TINY_SUBGROUP_RACE}",
        "cells": cells,
        "description": f"{TINY_SUBGROUP_DISTRICT} has no {TINY_SUBGROUP_RACE} students except a handful planted in "
                       f"the first year (race, grade, count as listed); every listed assessment cell "
                       f"(year, grade, subject) has between 1 and 9 tested {TINY_SUBGROUP_RACE} students and must "
                       f"be suppressed downstream. Small districts hold many other such cells.",
    }


def _bus_truth(frames) -> dict:
    kpis = frames["operations_kpis"]
    ours = kpis[(kpis["district_id"] == BUS_DECLINE_DISTRICT) & (kpis["kpi_code"] == "BUS_ON_TIME_PCT") & kpis["month"].isna()]
    return {
        "id": "bus_on_time_decline",
        "district_id": BUS_DECLINE_DISTRICT,
        "parameter": "bus_on_time_change_per_year",
        "value": BUS_DECLINE_STEP,
        "description": f"{BUS_DECLINE_DISTRICT}'s BUS_ON_TIME_PCT falls by {-BUS_DECLINE_STEP:g} percentage points "
                       f"a year (yearly noise SD 0.6); other districts' KPIs only wobble.",
        "realised": {str(y): float(v) for y, v in zip(ours["school_year"], ours["value"])},
    }


PROCESS_STORIES = {
    "shift": "{kpi} in {district} fell to {share:.0%} of its usual level from {month} on (a new work-order system that "
             "left many jobs open): an XmR chart with limits from the first {baseline} months shows every month from then "
             "below the lower natural process limit and below the centre line, {after} months in a row.",
    "trend": "{kpi} in {district} climbed by {size:g} percentage points every month for the last {length} months (a new "
             "substitute pay rate): a steady rise from {start}, the last month at its usual level, to {end}, every "
             "climbing month above the upper natural process limit.",
    "outlier": "{kpi} in {district} fell by {size:g} percentage points in {month} alone (an influenza outbreak): that "
               "month lies below the lower natural process limit, and no other month is unusual.",
    "stable": "{kpi} in {district} is a stable process: its level and common-cause noise never change, so its chart must "
              "raise no signal at all.",
}


def _process_truths(frames, spec: ConsortiumSpec) -> list[dict]:
    """Each planted monthly process, with the signals an XmR chart of it must show, exactly, by design."""
    months = school_months(spec.years)
    n = len(months)
    profiles = {p.district_id: p for p in district_profiles(spec)}
    kpis = frames["operations_kpis"]
    truths = []
    for plant in PLANTED_PROCESSES:
        if plant.district_id not in profiles or not _fits(plant, n):
            continue
        ours = kpis[(kpis["district_id"] == plant.district_id) & (kpis["kpi_code"] == plant.kpi) & kpis["month"].notna()]
        signals = _expected_signals(plant, months)
        story = PROCESS_STORIES[plant.kind].format(
            kpi=plant.kpi, district=plant.district_id, share=1 + plant.size, size=abs(plant.size), length=plant.length,
            month=months[plant.point] if plant.point is not None else "", baseline=MONTHLY.baseline_months,
            after=n - (plant.point or 0), start=months[n - plant.length - 1], end=months[-1])
        truths.append({
            "id": plant.id,
            "district_id": plant.district_id,
            "kpi_code": plant.kpi,
            "parameter": "planted_processes",
            "kind": plant.kind,
            "value": plant.size,
            "baseline_months": months[: MONTHLY.baseline_months],
            "expected_signals": signals,
            "description": story + " The rest of the series is quiet noise (see `_quiet`), so these are its only signals.",
            "realised": {str(month): float(value) for month, value in zip(ours["month"], ours["value"])},
        })
    return truths


def _expected_signals(plant: PlantedProcess, months: Sequence[str]) -> list[dict]:
    """The signals a plant makes by design: kind, direction, first and last month, in the order `process.xmr` lists them."""
    n = len(months)
    way = "above" if plant.size > 0 else "below"

    def signal(kind: str, direction: str, first: int, last: int) -> dict:
        return {"kind": kind, "direction": direction, "first_month": months[first], "last_month": months[last]}

    if plant.kind == "shift":
        after = n - plant.point
        return [signal("beyond", way, plant.point, n - 1)] + ([signal("run", way, plant.point, n - 1)] if after >= 8 else [])
    if plant.kind == "outlier":
        return [signal("beyond", way, plant.point, plant.point)]
    if plant.kind == "trend":
        start = n - plant.length - 1
        return [signal("trend", "rising" if plant.size > 0 else "falling", start, n - 1), signal("beyond", way, start + 1, n - 1)]
    return []


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _operations_text(operations: pd.DataFrame) -> pd.DataFrame:
    """Counts as whole numbers, every other value to one decimal, as the yearly values have always been written."""
    counts = operations["unit"].to_numpy() == "count"
    value = operations["value"].to_numpy(dtype=float)
    text = np.where(counts, np.char.mod("%.0f", value), np.char.mod(FLOAT_FORMATS["operations_kpis"], value))
    return operations.assign(value=text)


def write_consortium(out_dir: Path, spec: ConsortiumSpec = ConsortiumSpec()) -> Path:
    """Write `<entity>.csv` for every entity and planted_truths.json; same spec, same bytes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = generate(spec)
    for entity in ENTITIES:
        frame = _operations_text(frames[entity]) if entity == "operations_kpis" else frames[entity]
        frame.to_csv(out_dir / f"{entity}.csv", index=False, lineterminator="\n", float_format=FLOAT_FORMATS.get(entity))
    truths = planted_truths(spec, frames)
    (out_dir / TRUTHS_FILE).write_text(json.dumps(truths, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out_dir


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m districtstat.synthetic OUT_DIR [--students N]`: write a consortium and time it."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=ConsortiumSpec.seed)
    parser.add_argument("--scale", type=float, default=ConsortiumSpec.scale)
    parser.add_argument("--students", type=int, default=None)
    parser.add_argument("--districts", type=int, default=ConsortiumSpec.n_districts)
    args = parser.parse_args(argv)
    spec = ConsortiumSpec(seed=args.seed, scale=args.scale, students=args.students, n_districts=args.districts)
    start = time.perf_counter()
    write_consortium(args.out_dir, spec)
    print(f"wrote {args.out_dir} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
