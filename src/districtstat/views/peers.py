"""The peers page: the district's nearest peers, why they are its peers, and where it stands among them on every
indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from districtstat.site.charts import ACCENT, CONTEXT, HIGHLIGHT, figure
from districtstat.privacy.disclosure import STUDENT_GROUP_SHARES, STUDENT_RATES, ProtectedTable, protect
from districtstat.analyses.efficiency import PROFILE_LABELS, plain_term
from districtstat.analyses.indicators import INDICATORS, kpi_table
from districtstat.analyses.peers import base_column, peer_standing, why_peers
from districtstat.analyses.standing import ABOVE, BELOW, RECORD, SAMPLING, UNKNOWN, error_table
from districtstat.data.measures import PEER_MEASURES, without_missing
from districtstat.report import Release
from districtstat.views.common import BY_UNIT, SHARE_FORMATS, UNIT_WORDS, enrolled_keys, group_shares


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


def why_these_peers(release: Release, district_id: str) -> ProtectedTable:
    latest = release.latest_indicators
    features, _ = without_missing(release.project.settings.peers.numeric, list(release.left_out.loc[release.left_out["kind"] == "measure", "name"]))
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
    """The district's rank among its peers on every indicator with its 90% interval, once per release and district: a
    chart and a table show it."""

    def compute() -> pd.DataFrame:
        kpis = release.remember(("kpis",), lambda: kpi_table(release.history, release.latest_year))
        errors = release.remember(("kpi_errors",), lambda: error_table(release.history, release.latest_year))
        return peer_standing(kpis, district_id, release.peer_ids(district_id), errors)

    return release.remember(("standing", district_id), compute).copy()


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
        standing = standing.assign(rank_interval=[], unit=[])
    else:
        standing = standing.assign(
            unit=standing["code"].map(lambda code: UNIT_WORDS[INDICATORS[code].unit]),
            rank_interval=[rank_interval_text(row) for _, row in standing.iterrows()],
        )
    columns = ["area", "indicator", "unit", "district", "peer_median", "rank", "rank_interval", "of"]
    return protect(standing.reindex(columns=columns), counts={}, min_n=release.min_n).of_school_year(release.latest_year)


STANDING_LABELS = {
    "area": "Area",
    "indicator": "Indicator",
    "unit": "Unit",
    "district": "This district",
    "peer_median": "Peer median",
    "rank": "Rank (1 = best)",
    "rank_interval": "Rank, 90% interval",
    "of": "Of",
}
STANDING_FORMATS = {"district": BY_UNIT, "peer_median": BY_UNIT, "rank": "{:.0f}"}
STANDING_NOTE = (
    "Rank 1 is best among the district and its peers; spending is not ranked. The 90% interval is where the rank would "
    "land if each district's figure moved by chance as much as its students' results vary from one cohort to the next. "
    "A record of the whole district (buses, work orders, posts) is not a sample of students and has no such error, but "
    "districts count it in slightly different ways: a peer within the indicator's smallest meaningful difference (Methods) "
    "counts as about the same, and the interval runs over the ranks such peers leave open. Unknown: the data give no "
    "measure of that chance error (no standard deviation or exact count of students tested), so no rank is stated. The "
    "scorecard also ranks the district's gaps between student groups, which this table leaves out. A rank hides how "
    "close the districts are: check the values."
)


def standing_chart(release: Release, district_id: str):
    """Dot plot: the district against its peers' range on each KPI, as a percent of the peer median, coloured by what
    the interval of its standing supports: better or worse only where the whole 90% interval of its percentile is
    above or below the middle of its peers."""
    standing = standing_among_peers(release, district_id)
    standing = standing[(standing["peer_median"] > 0) & (standing["code"] != "efficiency_residual")]
    ratio = standing["district"] / standing["peer_median"] * 100 - 100
    fig, ax = figure(7.5, max(2.5, 0.4 * len(standing) + 1))
    colours = [{ABOVE: HIGHLIGHT, BELOW: ACCENT}.get(verdict, CONTEXT) for verdict in standing["standing"]]
    ax.barh(standing["indicator"], ratio, color=colours)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Percent above (+) or below (−) the peer median; blue = clearly better, orange = clearly worse")
    clear = int(standing["standing"].isin([ABOVE, BELOW]).sum())
    alt = (
        f"Bar chart comparing {release.district_name(district_id)} with the median of its {len(release.peer_ids(district_id))} peers on {len(standing)} indicators; "
        f"on {clear} of them the 90% interval of its standing lies wholly above or below the middle of its peers."
    )
    return fig, alt
