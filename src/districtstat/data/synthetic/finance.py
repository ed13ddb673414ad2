"""A district's ledger, year by year: what needs and size predict it spends, paid out as fund, function and object
lines at its schools and district-wide."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from districtstat.data.synthetic.model import SPENDING, SPENDING_LINES
from districtstat.data.synthetic.population import StudentYears
from districtstat.data.synthetic.spec import DistrictProfile


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
