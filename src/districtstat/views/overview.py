"""The consortium overview: every district in one table, the note on what its efficiency column may say, and the
chart of spending (or need) against results."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from districtstat.site.charts import SMALLEST_TEXT, district_points, figure
from districtstat.privacy.disclosure import STUDENT_GROUP_SHARES, STUDENT_RATES, ProtectedTable, protect, rounded_percent
from districtstat.analyses.indicators import INDICATORS
from districtstat.data.subjects import indicator_code, subject_of_indicator, subject_words
from districtstat.analyses.scorecard import unit_of
from districtstat.analyses.standing import CONFIDENCE
from districtstat.report import Release
from districtstat.views.common import (
    INTERVAL_SUFFIX, MONEY, SHARE_FORMATS, UNIT_WORDS, SubjectLabels, efficiency_fit, enrolled_keys, key_outcome, group_shares, natural_key, signed_ratio, value_text,
)


def consortium_table(release: Release) -> ProtectedTable:
    """Every district in the latest year: size, needs, spending, results, and its distance from the efficiency
    prediction with the interval and the verdict the interval supports (never a rank)."""
    table = release.latest_indicators
    if release.has_table("efficiency"):
        efficiency = release.table("efficiency")
        efficiency = efficiency.assign(
            residual_interval=[f"±{(high - low) / 2:.1f}" for low, high in zip(efficiency["pi_low"], efficiency["pi_high"])],  # symmetric
            against_prediction=efficiency["verdict"],
        )
        table = table.merge(efficiency[["district_id", "residual", "residual_interval", "against_prediction"]], on="district_id", how="left")
    scores = [column for code in mean_scores(release) for column in (code, code + INTERVAL_SUFFIX)]
    columns = [
        "district_name", "region", "enrollment", "pct_ecodis", "pct_el", "pct_swd", "per_pupil_spending", *scores,
        "residual", "residual_interval", "against_prediction",
    ]
    for code in mean_scores(release):
        if code in table.columns:
            table = table.assign(**{code + INTERVAL_SUFFIX: latest_intervals(release, table["district_id"], code)})
    table = table.sort_values("district_name", key=lambda names: names.map(natural_key), kind="stable")
    ids = table["district_id"].tolist()
    table = table[[c for c in columns if c in table.columns and table[c].notna().any()]]
    dependent = [c for c in table.columns if c not in ("district_name", "region", "enrollment")]
    protected = protect(
        table,
        counts={"enrollment": dependent},
        min_n=release.min_n,
        hidden={"enrollment": release.enrollment_hidden(ids)},
        keys={"enrollment": enrolled_keys(release, ids)},
        shares=group_shares(table),
    )
    residual_columns = [c for c in ("residual", "residual_interval", "against_prediction") if c in table.columns]
    score_columns = [(column, code) for code in mean_scores(release) for column in (code, code + INTERVAL_SUFFIX)]
    for column, code in (*score_columns, *((c, "efficiency_residual") for c in residual_columns)):
        if column in table.columns:
            protected.suppressed[column] |= release.withheld_figures(ids, code) & table[column].notna().to_numpy()
    for code in mean_scores(release):
        if code + INTERVAL_SUFFIX in table.columns:  # a hidden mean's interval reads `*` too, not as never measured
            protected.suppressed[code + INTERVAL_SUFFIX] |= protected.suppressed[code]
    if not release.enrollment_reported:
        protected = protected.without(["enrollment"])
    protected = protected.with_note(release.left_out_note())
    return protected.naming_districts(ids).of_school_year(release.latest_year)


def latest_intervals(release: Release, district_ids, code: str) -> list[object]:
    """Each district's latest `code` with its 90% margin from its standard error (`±4.1`: the interval its scorecard
    shows as `504.6 to 512.8`, narrow enough for a table of every district); `unknown` where the data give no measure
    of its chance error; NaN where the figure is not published."""
    history = release.history
    latest = history[(history["school_year"] == release.latest_year) & (history["code"] == code)].set_index("district_id")
    half = norm.ppf(0.5 + CONFIDENCE / 2)
    cells = []
    for district_id in district_ids:
        if district_id not in latest.index:
            cells.append(np.nan)
            continue
        se = latest.loc[district_id, "se"]
        cells.append(f"±{value_text(half * se, unit_of(code))}" if pd.notna(se) else "unknown")
    return cells


def mean_scores(release: Release) -> list[str]:
    """The mean-score columns of the project's subjects: math before ELA as the overview has always shown them,
    then any other subject in the order params declare."""
    codes = [indicator_code("mean_score", subject.code) for subject in release.project.settings.subjects]
    return sorted(codes, key=lambda code: {"mean_score_math": 0, "mean_score_ela": 1}.get(code, 2))



def consortium_how_to_read(release: Release) -> str:
    """How to read the overview table, in the words of the outcome the efficiency model explains."""
    outcome = subject_of_indicator(key_outcome(release))
    result = f"{subject_words(outcome).short} result" if outcome else "result"
    return (
        "Each mean score has its 90% margin: the mean could lie that far either side by chance alone, with this year's students "
        "one cohort of many. "
        f"Points vs. predicted is the district's {result} minus the result predicted for its spending and needs, in scale points, with its 90% "
        "prediction margin. Against prediction says above or below only when the whole interval (points vs. predicted, give or take the margin) is; otherwise within. Districts are listed by "
        "name, not ranked. It describes; it does not show that spending caused a result."
    )


def consortium_note(release: Release) -> str:
    """What the overview's points-vs-predicted column can and cannot say this release."""
    if not release.has_table("efficiency_fit"):
        return ""
    fit = efficiency_fit(release)
    if fit["can_rank"]:
        return f"The efficiency model predicts districts it was not fitted on (cross-validated R² {signed_ratio(fit['cv_r2'])}); each district's page gives its percentile."
    return (
        f"**The efficiency model cannot rank districts this release** (cross-validated R² {signed_ratio(fit['cv_r2'])}): read "
        "“Points vs. predicted” only with its interval, and a larger number as no better than a smaller one unless “Against prediction” says so."
    )


CONSORTIUM_LABELS = SubjectLabels({
    "district_name": "District",
    "region": "Region",
    "enrollment": "Students",
    "pct_ecodis": "% econ. disadv.",
    "pct_el": "% English learners",
    "pct_swd": "% with disabilities",
    "per_pupil_spending": "Spending per pupil ($)",
    "mean_score_math": "Mean math score (points)",
    "mean_score_ela": "Mean ELA score (points)",
    "residual": "Points vs. predicted",
    "residual_interval": "Margin, 90% (± points)",
    "against_prediction": "Against prediction",
})
CONSORTIUM_FORMATS = {"per_pupil_spending": MONEY, "residual": "{:+.1f}", "enrollment": "{:,.0f}", **SHARE_FORMATS}


def spending_reported(release: Release) -> bool:
    """Whether the overview chart can plot spending in the latest year; without it, it plots need."""
    return bool(release.latest_indicators["per_pupil_spending"].notna().any())


def spending_outcome_caption(release: Release) -> tuple[str, str]:
    """The caption and reading note of the overview chart, which plots need when spending is not reported."""
    if spending_reported(release):
        return (
            "Spending per pupil and results, latest school year",
            "Each circle is a district, sized by enrollment; higher is better, further right spends more. "
            "The chart does not adjust for student needs: each district's efficiency page does. "
            "Type a district's name above the chart to mark it and its peers.",
        )
    return (
        "Student need and results, latest school year",
        "Each circle is a district, sized by enrollment; higher is better, further right has more economically "
        "disadvantaged students. Spending is not reported in this dataset. Type a district's name above the chart to mark it and its peers.",
    )


def spending_outcome_chart(release: Release):
    """Scatter of spending per pupil (or, without spending data, student need) against the key outcome."""
    outcome = key_outcome(release)
    latest = release.latest_indicators
    across = "per_pupil_spending" if spending_reported(release) else "pct_ecodis"
    latest = latest[latest["district_id"].isin(release.publishable_districts)].dropna(subset=[outcome, across])
    ids = latest["district_id"].tolist()
    latest = latest[~(release.withheld_figures(ids, outcome) | release.withheld_figures(ids, across) | release.enrollment_hidden(ids))]  # as the overview table hides them
    for code in sorted({outcome, across} & {*STUDENT_GROUP_SHARES, *STUDENT_RATES}):  # plotted as published: rounded by group size
        if code in INDICATORS:  # a rate of students tested, rounded by their count as every page rounds it
            published = release.history[(release.history["code"] == code) & (release.history["school_year"] == release.latest_year)]
            shown = latest["district_id"].map(published.set_index("district_id")["value"])
        else:
            shown = [rounded_percent(v, n, release.min_n) for v, n in zip(latest[code], latest["enrollment"])]
        latest = latest.assign(**{code: shown}).dropna(subset=[code])
    fig, ax = figure()
    sizes = np.clip(latest["enrollment"].astype(float) / 80, 20, 400) if release.enrollment_reported else np.full(len(latest), 60.0)
    outcome_label = INDICATORS[outcome].label if outcome in INDICATORS else outcome
    across_text = (lambda v: f"${v:,.0f} per pupil") if across == "per_pupil_spending" else (lambda v: f"{v:.0f}% economically disadvantaged")
    outcome_unit = unit_of(outcome) if outcome in INDICATORS else "points"
    outcome_text = (lambda v: value_text(v, "%")) if outcome_unit == "%" else (lambda v: f"{value_text(v, outcome_unit)} {UNIT_WORDS.get(outcome_unit, outcome_unit)}")
    titles = [f"{row['district_name']}: {across_text(row[across])}, {outcome_label.lower()} {outcome_text(row[outcome])}" for _, row in latest.iterrows()]
    district_points(ax, latest, across, outcome, "overview", titles=titles, sizes=sizes)
    if len(latest) <= 40:
        for _, row in latest.iterrows():
            ax.annotate(row["district_name"], (row[across], row[outcome]), fontsize=SMALLEST_TEXT, xytext=(4, 3), textcoords="offset points")
    ax.set_ylabel(f"{INDICATORS[outcome].label} ({UNIT_WORDS.get(outcome_unit, outcome_unit)})" if outcome in INDICATORS else outcome)
    if across == "per_pupil_spending":
        ax.set_xlabel("Current spending per pupil ($)")
        ax.xaxis.set_major_formatter(lambda x, _: f"${x:,.0f}")
        span = f"spending per pupil from ${latest[across].min():,.0f} to ${latest[across].max():,.0f}"
    else:
        ax.set_xlabel("Students economically disadvantaged (%)")
        span = f"economically disadvantaged students from {latest[across].min():.0f}% to {latest[across].max():.0f}%"
    best = latest.loc[latest[outcome].idxmax()]
    alt = f"Scatter plot of {len(latest)} districts, {span}, against {ax.get_ylabel().lower()}; the highest result is {best['district_name']} at {outcome_text(best[outcome])}."
    return fig, alt
