"""The generating model: the contracts' entities and code sets, and every coefficient, spending line share and
formula, all recorded in planted_truths.json."""

from __future__ import annotations

import dataclasses


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
