"""Disaggregated outcome gaps: each group against its complement, and each race/ethnicity against White."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from districtstat.analyses.indicators import GAP_MEANINGFUL_CHANGE
from districtstat.analyses.trends import trend

KEYS = ["school_year", "district_id", "subject", "grade"]


def comparisons(subgroups: list[str]) -> list[tuple[str, str, str]]:
    """(focal group, comparison group, kind) for every gap a district page reports.

    A group is compared with its complement; an intersection (EL_X_ECODIS), which has no complement
    row, is compared with all students; each race/ethnicity is also compared with White students.
    """
    present = set(subgroups)
    pairs = []
    for code in sorted(present):
        if code.startswith("NOT_") or code == "ALL":
            continue
        if f"NOT_{code}" in present:
            pairs.append((code, f"NOT_{code}", "complement"))
        elif "_X_" in code and "ALL" in present:
            pairs.append((code, "ALL", "all students"))
        if code.startswith("RACE_") and code != "RACE_WH" and "RACE_WH" in present:
            pairs.append((code, "RACE_WH", "White"))
    return pairs


def hedges_g(mean_1, sd_1, n_1, mean_2, sd_2, n_2):
    """Standardized difference with pooled SD and Hedges' small-sample correction, with its standard error."""
    n_1, n_2 = np.asarray(n_1, dtype=float), np.asarray(n_2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = np.sqrt(((n_1 - 1) * np.square(sd_1) + (n_2 - 1) * np.square(sd_2)) / (n_1 + n_2 - 2))
        d = (np.asarray(mean_1) - np.asarray(mean_2)) / pooled
        correction = 1 - 3 / (4 * (n_1 + n_2) - 9)
        g = correction * d
        se = np.sqrt((n_1 + n_2) / (n_1 * n_2) + np.square(g) / (2 * (n_1 + n_2)))
    return g, se


def gap_standard_error(gaps: pd.DataFrame) -> pd.Series:
    """The standard error of each gap in points, √(s₁²/n₁ + s₂²/n₂): what its Welch interval is built on, and what the
    scorecard's peer standing reads as the gap's own uncertainty, so the two can never disagree. NaN where a group's
    SD or count is unknown."""
    unknown = pd.Series(np.nan, index=gaps.index)
    n_1, n_2 = gaps.get("n_focal", unknown).astype(float), gaps.get("n_comparison", unknown).astype(float)
    sd_1, sd_2 = gaps.get("sd_score_focal", unknown).astype(float), gaps.get("sd_score_comparison", unknown).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(np.square(sd_1) / n_1 + np.square(sd_2) / n_2)


def outcome_gaps(subgroup_outcomes: pd.DataFrame, confidence: float = 0.90) -> pd.DataFrame:
    """Difference in means (Welch t interval), Hedges' g (CI) and difference in percent proficient (Wald CI) for every pair."""
    z = stats.norm.ppf(0.5 + confidence / 2)
    indexed = subgroup_outcomes.set_index(KEYS + ["subgroup"]).sort_index()
    rows = []
    for focal, comparison, kind in comparisons(subgroup_outcomes["subgroup"].unique().tolist()):
        try:
            a = indexed.xs(focal, level="subgroup")
            b = indexed.xs(comparison, level="subgroup")
        except KeyError:
            continue
        pair = a.join(b, how="inner", lsuffix="_focal", rsuffix="_comparison")
        pair = pair.assign(focal=focal, comparison=comparison, comparison_kind=kind)
        rows.append(pair.reset_index())
    measures = ["n", "mean_score", "sd_score", "pct_proficient"]
    empty = pd.DataFrame(columns=[*KEYS, *(f"{m}_{side}" for side in ("focal", "comparison") for m in measures), "focal", "comparison", "comparison_kind"])
    gaps = pd.concat([empty, *rows], ignore_index=True) if rows else empty
    numeric = [f"{m}_{side}" for side in ("focal", "comparison") for m in measures]
    gaps[numeric] = gaps[numeric].astype(float)
    n_1, n_2 = gaps["n_focal"].astype(float), gaps["n_comparison"].astype(float)
    gaps["gap"] = gaps["mean_score_focal"].astype(float) - gaps["mean_score_comparison"].astype(float)
    var_1, var_2 = np.square(gaps["sd_score_focal"].astype(float)) / n_1, np.square(gaps["sd_score_comparison"].astype(float)) / n_2
    se = gap_standard_error(gaps)
    with np.errstate(divide="ignore", invalid="ignore"):
        welch_df = np.square(var_1 + var_2) / (np.square(var_1) / (n_1 - 1) + np.square(var_2) / (n_2 - 1))
    t = stats.t.ppf(0.5 + confidence / 2, welch_df)
    gaps["gap_ci_low"], gaps["gap_ci_high"] = gaps["gap"] - t * se, gaps["gap"] + t * se
    g, g_se = hedges_g(gaps["mean_score_focal"], gaps["sd_score_focal"], n_1, gaps["mean_score_comparison"], gaps["sd_score_comparison"], n_2)
    gaps["hedges_g"], gaps["g_ci_low"], gaps["g_ci_high"] = g, g - z * g_se, g + z * g_se
    gaps["gap_pct_proficient"] = gaps["pct_proficient_focal"] - gaps["pct_proficient_comparison"]
    p_1, p_2 = gaps["pct_proficient_focal"] / 100, gaps["pct_proficient_comparison"] / 100
    proficient_se = 100 * np.sqrt(p_1 * (1 - p_1) / n_1 + p_2 * (1 - p_2) / n_2)
    gaps["gap_pct_proficient_ci_low"] = gaps["gap_pct_proficient"] - z * proficient_se
    gaps["gap_pct_proficient_ci_high"] = gaps["gap_pct_proficient"] + z * proficient_se
    order = KEYS + ["focal", "comparison"]
    return gaps.sort_values(order, kind="stable").reset_index(drop=True)


def publishable(gaps: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Gaps whose two groups both reach `min_n` and are not hidden by complementary suppression (`hidden_*`,
    see `disclosure.suppress_subgroups`) nor withheld as a revision of a few students (`figures_withheld_*`, see
    `revisions`): the only ones a page may show or build on."""
    known = gaps.dropna(subset=["gap"])
    shown = (known["n_focal"] >= min_n) & (known["n_comparison"] >= min_n)
    for side in ("hidden_focal", "hidden_comparison", "figures_withheld_focal", "figures_withheld_comparison"):
        if side in known:
            shown &= ~known[side].fillna(True).astype(bool)
    return known[shown]


TREND_COLUMNS = ["first_year", "latest_year", "years", "first_gap", "latest_gap", "change", "change_low", "change_high", "slope_per_year", "slope_se", "trend", "closing"]


def gap_trends(gaps: pd.DataFrame, min_n: int = 1) -> pd.DataFrame:
    """How each gap moved across every school year: first and latest value, the change along the least-squares line
    with its 90% interval (from each year's gap's own standard error, `gap_standard_error`), its yearly slope and the
    trend word by the one rule of `trends` (closing, widening or no clear change).

    Only years in which both groups reach `min_n` count, so a trend never reveals a suppressed gap.
    """
    keys = ["district_id", "subject", "grade", "focal", "comparison"]
    shown = publishable(gaps, min_n)
    if shown.empty:
        return pd.DataFrame(columns=[*keys, *TREND_COLUMNS])
    rows = []
    for key, series in shown.sort_values(keys + ["school_year"], kind="stable").groupby(keys, sort=True):
        moved = trend(series["school_year"], series["gap"], gap_standard_error(series), "closer_to_zero", GAP_MEANINGFUL_CHANGE)
        first, latest = series.iloc[0], series.iloc[-1]
        rows.append(
            dict(zip(keys, key))
            | {
                "first_year": int(first["school_year"]),
                "latest_year": int(latest["school_year"]),
                "years": len(series),
                "first_gap": float(first["gap"]),
                "latest_gap": float(latest["gap"]),
                "change": moved.change if moved else np.nan,
                "change_low": moved.low if moved else np.nan,
                "change_high": moved.high if moved else np.nan,
                "slope_per_year": moved.slope_per_year if moved else np.nan,
                "slope_se": moved.slope_se if moved else np.nan,
                "trend": moved.word if moved else "",
                "closing": bool(moved and moved.word == "closing"),
            }
        )
    return pd.DataFrame(rows, columns=[*keys, *TREND_COLUMNS])
