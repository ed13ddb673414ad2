"""The outcome gaps page: each student group's gap to the other students, in the latest year and over every year,
in words and as a chart, and the results of every group."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.stats import norm

from districtstat.data.aggregate import subgroup_label
from districtstat.site.charts import ACCENT, HIGHLIGHT, figure
from districtstat.privacy.disclosure import ProtectedTable, count_key, protect, rounded_percent
from districtstat.analyses.gaps import publishable
from districtstat.analyses.standing import CONFIDENCE
from districtstat.analyses.trends import NO_CLEAR_CHANGE
from districtstat.data.subjects import subject_words as declared_subject
from districtstat.report import Release
from districtstat.views.common import interval_text, school_year, signed_points


SUBJECT_LABELS = {"ELA": "English language arts", "MATH": "Math"}


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
    gaps = gaps.assign(gap_ci=[interval_text(low, high) for low, high in zip(gaps["gap_ci_low"], gaps["gap_ci_high"])])
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
    "gap_ci": "90% confidence interval",
    "hedges_g": "Gap in SD units",
    "gap_pct_proficient": "Gap in % proficient (percentage points)",
}
GAP_FORMATS = {"gap": "{:+.1f}", "hedges_g": "{:+.2f}", "gap_pct_proficient": "{:+.0f}", "n_focal": "{:,.0f}", "n_comparison": "{:,.0f}"}
RESULT_FORMATS = {"n": "{:,.0f}", "mean_score": "{:,.1f}", "mean_margin": "±{:,.1f}", "sd_score": "{:,.1f}", "pct_proficient": "{:.0f}%"}


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
    level = confidence_level(release)
    for _, row in largest.iterrows():
        direction = "below" if row["gap"] < 0 else "above"
        interval = f"{level} interval {interval_text(row['gap_ci_low'], row['gap_ci_high'])} points"
        if row["gap_ci_low"] <= 0 <= row["gap_ci_high"]:
            interval += ", which includes no gap at all"
        sentence = (
            f"- {row['group']} scored **{abs(row['gap']):.0f} points {direction}** other students in {subject_words(row['subject'])} "
            f"({interval}; {abs(row['hedges_g']):.2f} standard deviations)"
        )
        key = (row["subject"], row["focal"], row["comparison"])
        if key in trends.index and trends.loc[key, "trend"]:
            sentence += "; " + gap_trend_words(trends.loc[key])
        lines.append(sentence + ".")
    return "\n".join(lines)


def confidence_level(release: Release) -> str:
    """The gaps' confidence level as a page says it: `90%` unless the params set another."""
    return f"{release.project.settings.gaps.confidence * 100:g}%"


def gap_labels(release: Release) -> dict[str, str]:
    return GAP_LABELS | {"gap_ci": f"{confidence_level(release)} confidence interval"}


def gap_chart_note(release: Release) -> str:
    return (
        f"Bars left of zero mean the group scores below the other students; the whiskers are {confidence_level(release)} confidence intervals. "
        "Groups under the privacy threshold are left out. A gap says where to look, not what causes it."
    )


GAP_SERIES_NOTE = (
    "Each value is the group's mean scale score minus the other students', in points, for all tested grades. Change is "
    "measured along the straight line through every year, with its 90% interval from each year's gap's own standard "
    "error; a gap is called closing or widening only when it moved toward or away from zero by at least 4 points and "
    "that interval excludes zero, otherwise no clear change. A gap resting on a few dozen students moves by ten points "
    "or more by chance alone. The group's students differ from year to year."
)


def gap_trend_words(trend: pd.Series) -> str:
    """How a gap moved, in words that agree with the numbers beside them: the change along the trend line with its
    90% interval, and a word (narrowing, widening) only where that interval excludes zero and the change reaches the
    smallest meaningful change (`trends`); never 'widened by 0 points'."""
    since = school_year(trend["first_year"])
    change = f"{signed_points(trend['change'])} points"
    if pd.notna(trend["change_low"]):
        change += f", 90% interval {interval_text(trend['change_low'], trend['change_high'])}"
    if trend["trend"] == NO_CLEAR_CHANGE:
        return f"no clear change since {since} ({change})"
    if trend["trend"] in ("closing", "widening"):
        return f"the gap has been {'narrowing' if trend['trend'] == 'closing' else 'widening'} since {since} ({change})"
    return f"how much the gap moved since {since} by chance is unknown ({change})"


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
    trends = trends[(trends["district_id"] == district_id) & (trends["grade"] == "ALL")].set_index(["subject", "focal", "comparison"])
    trends = trends.assign(change_interval=[interval_text(low, high) if pd.notna(low) else np.nan for low, high in zip(trends["change_low"], trends["change_high"])])
    table = values.join(trends[["change", "change_interval", "trend"]], on=["subject", "focal", "comparison"])
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
    return {"subject": "Subject", "group": "Group"} | years | {"change": "Change along the trend line (points)", "change_interval": "Change, 90% interval (points)", "trend": "Trend"}


def gap_series_formats(table: ProtectedTable) -> dict[str, str]:
    return {column: "{:+.1f}" for column in table.frame.columns if re.fullmatch(r"\d{4}–\d{2}", str(column))} | {"change": "{:+.1f}"}


def subject_name(code: str) -> str:
    """A subject as a heading: 'Math', 'English language arts', or the words params declare for it."""
    return SUBJECT_LABELS.get(code) or declared_subject(code).name


def subject_words(code: str) -> str:
    """How a subject reads inside a sentence: 'math', 'English language arts', or its declared short words."""
    return SUBJECT_LABELS[code] if code == "ELA" else declared_subject(code).short


def gap_chart(release: Release, district_id: str, subject: str = "MATH"):
    """Horizontal bars: each group's gap to the students outside it, with its confidence interval."""
    gaps = publishable(district_gaps(release, district_id), release.min_n)
    gaps = gaps[(gaps["subject"] == subject) & (gaps["comparison_kind"] == "complement")].sort_values("gap", kind="stable")
    fig, ax = figure(7.5, max(2.5, 0.4 * len(gaps) + 1))
    ax.barh(gaps["group"], gaps["gap"], color=[ACCENT if g < 0 else HIGHLIGHT for g in gaps["gap"]])
    ax.errorbar(gaps["gap"], gaps["group"], xerr=[gaps["gap"] - gaps["gap_ci_low"], gaps["gap_ci_high"] - gaps["gap"]], fmt="none", ecolor="black", capsize=3, linewidth=1)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"{subject_name(subject)}: group mean minus mean of all other students (scale points)")
    widest = gaps.iloc[0] if len(gaps) else None
    alt = f"Bar chart of {len(gaps)} student-group gaps in {subject_name(subject)} for {release.district_name(district_id)}" + (
        f"; the largest negative gap is {widest['group']} at {signed_points(widest['gap'])} points." if widest is not None else "."
    )
    return fig, alt


def subgroup_results(release: Release, district_id: str) -> ProtectedTable:
    outcomes = release.table("subgroup_outcomes")
    rows = outcomes[(outcomes["district_id"] == district_id) & (outcomes["school_year"] == release.latest_year) & (outcomes["grade"] == "ALL")]
    rows = rows[~rows["subgroup"].str.startswith("NOT_")].assign(group=lambda f: f["subgroup"].map(subgroup_label))
    rows = rows.sort_values(["subject", "group"], kind="stable")
    margin = norm.ppf(0.5 + CONFIDENCE / 2) * rows["sd_score"].astype(float) / np.sqrt(rows["n"].astype(float))
    table = rows.assign(mean_margin=margin)[["subject", "group", "n", "mean_score", "mean_margin", "sd_score", "pct_proficient"]]
    keys = [count_key("tested", district_id, release.latest_year, subject, "ALL", code) for subject, code in zip(rows["subject"], rows["subgroup"])]
    protected = protect(
        table,
        counts={"n": ["mean_score", "mean_margin", "sd_score", "pct_proficient"]},
        min_n=release.min_n,
        hidden={"n": rows["hidden"].astype(bool).to_numpy()},
        keys={"n": keys},
        percents={"pct_proficient": "n"},
    )
    if "figures_withheld" in rows:  # a revision of a few students' records (`revisions`): the counts stay
        protected.suppressed.loc[rows["figures_withheld"].astype(bool).to_numpy(), ["mean_score", "mean_margin", "sd_score", "pct_proficient"]] = True
        protected.coded = None if protected.coded is None else protected.coded.where(~protected.suppressed)
    return protected.of_school_year(release.latest_year)


RESULT_LABELS = {
    "subject": "Subject", "group": "Group", "n": "Students tested", "mean_score": "Mean score (points)", "mean_margin": "Mean margin, 90% (± points)",
    "sd_score": "SD (points)", "pct_proficient": "% proficient",
}
