"""The peers page: the district's nearest peers, why they are its peers, and where it stands among them on every
indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from districtstat.site.charts import ACCENT, CONTEXT, HIGHLIGHT, grid_figure
from districtstat.privacy.disclosure import STUDENT_GROUP_SHARES, STUDENT_RATES, ProtectedTable, protect
from districtstat.analyses.efficiency import PROFILE_LABELS, plain_term
from districtstat.analyses.indicators import INDICATORS, kpi_table
from districtstat.analyses.peers import TRANSFORMED, base_column, peer_standing, why_peers
from districtstat.analyses.standing import ABOVE, BELOW, CONFIDENCE, RECORD, SAMPLING, UNKNOWN, error_table
from districtstat.data.measures import PEER_MEASURES, without_missing
from districtstat.report import ByRow, Release
from districtstat.views.common import (
    BY_UNIT,
    CHANGE_BY_UNIT,
    SHARE_FORMATS,
    UNIT_WORDS,
    change_interval_text,
    change_text,
    enrolled_keys,
    group_shares,
    interval_text,
    value_interval_text,
)


def peer_table(release: Release, district_id: str) -> ProtectedTable:
    peers = release.table("peers")
    chosen = peers[peers["district"] == district_id].copy()
    chosen["peer_name"] = chosen["peer"].map(release.district_name)
    latest = release.latest_indicators.set_index("district_id")
    chosen = chosen.join(latest[["enrollment", "pct_ecodis", "pct_el", "pct_swd", "locale"]], on="peer")
    table = chosen[["rank", "peer_name", "distance", "enrollment", "pct_ecodis", "pct_el", "pct_swd", "locale"]]
    protected = protect(
        table,
        counts={"enrollment": ["pct_ecodis", "pct_el", "pct_swd"]},
        min_n=release.min_n,
        hidden={"enrollment": release.enrollment_hidden(chosen["peer"].tolist())},
        keys={"enrollment": enrolled_keys(release, chosen["peer"])},
        shares=group_shares(table),
    )
    if not release.enrollment_reported:
        protected = protected.without(["enrollment"])
    protected = protected.with_note(release.left_out_note(kinds=("measure", "peer_feature"), measures=PEER_MEASURES))
    return protected.naming_districts(chosen["peer"], "peer_name").of_school_year(release.latest_year)


PEER_LABELS = {"rank": "Rank", "peer_name": "Peer district", "distance": "Distance (SD units)", "enrollment": "Students", "pct_ecodis": "% econ. disadv.", "pct_el": "% English learners", "pct_swd": "% with disabilities", "locale": "Locale"}
PEER_FORMATS = {"distance": "{:.2f}", "enrollment": "{:,.0f}", **SHARE_FORMATS}


# A transformed feature shown back on its own scale: the inverse of its transform, and what the peers' average becomes.
INVERSES = {"log": (np.exp, "geometric mean"), "log10": (lambda x: np.power(10.0, x), "geometric mean"), "log2": (np.exp2, "geometric mean"), "sqrt": (np.square, "average on a square-root scale")}
FEATURE_UNITS = {"enrollment": "students", "per_pupil_spending": "$ per pupil", **{code: "%" for code in STUDENT_GROUP_SHARES}}


def why_these_peers(release: Release, district_id: str) -> ProtectedTable:
    """The district's characteristics beside its peers' average, each in its own unit: a size matched on its log is
    shown in students (the peers' figure their geometric mean, the average the matching used), a share of students in
    %. The difference stays in standard deviations of the scale the peers were matched on."""
    latest = release.latest_indicators
    features, _ = without_missing(release.project.settings.peers.numeric, list(release.left_out.loc[release.left_out["kind"] == "measure", "name"]))
    table = why_peers(latest, district_id, release.peer_ids(district_id), features)
    enrollment = float(latest.set_index("district_id").loc[district_id, "enrollment"])
    rates = [enrollment if feature in STUDENT_RATES else float("nan") for feature in table["feature"]]
    shares = [enrollment if feature in STUDENT_GROUP_SHARES else float("nan") for feature in table["feature"]]
    size_hidden = bool(release.enrollment_hidden([district_id])[0])  # then its size and its shares are hidden everywhere
    codes = [base_column(feature) for feature in table["feature"]]
    sizes = np.array([code in ("enrollment", "log_enrollment", *STUDENT_GROUP_SHARES) for code in codes]) & size_hidden
    averages = []
    for i, feature in enumerate(table["feature"]):
        transform = TRANSFORMED.match(feature)
        inverse, average = INVERSES[transform[1]] if transform else (None, "average")
        if inverse is not None:
            table.loc[i, ["district", "peer_average"]] = inverse(table.loc[i, ["district", "peer_average"]].astype(float))
        averages.append(average)
    table["unit"] = [FEATURE_UNITS.get(code, "") for code in codes]
    table["feature"] = [
        feature_label(feature, code, average) for feature, code, average in zip(table["feature"], codes, averages)
    ]
    table = table[["feature", "unit", "district", "peer_average", "difference_sd", "flag"]]
    protected = protect(table, counts={}, min_n=release.min_n, percents={"district": rates}, shares={"district": shares})
    protected.suppressed["district"] |= sizes
    peers = release.peer_ids(district_id)
    protected.suppressed["peer_average"] |= np.array([bool(release.withheld_figures(peers, code).any()) for code in codes], dtype=bool)  # with the other peers' figures shown, the average gives a hidden one back
    withheld = protected.coded["district"].notna().to_numpy() | protected.suppressed["district"].to_numpy() | protected.suppressed["peer_average"].to_numpy()
    protected.suppressed["difference_sd"] |= withheld  # it would give the value back
    protected.suppressed["flag"] |= protected.suppressed["difference_sd"]  # "≥ 1 SD" (or blank) bounds the hidden difference
    return protected.of_school_year(release.latest_year)


def feature_label(feature: str, code: str, average: str) -> str:
    """A characteristic as a board member names it; one matched on a transformed scale says so, and what its peers'
    figure is: `Enrollment (matched on a log scale; peers: geometric mean)`, shown in students."""
    transform = TRANSFORMED.match(feature)
    if transform is None:
        label = FEATURE_LABELS.get(feature) or plain_term(feature)
        return label[:1].upper() + label[1:]
    name = FEATURE_LABELS.get(code) or plain_term(code)
    scale = "a log scale" if transform[1].startswith("log") else "a square-root scale"
    return f"{name[:1].upper() + name[1:]} (matched on {scale}; peers: {average})"


FEATURE_LABELS = {column: label[:1].upper() + label[1:] for column, label in PROFILE_LABELS.items()} | {"per_pupil_spending": "Spending per pupil"}


def feature_value(value: float, row, average: bool = False) -> str:
    """A characteristic in its own unit: `321 students`, `about 1,280 students` for the peers' average of a size
    (three significant figures: it is a geometric mean, not a count), `46%`."""
    unit = row["unit"]
    if unit == "students":
        if average and value >= 1000:
            return f"about {round(value, 2 - int(np.floor(np.log10(value)))):,.0f} students"
        return f"{'about ' if average else ''}{value:,.0f} students"
    if unit == "%":
        return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"
    if unit == "$ per pupil":
        return f"${value:,.0f}"
    return f"{value:,.2f}"


WHY_LABELS = {"feature": "Characteristic", "unit": "Unit", "district": "This district", "peer_average": "Peer average", "difference_sd": "Difference (SD units)", "flag": "Notable"}
WHY_FORMATS = {"difference_sd": "{:+.2f}", "district": ByRow(feature_value), "peer_average": ByRow(lambda value, row: feature_value(value, row, average=True))}


def standing_among_peers(release: Release, district_id: str) -> pd.DataFrame:
    """The district's rank among its peers on every indicator with its 90% interval, once per release and district: a
    chart and a table show it."""

    def compute() -> pd.DataFrame:
        kpis, errors = consortium_kpis(release)
        return peer_standing(kpis, district_id, release.peer_ids(district_id), errors)

    return release.remember(("standing", district_id), compute).copy()


def consortium_kpis(release: Release) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every district's latest indicators and their standard errors, once per release: each district's standing reads them."""
    kpis = release.remember(("kpis",), lambda: kpi_table(release.history, release.latest_year))
    errors = release.remember(("kpi_errors",), lambda: error_table(release.history, release.latest_year))
    return kpis, errors


def rank_interval_text(row) -> object:
    """The rank's 90% interval as a cell: `2 to 5`, for a record of the whole district the ranks it could take with
    the peers within its smallest meaningful difference about the same; `unknown` where the figure rests on students
    and the data give no measure of its chance error."""
    if row["uncertainty"] in (SAMPLING, RECORD) and pd.notna(row["best"]):
        return f"{row['best']:.0f} to {row['worst']:.0f}"
    return {UNKNOWN: "unknown"}.get(row["uncertainty"], np.nan)


def standing_table(release: Release, district_id: str) -> ProtectedTable:
    standing = standing_among_peers(release, district_id)
    if standing.empty:
        standing = standing.assign(rank_interval=[], unit=[], interval=[], difference_interval=[])
    else:
        units = standing["code"].map(lambda code: INDICATORS[code].unit)
        standing = standing.assign(
            unit=units.map(UNIT_WORDS),
            interval=[value_interval_cell(release, district_id, row, unit) for (_, row), unit in zip(standing.iterrows(), units)],
            difference_interval=[difference_interval_cell(row, unit) for (_, row), unit in zip(standing.iterrows(), units)],
            rank_interval=[rank_interval_text(row) for _, row in standing.iterrows()],
        )
    columns = ["area", "indicator", "unit", "district", "interval", "peer_median", "difference", "difference_interval", "rank", "rank_interval", "of"]
    return protect(standing.reindex(columns=columns), counts={}, min_n=release.min_n).of_school_year(release.latest_year)


def value_interval_cell(release: Release, district_id: str, row, unit: str) -> object:
    """The district's figure's 90% interval: from its standard error, the efficiency residual's prediction interval,
    `exact` for a record (no sampling error), `unknown` where the data give no measure of its chance error."""
    if row["code"] == "efficiency_residual":
        fit = release.table("efficiency").set_index("district_id") if release.has_table("efficiency") else None
        return interval_text(fit.loc[district_id, "pi_low"], fit.loc[district_id, "pi_high"]) if fit is not None and district_id in fit.index else "unknown"
    if pd.isna(row["se"]):
        return "unknown"
    if row["se"] == 0:
        return "exact"
    half = norm.ppf(0.5 + CONFIDENCE / 2) * row["se"]
    return value_interval_text(row["district"] - half, row["district"] + half, unit)


def difference_interval_cell(row, unit: str) -> object:
    """The difference from the peer median's 90% interval: `exact` where every figure is a record."""
    if pd.isna(row["difference"]):
        return np.nan
    if pd.isna(row["difference_low"]):
        return "unknown"
    if row["difference_low"] == row["difference_high"]:
        return "exact"
    return change_interval_text(row["difference_low"], row["difference_high"], unit)


STANDING_LABELS = {
    "area": "Area",
    "indicator": "Indicator",
    "unit": "Unit",
    "district": "This district",
    "interval": "This district, 90% interval",
    "peer_median": "Peer median",
    "difference": "Difference from the peer median",
    "difference_interval": "Difference, 90% interval",
    "rank": "Rank (1 = best)",
    "rank_interval": "Rank, 90% interval",
    "of": "Of",
}
STANDING_FORMATS = {"district": BY_UNIT, "peer_median": BY_UNIT, "difference": CHANGE_BY_UNIT, "rank": "{:.0f}"}
STANDING_NOTE = (
    "Rank 1 is best among the district and its peers; spending is not ranked. Each 90% interval is where the figure, its "
    "difference from the peer median or its rank would land if each district's figure moved by chance as much as its "
    "students' results vary from one cohort to the next; for points above or below prediction, the model's 90% prediction "
    "interval, and it is not compared with peers. A record of the whole district (buses, work orders, posts) is not a "
    "sample of students and has no such error (exact), but districts count it in slightly different ways: for its rank, "
    "a peer within the indicator's smallest meaningful difference (Methods) counts as about the same, and the interval "
    "runs over the ranks such peers leave open. Unknown: the data give no measure of that chance error (no standard "
    "deviation or exact count of students tested), so no rank is stated. The scorecard also ranks the district's gaps "
    "between student groups, which this table leaves out. A rank hides how close the districts are: check the values."
)

# The chart's panels: one per unit, each on its own axis, since points, percentage points, days and dollars cannot share one.
CHART_UNITS = {"points": "points", "%": "percentage points", "days": "days", "$": "$ per pupil"}


def standing_chart(release: Release, district_id: str):
    """Bars: the district's difference from its peers' median on each indicator, in the indicator's own unit (points
    for scores, percentage points for rates, days, dollars), one panel per unit, with the difference's 90% interval
    as a line; coloured by what the interval of its standing supports: better or worse only where the whole 90%
    interval of its percentile is above or below the middle of its peers."""
    standing = standing_among_peers(release, district_id)
    standing = standing[standing["difference"].notna()]
    if standing.empty:
        return None, "no indicator of this district can be compared with its peers' median."
    standing = standing.assign(unit=standing["code"].map(lambda code: INDICATORS[code].unit))
    panels = [unit for unit in CHART_UNITS if (standing["unit"] == unit).any()]
    sizes = [int((standing["unit"] == unit).sum()) for unit in panels]
    gap, top, bottom = 0.7, 0.15, 0.55  # inches: between panels (a panel's axis label), above and below
    height = 0.32 * sum(sizes) + 0.25 * len(panels) + gap * (len(panels) - 1) + top + bottom
    fig, axes = grid_figure(len(panels), 1, 7.5, height, height_ratios=[size + 0.8 for size in sizes])
    average = (height - top - bottom - gap * (len(panels) - 1)) / len(panels)
    fig.subplots_adjust(left=0.36, right=0.97, top=1 - top / height, bottom=bottom / height, hspace=gap / average)
    for ax, unit, size in zip(axes.flat, panels, sizes):
        rows = standing[standing["unit"] == unit].iloc[::-1]
        colours = [{ABOVE: HIGHLIGHT, BELOW: ACCENT}.get(verdict, CONTEXT) for verdict in rows["standing"]]
        ax.barh(rows["indicator"], rows["difference"], color=colours)
        spread = rows[rows["difference_low"].notna() & (rows["difference_low"] < rows["difference_high"])]
        ax.errorbar(spread["difference"], spread["indicator"], xerr=[spread["difference"] - spread["difference_low"], spread["difference_high"] - spread["difference"]],
                    fmt="none", ecolor="black", elinewidth=1, capsize=3)  # fmt: skip
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel(f"Difference from the peer median ({CHART_UNITS[unit]})")
        if unit == "$":
            ax.xaxis.set_major_formatter(lambda x, _: f"{'−' if x < 0 else '+' if x > 0 else ''}${abs(x):,.0f}")
    clear = int(standing["standing"].isin([ABOVE, BELOW]).sum())
    described = "; ".join(f"{row['indicator']} {change_text(row['difference'], row['unit'])}" for _, row in standing.iterrows())
    alt = (
        f"Bar charts comparing {release.district_name(district_id)} with the median of its {len(release.peer_ids(district_id))} peers on {len(standing)} indicators, "
        f"one panel per unit, each bar the difference from the peer median with its 90% interval: {described}. "
        f"On {clear} of them the 90% interval of its standing lies wholly above or below the middle of its peers."
    )
    return fig, alt
