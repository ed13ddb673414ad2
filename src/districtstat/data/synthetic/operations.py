"""Support services: yearly KPIs per district, and monthly processes of quiet noise around a level, with any signal
planted in them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from districtstat.data.synthetic.model import KPI_UNITS, MONTHLY, MONTHLY_KPI_UNITS, SCHOOL_MONTHS
from districtstat.data.synthetic.spec import PLANTED_PROCESSES, DistrictProfile, PlantedProcess


# Monthly noise is drawn again until it is quiet, so that a planted effect is its series' only signal and its edges are
# sharp (values in SDs of the noise; see `_quiet`).
QUIET_MAX, QUIET_SIDE, QUIET_CENTRE, QUIET_MONOTONE, QUIET_SPREAD = 2.0, 0.5, 0.25, 5, (0.85, 1.25)


def school_months(years: Sequence[int]) -> list[str]:
    """Every school month of the spring years, as YYYY-MM: September of the year before to June."""
    return [f"{year - (month >= 7)}-{month:02d}" for year in years for month in SCHOOL_MONTHS]


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
