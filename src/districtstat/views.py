"""The tables, charts and sentences of each page, built from a release so that notebooks stay thin.

Each function returns what a page shows: a `ProtectedTable`, a matplotlib figure with its alt text, or
plain-language Markdown. Wording is for a board member, not a statistician.
"""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd

from districtstat.data.aggregate import SPENDING_CATEGORIES, latest_rows, subgroup_label
from districtstat.site.charts import ACCENT, CONTEXT, HIGHLIGHT, SMALLEST_TEXT, district_points, figure, grid_figure, matplotlib_colour
from districtstat.privacy.disclosure import STUDENT_GROUP_SHARES, STUDENT_RATES, ProtectedTable, count_key, protect, rounded_percent
from districtstat.analyses.efficiency import PROFILE_LABELS, in_sentence, plain_term
from districtstat.analyses.gaps import publishable
from districtstat.analyses.indicators import GAP_MEANINGFUL_CHANGE, INDICATORS, goodness, kpi_table
from districtstat.analyses.scorecard import meaningful_change, peer_ranked, scorecard, unit_of, yearly_series
from districtstat.analyses.peers import base_column, peer_standing, why_peers
from districtstat.report import ByRow, Release

SUBJECT_LABELS = {"ELA": "English language arts", "MATH": "Math"}


UNIT_WORDS = {"points": "points", "%": "%", "$": "$ per pupil", "days": "days"}


def value_text(value: float, unit: str) -> str:
    """A value with its unit where the unit has a sign of its own ($, %)."""
    if unit == "$":
        return f"{'−' if value < 0 else ''}${abs(value):,.0f}"
    if unit == "%":
        return percent_text(value)
    return f"{value:,.1f}"


def percent_text(value: float) -> str:
    """A percentage as rounded: whole points for a rate or share of students (`disclosure.shown_percent`), else one decimal."""
    return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"


def change_text(value: float, unit: str) -> str:
    """A change with its unit: dollars, percentage points for a percentage, points or days."""
    if unit == "$":
        return signed_dollars(value)
    if unit == "%":
        return f"{signed_points(value)} pct. pts"
    return signed_points(value)


UNIT_CODES = {words: code for code, words in UNIT_WORDS.items()}
BY_UNIT = ByRow(lambda value, row: value_text(float(value), UNIT_CODES[row["unit"]]))
CHANGE_BY_UNIT = ByRow(lambda value, row: change_text(float(value), UNIT_CODES[row["unit"]]))


# ------------------------------------------------------------------ consortium overview


def consortium_table(release: Release) -> ProtectedTable:
    """Every district in the latest year: size, needs, spending, results, and its distance from the efficiency
    prediction with the interval and the verdict the interval supports (never a rank)."""
    table = release.latest_indicators
    if release.has_table("efficiency"):
        efficiency = release.table("efficiency")
        efficiency = efficiency.assign(
            residual_interval=[interval_text(low, high) for low, high in zip(efficiency["pi_low"], efficiency["pi_high"])],
            against_prediction=efficiency["verdict"],
        )
        table = table.merge(efficiency[["district_id", "residual", "residual_interval", "against_prediction"]], on="district_id", how="left")
    columns = [
        "district_name", "region", "enrollment", "pct_ecodis", "pct_el", "pct_swd", "per_pupil_spending", "mean_score_math", "mean_score_ela",
        "residual", "residual_interval", "against_prediction",
    ]
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
    for column, code in (("mean_score_math", "mean_score_math"), ("mean_score_ela", "mean_score_ela"), *((c, "efficiency_residual") for c in residual_columns)):
        if column in table.columns:
            protected.suppressed[column] |= release.withheld_figures(ids, code) & table[column].notna().to_numpy()
    return protected.naming_districts(ids).of_school_year(release.latest_year)


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


def enrolled_keys(release: Release, district_ids) -> list[str]:
    """The keys of district enrollment counts in the latest year, which several pages publish."""
    return [count_key("enrolled", district, release.latest_year) for district in district_ids]


def group_shares(table: pd.DataFrame) -> dict[str, str]:
    """The shares of a district's students in each need group: withheld when they give away a small group."""
    return {column: "enrollment" for column in STUDENT_GROUP_SHARES if column in table.columns}


CONSORTIUM_LABELS = {
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
    "residual_interval": "95% prediction interval (points)",
    "against_prediction": "Against prediction",
}
MONEY = "${:,.0f}"
SHARE_FORMATS = {code: "{:.0f}" for code in STUDENT_GROUP_SHARES}  # rounded by group size to whole points or coarser
CONSORTIUM_FORMATS = {"per_pupil_spending": MONEY, "residual": "{:+.1f}", "enrollment": "{:,.0f}", **SHARE_FORMATS}


def natural_key(name: str) -> tuple:
    """Sort 'system 2' before 'system 10'."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", str(name)))


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
    model = release.project.settings.efficiency
    outcome = model.outcome if model else "mean_score_math"
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
    sizes = np.clip(latest["enrollment"].astype(float) / 80, 20, 400)
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


def findable_districts(release: Release) -> dict[str, dict]:
    """Each district's name and peers, for the box that finds a district on a chart of every district."""

    def compute() -> dict[str, dict]:
        names = release.latest_indicators.set_index("district_id")["district_name"].astype(str)
        return {district: {"name": name, "peers": release.peer_ids(district)} for district, name in names.items()}

    return release.remember(("findable",), compute)


# ------------------------------------------------------------------ outcome gaps


def district_gaps(release: Release, district_id: str) -> pd.DataFrame:
    """The district's gaps in the latest year, labelled; once per release and district, as three views read them."""

    def compute() -> pd.DataFrame:
        gaps = release.table("gaps")
        chosen = gaps[(gaps["district_id"] == district_id) & (gaps["school_year"] == release.latest_year) & (gaps["grade"] == "ALL")]
        compared_with = chosen["comparison"].map(subgroup_label).where(chosen["comparison_kind"] != "complement", "All other students")
        return chosen.assign(group=chosen["focal"].map(subgroup_label), compared_with=compared_with)

    return release.remember(("gaps", district_id), compute).copy()


def gap_table(release: Release, district_id: str) -> ProtectedTable:
    gaps = district_gaps(release, district_id).sort_values(["subject", "group", "compared_with"], kind="stable")
    gaps = gaps.assign(gap_ci=[f"{low:+.1f} to {high:+.1f}" for low, high in zip(gaps["gap_ci_low"], gaps["gap_ci_high"])])
    # A gap in % proficient is the difference of the two percentages as published (rounded by group size), never of
    # the exact ones: the exact difference would undo both roundings.
    focal, comparison = ([rounded_percent(p, n, release.min_n) for p, n in zip(gaps[f"pct_proficient_{side}"], gaps[f"n_{side}"])] for side in ("focal", "comparison"))
    gaps = gaps.assign(gap_pct_proficient=[np.nan if a is None or b is None else a - b for a, b in zip(focal, comparison)])
    columns = ["subject", "group", "compared_with", "n_focal", "n_comparison", "gap", "gap_ci", "hedges_g", "gap_pct_proficient"]
    dependent = ["gap", "gap_ci", "hedges_g", "gap_pct_proficient"]
    # Each count is hidden as the release hides it everywhere (a group's complement with it); a gap hides when either is.
    counts = {"n_focal": dependent, "n_comparison": dependent}
    hidden = {side: gaps[f"hidden_{side[2:]}"].astype(bool).to_numpy() for side in counts}
    keys = {side: [count_key("tested", district_id, release.latest_year, subject, "ALL", code) for subject, code in zip(gaps["subject"], gaps[side[2:]])] for side in counts}
    table = protect(gaps[columns], counts=counts, min_n=release.min_n, hidden=hidden, keys=keys)
    table.suppressed["gap_pct_proficient"] |= gaps["gap_pct_proficient"].isna().to_numpy()  # either side coded
    for side in ("focal", "comparison"):
        if f"figures_withheld_{side}" in gaps:
            table.suppressed.loc[gaps[f"figures_withheld_{side}"].fillna(False).astype(bool).to_numpy(), dependent] = True
    return table.of_school_year(release.latest_year)


GAP_LABELS = {
    "subject": "Subject",
    "group": "Group",
    "compared_with": "Compared with",
    "n_focal": "Students in group",
    "n_comparison": "Students compared",
    "gap": "Gap (points)",
    "gap_ci": "95% confidence interval",
    "hedges_g": "Gap in SD units",
    "gap_pct_proficient": "Gap in % proficient (percentage points)",
}
GAP_FORMATS = {"gap": "{:+.1f}", "hedges_g": "{:+.2f}", "gap_pct_proficient": "{:+.0f}", "n_focal": "{:,.0f}", "n_comparison": "{:,.0f}"}
RESULT_FORMATS = {"n": "{:,.0f}", "mean_score": "{:,.1f}", "sd_score": "{:,.1f}", "pct_proficient": "{:.0f}%"}


def gap_lead(release: Release, district_id: str) -> str:
    """The largest gaps in plain words, and how each moved over every school year, by the one trend rule."""
    gaps = publishable(district_gaps(release, district_id), release.min_n)
    gaps = gaps[gaps["comparison_kind"] == "complement"]
    if gaps.empty:
        return "No student group in this district is large enough to report a gap."
    trends = release.table("gap_trends")
    trends = trends[(trends["district_id"] == district_id) & (trends["grade"] == "ALL")].set_index(["subject", "focal", "comparison"])
    behind = gaps[gaps["gap"] < 0]
    largest = (behind if len(behind) else gaps).sort_values("gap", key=abs, ascending=False, kind="stable").head(3)
    lines = [f"**{release.district_name(district_id)}, {school_year(release.latest_year)}.** The groups furthest behind the other students:", ""]
    for _, row in largest.iterrows():
        direction = "below" if row["gap"] < 0 else "above"
        sentence = f"- {row['group']} scored **{abs(row['gap']):.0f} points {direction}** other students in {subject_words(row['subject'])} ({abs(row['hedges_g']):.2f} standard deviations)"
        key = (row["subject"], row["focal"], row["comparison"])
        if key in trends.index and trends.loc[key, "trend"]:
            sentence += "; " + gap_trend_words(trends.loc[key])
        lines.append(sentence + ".")
    return "\n".join(lines)


def gap_trend_words(trend: pd.Series) -> str:
    """How a gap moved, in words that agree with the numbers beside them: never 'widened by 0 points'."""
    since = school_year(trend["first_year"])
    values = f"{signed_points(trend['first_gap'])} points in {since}, {signed_points(trend['latest_gap'])} now"
    if trend["trend"] == "steady":
        return f"the gap has not moved by {GAP_MEANINGFUL_CHANGE:.0f} points or more since {since} ({values})"
    return f"the gap has been {'narrowing' if trend['trend'] == 'closing' else 'widening'} since {since} ({values})"


def gap_series_table(release: Release, district_id: str) -> ProtectedTable:
    """Each group's gap to the other students in every school year, with its trend: what the lead sentence summarises.
    A year whose gap the release hides (a group under `min_n`, or hidden with its complement) shows the symbol."""
    gaps = release.table("gaps")
    chosen = gaps[(gaps["district_id"] == district_id) & (gaps["grade"] == "ALL") & (gaps["comparison_kind"] == "complement")]
    shown = publishable(chosen, release.min_n).index
    chosen = chosen.assign(group=chosen["focal"].map(subgroup_label), year=chosen["school_year"].map(school_year), shown=chosen.index.isin(shown))
    years = [school_year(y) for y in sorted(chosen["school_year"].unique())]
    index = ["subject", "group", "focal", "comparison"]
    values = chosen.pivot_table(index=index, columns="year", values="gap", aggfunc="first").reindex(columns=years)
    published = chosen.pivot_table(index=index, columns="year", values="shown", aggfunc="first").reindex(index=values.index, columns=years)
    trends = release.table("gap_trends")
    trends = trends[(trends["district_id"] == district_id) & (trends["grade"] == "ALL")].set_index(["subject", "focal", "comparison"])[["change", "trend"]]
    table = values.join(trends, on=["subject", "focal", "comparison"])
    hidden = published.fillna(False).astype(bool).rename(columns=lambda year: f"hidden {year}").__invert__()
    table = table.join(hidden).reset_index().drop(columns=["focal", "comparison"])
    table = table.sort_values(["subject", "group"], kind="stable").reset_index(drop=True)
    table["trend"] = table["trend"].replace("", np.nan)  # fewer than two published years: no trend, shown as –
    masks = {year: table.pop(f"hidden {year}").to_numpy(dtype=bool) for year in years}
    protected = protect(table, counts={}, min_n=release.min_n)
    for year in years:
        protected.suppressed[year] |= masks[year] & protected.frame[year].notna().to_numpy()
    return protected


def gap_series_labels(table: ProtectedTable) -> dict[str, str]:
    years = {column: f"{column} (points)" for column in table.frame.columns if re.fullmatch(r"\d{4}–\d{2}", str(column))}
    return {"subject": "Subject", "group": "Group"} | years | {"change": "Change along the trend line (points)", "trend": "Trend"}


def gap_series_formats(table: ProtectedTable) -> dict[str, str]:
    return {column: "{:+.1f}" for column in table.frame.columns if re.fullmatch(r"\d{4}–\d{2}", str(column))} | {"change": "{:+.1f}"}


def signed_dollars(value: float) -> str:
    return f"{'−' if value < 0 else '+'}${abs(value):,.0f}"


def ordinal(value: float) -> str:
    number = int(round(value))
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def school_year(spring_year: int) -> str:
    return f"{int(spring_year) - 1}–{str(int(spring_year))[-2:]}"


def points(value: float) -> str:
    rounded = abs(round(float(value)))
    return f"{rounded:.0f} point" + ("" if rounded == 1 else "s")


def subject_words(code: str) -> str:
    """How a subject reads inside a sentence: 'math', 'English language arts'."""
    label = SUBJECT_LABELS.get(code, code)
    return label.lower() if code == "MATH" else label


def gap_chart(release: Release, district_id: str, subject: str = "MATH"):
    """Horizontal bars: each group's gap to the students outside it, with its confidence interval."""
    gaps = publishable(district_gaps(release, district_id), release.min_n)
    gaps = gaps[(gaps["subject"] == subject) & (gaps["comparison_kind"] == "complement")].sort_values("gap", kind="stable")
    fig, ax = figure(7.5, max(2.5, 0.4 * len(gaps) + 1))
    ax.barh(gaps["group"], gaps["gap"], color=[ACCENT if g < 0 else HIGHLIGHT for g in gaps["gap"]])
    ax.errorbar(gaps["gap"], gaps["group"], xerr=[gaps["gap"] - gaps["gap_ci_low"], gaps["gap_ci_high"] - gaps["gap"]], fmt="none", ecolor="black", capsize=3, linewidth=1)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"{SUBJECT_LABELS[subject]}: group mean minus mean of all other students (scale points)")
    widest = gaps.iloc[0] if len(gaps) else None
    alt = f"Bar chart of {len(gaps)} student-group gaps in {SUBJECT_LABELS[subject]} for {release.district_name(district_id)}" + (
        f"; the largest negative gap is {widest['group']} at {widest['gap']:.1f} points." if widest is not None else "."
    )
    return fig, alt


def subgroup_results(release: Release, district_id: str) -> ProtectedTable:
    outcomes = release.table("subgroup_outcomes")
    rows = outcomes[(outcomes["district_id"] == district_id) & (outcomes["school_year"] == release.latest_year) & (outcomes["grade"] == "ALL")]
    rows = rows[~rows["subgroup"].str.startswith("NOT_")].assign(group=lambda f: f["subgroup"].map(subgroup_label))
    rows = rows.sort_values(["subject", "group"], kind="stable")
    table = rows[["subject", "group", "n", "mean_score", "sd_score", "pct_proficient"]]
    keys = [count_key("tested", district_id, release.latest_year, subject, "ALL", code) for subject, code in zip(rows["subject"], rows["subgroup"])]
    protected = protect(
        table,
        counts={"n": ["mean_score", "sd_score", "pct_proficient"]},
        min_n=release.min_n,
        hidden={"n": rows["hidden"].astype(bool).to_numpy()},
        keys={"n": keys},
        percents={"pct_proficient": "n"},
    )
    if "figures_withheld" in rows:  # a revision of a few students' records (`revisions`): the counts stay
        protected.suppressed.loc[rows["figures_withheld"].astype(bool).to_numpy(), ["mean_score", "sd_score", "pct_proficient"]] = True
        protected.coded = None if protected.coded is None else protected.coded.where(~protected.suppressed)
    return protected.of_school_year(release.latest_year)


RESULT_LABELS = {"subject": "Subject", "group": "Group", "n": "Students tested", "mean_score": "Mean score (points)", "sd_score": "SD (points)", "pct_proficient": "% proficient"}


# ------------------------------------------------------------------ efficiency


def efficiency_fit(release: Release) -> pd.Series:
    return release.table("efficiency_fit").iloc[0]


def model_can_rank(release: Release) -> bool:
    """Whether this release's efficiency model predicts districts it was not fitted on well enough to rank them."""
    return release.has_table("efficiency_fit") and bool(efficiency_fit(release)["can_rank"])


def signed_points(value: float) -> str:
    return f"{'−' if value < 0 else '+'}{abs(value):.1f}"


def interval_text(low: float, high: float) -> str:
    return f"{signed_points(low)} to {signed_points(high)}"


VERDICT_WORDS = {
    "above": "above what its spending and student needs predict",
    "below": "below what its spending and student needs predict",
    "within": "within the range its spending and student needs predict",
}


def signed_ratio(value: float) -> str:
    """An R² as printed, with a true minus sign when it is negative."""
    return f"{value:.2f}".replace("-", "−")


def model_fit_sentence(release: Release) -> str:
    """How well the model predicts, in words, with the cross-validated R² as computed (negative included)."""
    fit = efficiency_fit(release)
    in_sample = f"The model accounts for {fit['r2'] * 100:.0f}% of the differences in results between the {int(fit['n'])} districts it was fitted on (R² {signed_ratio(fit['r2'])})"
    cv = fit["cv_r2"]
    if cv <= 0:
        out_of_sample = (
            f"but when each district is predicted by a model fitted without it, the predictions miss by more than simply "
            f"guessing the consortium average would (cross-validated R² {signed_ratio(cv)}). "
        )
    else:
        out_of_sample = f"and {cv * 100:.0f}% when each district is predicted by a model fitted without it (cross-validated R² {signed_ratio(cv)}). "
    if fit["can_rank"]:
        ranking = "That is enough to place districts in order, using residuals adjusted for how much a district of each size varies by chance."
    elif cv > 0:
        ranking = f"That is at or below the {signed_ratio(fit['min_cv_r2'])} this consortium requires before ranking districts, so **the data cannot rank districts on this measure this release**."
    else:
        ranking = "So **the data cannot rank districts on this measure this release**: any ordering of districts would rest on noise."
    return f"{in_sample}, {out_of_sample}{ranking}{better_alternative(release, cv)}"


def better_alternative(release: Release, cv_r2: float) -> str:
    """Name a declared alternative that predicts new districts better, so the choice of model is not hidden."""
    if not release.has_table("efficiency_models"):
        return ""
    others = release.table("efficiency_models").iloc[1:]
    better = others[(others["cv_r2"] > cv_r2) & (others["cv_r2"] > 0)]
    if better.empty:
        return ""
    best = better.loc[better["cv_r2"].idxmax()]
    return (
        f" Of the other models declared for comparison, “{best['model']}” predicts new districts better (cross-validated R² "
        f"{signed_ratio(best['cv_r2'])}); the table at the end of this page compares them."
    )


def efficiency_lead(release: Release, district_id: str) -> str:
    table = release.table("efficiency").set_index("district_id")
    name = release.district_name(district_id)
    if district_id not in table.index:
        return f"**{name}** is not in this release's efficiency model: its result or its spending is not reported."
    if resting_on_too_few(release, [district_id])[0]:
        return f"**{name}** tested too few students to publish its result or its distance from the prediction."
    row = table.loc[district_id]
    outcome = release.project.settings.efficiency.outcome
    label = in_sentence(INDICATORS[outcome].label) if outcome in INDICATORS else outcome
    direction = "above" if row["residual"] >= 0 else "below"
    lines = [
        f"**{name}**: {label} {row['observed']:.1f} points; districts with its spending and student needs are predicted to score "
        f"{row['predicted']:.1f} points, so it sits **{abs(row['residual']):.1f} points {direction}** the prediction "
        f"(95% prediction interval {interval_text(row['pi_low'], row['pi_high'])} points).",
    ]
    if row["verdict"] == "within":
        lines.append("The interval includes zero: **the data cannot tell this district's result apart from what its spending and needs predict.**")
    else:
        lines.append(f"The whole interval is {'above' if row['verdict'] == 'above' else 'below'} zero: the district scored **{VERDICT_WORDS[row['verdict']]}**.")
    lines.append("\n\n" + model_fit_sentence(release))
    if model_can_rank(release) and pd.notna(row.get("percentile")):
        lines.append(
            f"Adjusted for its size, its distance from the prediction is {signed_points(row['shrunk_residual'])} points, "
            f"the {ordinal(row['percentile'])} percentile of the consortium."
        )
    lines.append(
        "\n\nA residual describes; it does not prove that spending caused anything. Test scores and spending are measured "
        "with error; intervals are wider for small districts, whose results vary more by chance, and for districts whose "
        "spending and needs are unlike the others'."
    )
    return " ".join(lines).replace(" \n\n", "\n\n")


def resting_on_too_few(release: Release, district_ids) -> np.ndarray:
    """Districts whose efficiency result no page may show: their outcome or residual is withheld."""
    model = release.project.settings.efficiency
    outcome = model.outcome if model else "mean_score_math"
    return release.withheld_figures(district_ids, outcome) | release.withheld_figures(district_ids, "efficiency_residual")


def efficiency_chart(release: Release, district_id: str):
    """Every district's distance from its prediction with its 95% prediction interval, the district marked."""
    table = release.table("efficiency")
    table = table[~resting_on_too_few(release, table["district_id"].tolist())]
    # Rows are drawn bottom-up. Ordered by the residual only where the model may rank; otherwise by name (A at the
    # top), so the chart ranks nobody.
    table = table.assign(name=table["district_id"].map(release.district_name))
    if model_can_rank(release):
        table = table.sort_values(["residual", "district_id"], kind="stable").reset_index(drop=True)
    else:
        table = table.sort_values(["name", "district_id"], ascending=False, kind="stable").reset_index(drop=True)
    height = max(3.0, min(0.28 * len(table) + 1.2, 9.0))
    fig, ax = figure(7.5, height)
    own = table["district_id"] == district_id
    positions = np.arange(len(table))
    colours = np.where(own, matplotlib_colour(HIGHLIGHT), "#8c8c8c")  # darker than CONTEXT: the bars are the message
    ax.hlines(positions, table["pi_low"], table["pi_high"], colors=colours, linewidth=1.2)
    titles = [f"{row['name']}: {signed_points(row['residual'])} points (95% prediction interval {interval_text(row['pi_low'], row['pi_high'])})" for _, row in table.iterrows()]
    district_points(ax, table.assign(y=positions), "residual", "y", "efficiency", titles=titles, sizes=np.where(own, 64, 25), colour=colours)
    ax.axvline(0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xlabel("Points above (+) or below (−) the predicted result, with 95% prediction interval (points)")
    names = table["district_id"].map(release.district_name)
    if len(table) <= 40:
        ax.set_yticks(positions, names, fontsize=SMALLEST_TEXT)
    else:
        ax.set_yticks(positions[own.to_numpy()], names[own], fontsize=8)
    ax.set_ylabel("")
    name = release.district_name(district_id)
    outside = int((table["verdict"] != "within").sum())
    if not own.any():
        return fig, f"Dot chart of {len(table)} districts' distance from their predicted result with 95% intervals; {name} is not in the model. {outside} of the intervals exclude zero."
    row = table[own].iloc[0]
    alt = (
        f"Dot chart of {len(table)} districts' distance from their predicted result, each with its 95% prediction interval; "
        f"{name} sits at {signed_points(row['residual'])} points ({interval_text(row['pi_low'], row['pi_high'])}). "
        f"{outside} of {len(table)} intervals exclude zero."
    )
    return fig, alt


def coefficient_table(release: Release) -> ProtectedTable:
    """The model's coefficients, each term in words: the formula itself is on the methods page."""
    coefficients = release.table("efficiency_coefficients")
    return protect(coefficients.assign(term=coefficients["term"].map(plain_term)), counts={}, min_n=release.min_n).of_school_year(release.latest_year)


COEFFICIENT_FORMATS = {"estimate": "{:,.3f}", "std_error": "{:,.3f}", "t": "{:.2f}", "p": "{:.3f}", "ci_low": "{:,.3f}", "ci_high": "{:,.3f}"}
COEFFICIENT_LABELS = {
    "term": "Term",
    "estimate": "Estimate (points per unit of the term)",
    "std_error": "Robust SE (HC1, points)",
    "t": "t",
    "p": "p",
    "ci_low": "95% CI low (points)",
    "ci_high": "95% CI high (points)",
}


def model_comparison(release: Release) -> ProtectedTable:
    """Each declared specification's fit on the same districts, in sample and out of sample."""
    models = release.table("efficiency_models")
    terms = [" + ".join(plain_term(term) for term in formula.split("~", 1)[1].split("+")) for formula in models["formula"]]
    table = models.assign(terms=terms)[["model", "terms", "n", "r2", "adj_r2", "cv_r2"]]
    return protect(table, counts={}, min_n=release.min_n).of_school_year(release.latest_year)


MODEL_LABELS = {"model": "Model", "terms": "Spending and needs allowed for", "n": "Districts", "r2": "R²", "adj_r2": "Adjusted R²", "cv_r2": "Cross-validated R²"}
MODEL_FORMATS = {"n": "{:,.0f}", "r2": "{:.2f}", "adj_r2": "{:.2f}", "cv_r2": "{:.2f}"}


def spending_by_function(release: Release, district_id: str) -> ProtectedTable:
    finance = release.table("finance_by_function")
    latest = latest_rows(finance)
    reported = latest[~release.enrollment_hidden(latest["district_id"])]  # a hidden enrollment's per-pupil figures stay out of the median too
    median = reported.groupby("category")["per_pupil"].median().rename("consortium_median")
    own = latest[latest["district_id"] == district_id].set_index("category")[["per_pupil", "share"]]
    table = own.join(median, how="outer").reindex([c for c in SPENDING_CATEGORIES if c in own.index or c in median.index])
    table.insert(0, "category", [SPENDING_CATEGORIES[c] for c in table.index])
    table["difference"] = table["per_pupil"] - table["consortium_median"]
    protected = protect(table.reset_index(drop=True), counts={}, min_n=release.min_n)
    if release.enrollment_hidden([district_id]).any():  # total spending ÷ spending per pupil would give the hidden enrollment
        protected.suppressed.loc[protected.frame["per_pupil"].notna(), ["per_pupil", "difference"]] = True
    return protected.of_school_year(latest["school_year"].max())


FUNCTION_LABELS = {
    "category": "Spending category",
    "per_pupil": "Per pupil ($)",
    "share": "% of spending",
    "consortium_median": "Consortium median ($ per pupil)",
    "difference": "Difference from median ($ per pupil)",
}
FUNCTION_FORMATS = {"per_pupil": MONEY, "consortium_median": MONEY, "difference": signed_dollars, "share": "{:.1f}%"}


# ------------------------------------------------------------------ peers


def peer_table(release: Release, district_id: str) -> ProtectedTable:
    peers = release.table("peers")
    chosen = peers[peers["district"] == district_id].copy()
    chosen["peer_name"] = chosen["peer"].map(release.district_name)
    latest = release.latest_indicators.set_index("district_id")
    chosen = chosen.join(latest[["enrollment", "pct_ecodis", "pct_el", "pct_swd", "locale"]], on="peer")
    table = chosen[["rank", "peer_name", "distance", "enrollment", "pct_ecodis", "pct_el", "pct_swd", "locale"]]
    return protect(
        table,
        counts={"enrollment": ["pct_ecodis", "pct_el", "pct_swd"]},
        min_n=release.min_n,
        hidden={"enrollment": release.enrollment_hidden(chosen["peer"].tolist())},
        keys={"enrollment": enrolled_keys(release, chosen["peer"])},
        shares=group_shares(table),
    ).naming_districts(chosen["peer"], "peer_name").of_school_year(release.latest_year)


PEER_LABELS = {"rank": "Rank", "peer_name": "Peer district", "distance": "Distance (SD units)", "enrollment": "Students", "pct_ecodis": "% econ. disadv.", "pct_el": "% English learners", "pct_swd": "% with disabilities", "locale": "Locale"}
PEER_FORMATS = {"distance": "{:.2f}", "enrollment": "{:,.0f}", **SHARE_FORMATS}


def why_these_peers(release: Release, district_id: str) -> ProtectedTable:
    latest = release.latest_indicators
    features = release.project.settings.peers.numeric
    table = why_peers(latest, district_id, release.peer_ids(district_id), features)
    enrollment = float(latest.set_index("district_id").loc[district_id, "enrollment"])
    rates = [enrollment if feature in STUDENT_RATES else float("nan") for feature in table["feature"]]
    shares = [enrollment if feature in STUDENT_GROUP_SHARES else float("nan") for feature in table["feature"]]
    size_hidden = bool(release.enrollment_hidden([district_id])[0])  # then its size and its shares are hidden everywhere
    codes = [base_column(feature) for feature in table["feature"]]
    sizes = np.array([code in ("enrollment", "log_enrollment", *STUDENT_GROUP_SHARES) for code in codes]) & size_hidden
    table["feature"] = table["feature"].map(lambda f: FEATURE_LABELS.get(f) or plain_term(f)[:1].upper() + plain_term(f)[1:])
    protected = protect(table, counts={}, min_n=release.min_n, percents={"district": rates}, shares={"district": shares})
    protected.suppressed["district"] |= sizes
    peers = release.peer_ids(district_id)
    protected.suppressed["peer_average"] |= np.array([bool(release.withheld_figures(peers, code).any()) for code in codes], dtype=bool)  # with the other peers' figures shown, the average gives a hidden one back
    withheld = protected.coded["district"].notna().to_numpy() | protected.suppressed["district"].to_numpy() | protected.suppressed["peer_average"].to_numpy()
    protected.suppressed["difference_sd"] |= withheld  # it would give the value back
    protected.suppressed["flag"] |= protected.suppressed["difference_sd"]  # "≥ 1 SD" (or blank) bounds the hidden difference
    return protected.of_school_year(release.latest_year)


FEATURE_LABELS = {column: label[:1].upper() + label[1:] for column, label in PROFILE_LABELS.items()} | {"per_pupil_spending": "Spending per pupil"}


WHY_LABELS = {"feature": "Characteristic", "district": "This district", "peer_average": "Peer average", "difference_sd": "Difference (SD units)", "flag": "Notable"}
WHY_FORMATS = {"difference_sd": "{:+.2f}", "district": "{:,.2f}", "peer_average": "{:,.2f}"}


def standing_among_peers(release: Release, district_id: str) -> pd.DataFrame:
    """The district's rank among its peers on every indicator, once per release and district: a chart and a table show it."""

    def compute() -> pd.DataFrame:
        kpis = release.remember(("kpis",), lambda: kpi_table(release.history, release.latest_year))
        return peer_standing(kpis, district_id, release.peer_ids(district_id))

    return release.remember(("standing", district_id), compute).copy()


def standing_table(release: Release, district_id: str) -> ProtectedTable:
    standing = standing_among_peers(release, district_id)
    standing = standing.assign(unit=standing["code"].map(lambda code: UNIT_WORDS[INDICATORS[code].unit]))
    return protect(standing[["area", "indicator", "unit", "district", "peer_median", "rank", "of"]], counts={}, min_n=release.min_n).of_school_year(release.latest_year)


STANDING_LABELS = {"area": "Area", "indicator": "Indicator", "unit": "Unit", "district": "This district", "peer_median": "Peer median", "rank": "Rank (1 = best)", "of": "Of"}
STANDING_FORMATS = {"district": BY_UNIT, "peer_median": BY_UNIT, "rank": "{:.0f}"}


def standing_chart(release: Release, district_id: str):
    """Dot plot: the district against its peers' range on each KPI, as a percent of the peer median."""
    standing = standing_among_peers(release, district_id)
    standing = standing[(standing["peer_median"] > 0) & (standing["code"] != "efficiency_residual")]
    ratio = standing["district"] / standing["peer_median"] * 100 - 100
    fig, ax = figure(7.5, max(2.5, 0.4 * len(standing) + 1))
    better = [goodness(own, way) > goodness(median, way) for own, median, way in zip(standing["district"], standing["peer_median"], standing["better"])]
    colours = [CONTEXT if way == "neither" else (HIGHLIGHT if good else ACCENT) for way, good in zip(standing["better"], better)]
    ax.barh(standing["indicator"], ratio, color=colours)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Percent above (+) or below (−) the peer median; blue = better, orange = worse")
    alt = f"Bar chart comparing {release.district_name(district_id)} with the median of its {len(release.peer_ids(district_id))} peers on {len(standing)} indicators."
    return fig, alt


# ------------------------------------------------------------------ allocation within the district


def allocation_row(release: Release, district_id: str) -> pd.Series | None:
    table = release.table("school_allocation")
    rows = table[(table["district_id"] == district_id) & (table["school_year"] == release.latest_year)]
    return None if rows.empty else rows.iloc[0]


def allocation_lead(release: Release, district_id: str) -> str:
    row = allocation_row(release, district_id)
    if row is None:
        return "No school-level spending is reported, so whether school budgets follow student need cannot be shown."
    if row["pattern"] == "too few schools":
        return "This district has too few schools to say whether school budgets follow student need."
    meaning = {
        "progressive": "schools with more economically disadvantaged students receive more per pupil: money follows need",
        "regressive": "schools with more economically disadvantaged students receive less per pupil",
        "no clear pattern": "spending per pupil does not clearly rise or fall with school need",
    }[row["pattern"]]
    return (
        f"Across its {int(row['schools'])} schools, each additional percentage point of economically disadvantaged students goes with "
        f"**{signed_dollars(row['slope'])} per pupil** (95% confidence interval {signed_dollars(row['ci_low'])} to {signed_dollars(row['ci_high'])}): {meaning}. "
        "Only spending charged to schools counts; district-wide services are left out."
    )


def allocation_chart(release: Release, district_id: str):
    """School spending per pupil against school need, schools under the privacy threshold left out."""
    schools = release.table("school_profile")
    chosen = schools[(schools["district_id"] == district_id) & (schools["school_year"] == release.latest_year) & (schools["enrollment"] >= release.min_n)]
    shown = [rounded_percent(v, n, release.min_n) for v, n in zip(chosen["pct_ecodis"], chosen["enrollment"])]  # a school's size is public elsewhere
    chosen = chosen.assign(pct_ecodis=[np.nan if v is None else v for v in shown]).dropna(subset=["pct_ecodis", "per_pupil_spending"])
    if chosen.empty:
        return None, "no school-level spending is reported for this district."
    fig, ax = figure(7.5, 3.8)
    ax.scatter(chosen["pct_ecodis"], chosen["per_pupil_spending"], color=HIGHLIGHT, edgecolor="black", linewidth=0.4)
    fit = allocation_row(release, district_id)
    if fit is not None and pd.notna(fit["slope"]):
        xs = np.linspace(chosen["pct_ecodis"].min(), chosen["pct_ecodis"].max(), 2)
        ax.plot(xs, fit["intercept"] + fit["slope"] * xs, color="black", linewidth=1, linestyle="--")
    ax.set_xlabel("Students economically disadvantaged at the school (%)")
    ax.set_ylabel("School spending per pupil ($)")
    ax.yaxis.set_major_formatter(lambda y, _: f"${y:,.0f}")
    alt = f"Scatter plot of {len(chosen)} schools of {release.district_name(district_id)}: school spending per pupil against the share of economically disadvantaged students, with a fitted line."
    return fig, alt


# ------------------------------------------------------------------ scorecard


def district_scorecard(release: Release, district_id: str) -> pd.DataFrame:
    """The district's scorecard, computed once per release and district: four tables and a chart read it."""

    def compute() -> pd.DataFrame:
        goals = release.project.district_settings(district_id).goals
        withheld = release.withheld_codes(district_id, release.latest_year)
        return scorecard(release.history, district_id, release.peer_ids(district_id), goals, release.latest_year, withheld)

    return release.remember(("scorecard", district_id), compute).copy()


def year_columns(frame: pd.DataFrame) -> list[str]:
    return [column for column in frame.columns if re.fullmatch(r"\d{4}–\d{2}", str(column))]


def district_series(release: Release, district_id: str) -> pd.DataFrame:
    """Every indicator and gap of the district in every year beside its peers' median, once per release and district."""

    def compute() -> pd.DataFrame:
        return yearly_series(release.history, district_id, release.peer_ids(district_id))

    return release.remember(("series", district_id), compute).copy()


def scorecard_table(release: Release, district_id: str, area: str) -> ProtectedTable:
    """One row per indicator of the area: its value in every school year, the trend, the peer percentile and the goal.

    A figure the data holds but no page may show is `*` in its year, not a blank that would read as never measured."""
    card = district_scorecard(release, district_id)
    card = card[card["area"] == area].reset_index(drop=True)
    series = district_series(release, district_id)
    series = series[series["code"].isin(card["code"])].assign(year=lambda f: f["school_year"].map(school_year))
    years = [school_year(y) for y in sorted(release.history["school_year"].unique())]
    by_year = series.pivot_table(index="code", columns="year", values="value", aggfunc="first").reindex(index=card["code"], columns=years)
    gone = release.withheld_history
    gone = gone[(gone["district_id"] == district_id) & gone["code"].isin(card["code"])].assign(year=lambda f: f["school_year"].map(school_year))
    withheld = pd.DataFrame(False, index=card["code"], columns=years)
    for code, year in zip(gone["code"], gone["year"]):
        if year in withheld.columns:
            withheld.loc[code, year] = True
    table = pd.concat([card[["indicator"]].assign(unit=card["unit"].map(UNIT_WORDS)), by_year.reset_index(drop=True)], axis=1)
    table = table.assign(change=card["change"], trend=card["trend"], peer_percentile=card["peer_percentile"], goal=card["goal"], status=card["status"], n=card["n"])
    kept = [c for c in table.columns if table[c].notna().any() or (c in withheld.columns and withheld[c].any())]
    table = table[kept]
    latest = school_year(release.latest_year)
    dependent = [c for c in (latest, "change", "peer_percentile") if c in table.columns]
    # a withheld latest figure takes its group's count with it; the count's own table publishes it under its key
    keys = [None if gone else gap_group_key(district_id, code, year) for code, year, gone in zip(card["code"], card["year"], card["withheld"])]
    counts = {"n": dependent} if "n" in table.columns else {}
    protected = protect(table, counts=counts, min_n=release.min_n, keys={"n": keys} if counts else None)
    if "n" in protected.frame.columns:
        withheld[latest] = withheld.get(latest, False) | card["withheld"].astype(bool).to_numpy()
        withheld["n"] = card["withheld"].astype(bool).to_numpy()
    for column in withheld.columns.intersection(protected.frame.columns):
        marked = withheld[column].to_numpy()
        protected.frame.loc[marked, column] = np.nan
        protected.suppressed.loc[marked, column] = True
    return protected


def gap_group_key(district_id: str, code: str, year: int) -> str | None:
    """The count behind an equity gap of the scorecard (`gap.EL.MATH`): its group's students tested that year."""
    if not code.startswith("gap."):
        return None
    _, group, subject = code.split(".")
    return count_key("tested", district_id, year, subject, "ALL", group)


def scorecard_labels(table: ProtectedTable) -> dict[str, str]:
    return SCORECARD_LABELS | {year: year for year in year_columns(table.frame)}


def scorecard_formats(table: ProtectedTable) -> dict:
    return {year: BY_UNIT for year in year_columns(table.frame)} | {"change": CHANGE_BY_UNIT, "goal": BY_UNIT} | SCORECARD_FORMATS


SCORECARD_LABELS = {
    "indicator": "Indicator",
    "unit": "Unit",
    "change": "Change (trend line)",
    "trend": "Trend",
    "peer_percentile": "Peer percentile (0–100)",
    "goal": "Goal",
    "status": "Goal status",
    "n": "Students in group",
}
SCORECARD_FORMATS = {"peer_percentile": "{:.0f}", "n": "{:,.0f}"}


def scorecard_lead(release: Release, district_id: str) -> str:
    card = district_scorecard(release, district_id)
    with_goals = card[card["status"] != ""]
    ranked = card.dropna(subset=["peer_percentile"])
    lines = [f"**{release.district_name(district_id)}, {school_year(release.latest_year)}.**"]
    if len(with_goals):
        met = with_goals[with_goals["status"] == "met"]
        lines.append(f"It meets {len(met)} of its {len(with_goals)} goals" + (f" ({', '.join(met['indicator'].map(in_sentence))})." if len(met) else "."))
    else:
        lines.append("No goals are set for this district in this release.")
    if len(ranked) and ranked["peer_percentile"].nunique() == 1:
        lines.append(f"It does better than {ranked['peer_percentile'].iloc[0]:.0f}% of its peers on every ranked indicator.")
    elif len(ranked):
        best, worst = ranked.loc[ranked["peer_percentile"].idxmax()], ranked.loc[ranked["peer_percentile"].idxmin()]
        lines.append(
            f"Against its peers it does best on {in_sentence(best['indicator'])} (better than {best['peer_percentile']:.0f}% of them) "
            f"and least well on {in_sentence(worst['indicator'])} (better than {worst['peer_percentile']:.0f}%)."
        )
    withheld = card[card["withheld"].astype(bool)]
    if len(withheld):
        if len(withheld) <= 3:
            which = ", ".join(withheld["indicator"].map(in_sentence))
        else:
            by_area = withheld.groupby("area", observed=True, sort=True).size()
            which = ", ".join(f"{count} in {str(area).lower()}" for area, count in by_area.items())
        lines.append(
            f"{len(withheld)} of its {school_year(release.latest_year)} figures ({which}) are not shown (*): "
            "they rest on counts of students the release hides, so they have no goal status or peer standing this year."
        )
    moved = card[card["trend"] != ""]
    if len(moved):
        first = school_year(int(moved["since"].min()))
        better = moved["trend"].isin(["improving", "closing"]).sum()
        worse = moved["trend"].isin(["worsening", "widening"]).sum()
        steady = (moved["trend"] == "steady").sum()
        lines.append(
            f"Since {first}, {better} indicators improved and {worse} worsened by at least their smallest meaningful change; "
            f"{steady} held steady (see Methods for each indicator's threshold)."
        )
    return " ".join(lines)


AREA_NOTES = {
    "Student outcomes": "A change over two or three years may be normal variation: the trend word needs a move of at least 4 points on a scale score and 2 percentage points on a percentage.",
    "Equity": "Each gap is the group's mean score minus the other students', in points; closing means it moved toward zero by at least 4 points. Groups under the privacy threshold are left out. A gap can close because the other students fell back.",
    "Finance": "Spending is not ranked: more is neither better nor worse by itself. Points above or below prediction is the efficiency residual: it describes and does not explain, it is never ranked among peers, and the spending and results page says whether its interval sets the district apart.",
    "Operations": "For days and vacancies lower is better; the peer percentile already takes that into account. Districts may count these operational figures in slightly different ways.",
}


def show_scorecard_area(release: Release, district_id: str, area: str) -> None:
    """One area of the scorecard: its indicators over every school year as small charts, then the table of every year."""
    from districtstat.report import show_chart, show_table

    fig, alt = series_chart(release, district_id, area)
    show_chart(
        fig,
        alt,
        caption=f"{area}, every school year",
        how_to_read="The blue line is this district, the grey dashed line the median of its peers that year, the dotted orange line its goal where one is set. " + AREA_NOTES[area],
    )
    table = scorecard_table(release, district_id, area)
    show_table(
        table,
        caption=f"{area}: every school year, trend, standing among peers and goals",
        how_to_read="Change is measured along the straight line through every year shown; the trend word says whether that change reaches the indicator's smallest meaningful change (Methods lists each). Peer percentile is the share of peer districts this district does better than, in the latest year. "
        + AREA_NOTES[area],
        labels=scorecard_labels(table),
        formats=scorecard_formats(table),
    )


def series_chart(release: Release, district_id: str, area: str):
    """Small multiples: each indicator of the area over every school year, the peers' median and the goal line."""
    card = district_scorecard(release, district_id)
    card = card[card["area"] == area]
    series = district_series(release, district_id)
    series = series[series["code"].isin(card["code"])]
    if series.empty:
        return None, f"no {area.lower()} indicator is reported for this district."
    codes = list(card["code"])
    columns = min(3, len(codes))
    rows = -(-len(codes) // columns)
    height = 2.3 * rows + 0.6
    fig, axes = grid_figure(rows, columns, 7.5, height)
    for unused in axes.flat[len(codes):]:
        unused.set_visible(False)
    years = sorted(release.history["school_year"].unique())
    goals = release.project.district_settings(district_id).goals
    described = []
    for index, code in enumerate(codes, start=1):
        ax = axes.flat[index - 1]
        own = series[series["code"] == code]
        row = card[card["code"] == code].iloc[0]
        ax.plot(own["school_year"], own["value"], "o-", color=HIGHLIGHT, linewidth=1.8, markersize=4, label="This district")
        median = own.dropna(subset=["peer_median"]) if peer_ranked(code) else own.iloc[0:0]  # no peer line where no peer comparison is made
        if len(median):
            ax.plot(median["school_year"], median["peer_median"], "s--", color="#555555", linewidth=1, markersize=3, label="Peer median")
        if code in goals:
            ax.axhline(goals[code], color=ACCENT, linewidth=1.2, linestyle=":", label="Goal")
        shown = pd.concat([own["value"], median["peer_median"], pd.Series([goals[code]] if code in goals else [], dtype=float)]).dropna()
        floor = 3 * meaningful_change(code)  # a move too small to earn a trend word must also look small
        if len(shown) and shown.max() - shown.min() < floor:
            middle = (shown.max() + shown.min()) / 2
            ax.set_ylim(middle - floor / 2, middle + floor / 2)
        if row["withheld"]:  # the year has its place; the star says the figure exists and is hidden
            ax.text(release.latest_year, 0.5, "*", transform=ax.get_xaxis_transform(), ha="center", va="center", fontsize=14, color="#333333")
        # At its default height, given: matplotlib then skips moving titles clear of top tick labels (there are none),
        # a fifth of the chart's drawing time.
        ax.set_title(textwrap.fill(row["indicator"], 30), fontsize=SMALLEST_TEXT + 1, y=1.0)
        ax.set_ylabel(UNIT_WORDS[row["unit"]], fontsize=SMALLEST_TEXT)
        ax.set_xticks(years, [school_year(y) for y in years], fontsize=SMALLEST_TEXT)
        ax.tick_params(axis="y", labelsize=SMALLEST_TEXT)
        ax.set_xlim(min(years) - 0.3, max(years) + 0.3)
        points = ", ".join(f"{value_text(v, row['unit'])} in {school_year(y)}" for y, v in zip(own["school_year"], own["value"]))
        if row["withheld"]:
            points += f", not shown in {school_year(release.latest_year)} to protect students' privacy"
        described.append(f"{row['indicator']}: {points}" + (f" ({row['trend']})" if row["trend"] else ""))
    legend = {}
    for ax in axes.flat[: len(codes)]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.legend(list(legend.values()), list(legend), loc="lower center", ncol=3, fontsize=SMALLEST_TEXT, frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.subplots_adjust(left=0.09, right=0.98, top=1 - 0.5 / height, bottom=0.75 / height, wspace=0.42, hspace=0.75)
    alt = f"Small line charts of {len(codes)} {area.lower()} indicators for {release.district_name(district_id)} over {len(years)} school years, with the peers' median: " + "; ".join(described) + "."
    return fig, alt


def scorecard_chart(release: Release, district_id: str):
    """Dot chart: the district's percentile among its peers on every ranked indicator, by area."""
    card = district_scorecard(release, district_id).dropna(subset=["peer_percentile"])
    if card.empty:
        return None, "no indicator can be ranked against peers in this dataset."
    fig, ax = figure(7.5, max(3, 0.32 * len(card) + 1))
    colours = {area: colour for area, colour in zip(["Student outcomes", "Equity", "Finance", "Operations"], [HIGHLIGHT, ACCENT, "#029e73", "#cc78bc"])}
    for area, rows in card.groupby("area", observed=True, sort=False):
        ax.scatter(rows["peer_percentile"], rows["indicator"], color=colours[area], s=60, edgecolor="black", linewidth=0.4, label=area, zorder=3)
    ax.axvline(50, color="black", linewidth=0.8, linestyle="--")
    ax.set_xlim(-5, 105)
    ax.set_xlabel("Percent of peers this district does better than (50 = middle of its peers)")
    height = max(3, 0.32 * len(card) + 1)
    fig.subplots_adjust(bottom=1.0 / height)
    fig.legend(loc="lower center", bbox_to_anchor=(0.5, 0), ncol=4, fontsize=8, frameon=False)
    alt = f"Dot chart of {release.district_name(district_id)}'s standing among its peers on {len(card)} indicators in four areas; dots right of the dashed middle line are better than most peers."
    return fig, alt
