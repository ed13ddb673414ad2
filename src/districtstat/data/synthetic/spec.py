"""What the generator promises: the spec, the districts (each planted truth is a field of a profile, not a special
case), the planted monthly processes, and the random streams that make a district's data depend on the seed, its
number and the topic alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from enum import IntEnum

import numpy as np

from districtstat.data.synthetic.model import SPENDING


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
MIN_DISTRICTS, MAX_DISTRICTS = 12, 20_000  # 13,000 districts, the scale the plan is measured for, fit
REGIONS = ("Coastal", "Central Valley", "Northern", "High Plains")
EXTRA_COMMUNITIES = (
    "Alder", "Bramble", "Copper", "Dunmore", "Elk Run", "Fox Hollow", "Glenrock", "Hazel", "Ironwood", "Jasper",
    "Kestrel", "Larkspur", "Millbrook", "Northfield", "Oakmont", "Pebble Creek", "Quarry", "Rosewood", "Sagebrush",
    "Tamarack", "Upland", "Vista", "Whitewater", "Yarrow",
)
DIRECTIONS = ("North", "South", "East", "West")
EXTRA_KINDS = ("Unified", "School District", "Public Schools", "Consolidated Schools")


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
        beyond = index - len(EXTRA_COMMUNITIES)
        community = f"{community} {DIRECTIONS[beyond // len(EXTRA_COMMUNITIES) % len(DIRECTIONS)]}"
        if beyond >= len(EXTRA_COMMUNITIES) * len(DIRECTIONS):  # thousands of districts: each name still its own
            community = f"{community} {beyond // (len(EXTRA_COMMUNITIES) * len(DIRECTIONS)) + 1}"
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
