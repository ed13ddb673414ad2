"""The content of planted_truths.json: the spec, the generating model, every district and every planted truth, with
what the data actually show."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import pandas as pd

from districtstat.data.synthetic.finance import expected_per_pupil
from districtstat.data.synthetic.model import (
    ATTENDANCE,
    GRADE_CODES,
    MODEL_FORMULAS,
    MONTHLY,
    POPULATION,
    RACE_CODES,
    SCORES,
    SPENDING,
    SPENDING_LINES,
    TESTED_GRADES,
)
from districtstat.data.synthetic.operations import _fits, school_months
from districtstat.data.synthetic.outcomes import ecodis_effect, productive_multiplier
from districtstat.data.synthetic.simulate import generate
from districtstat.data.synthetic.spec import (
    BASE_DISTRICTS,
    BUS_DECLINE_DISTRICT,
    BUS_DECLINE_STEP,
    CLOSING_GAP_DISTRICT,
    CLOSING_GAP_FIRST,
    CLOSING_GAP_STEP,
    EFFICIENT_DISTRICT,
    EFFICIENT_EFFECT,
    EL_GAP_DISTRICT,
    EL_GAP_MATH,
    INEFFICIENT_DISTRICT,
    INEFFICIENT_MULTIPLIER,
    INEFFICIENT_PRODUCTIVE,
    PLANTED_PROCESSES,
    TINY_SUBGROUP_DISTRICT,
    TINY_SUBGROUP_RACE,
    ConsortiumSpec,
    DistrictProfile,
    PlantedProcess,
    district_profiles,
    effective_scale,
)


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
