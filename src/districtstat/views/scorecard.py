"""The scorecard page: every indicator of each area over every school year beside the peers' median and the goal,
as small charts and tables, the district's standing among its peers, and the lead sentence."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd
from scipy.stats import norm

from districtstat.site.charts import ACCENT, HIGHLIGHT, SMALLEST_TEXT, drawn_ticks, figure, grid_figure
from districtstat.privacy.disclosure import ProtectedTable, count_key, protect
from districtstat.analyses.efficiency import in_sentence
from districtstat.data.aggregate import subgroup_label
from districtstat.data.subjects import subject_words
from districtstat.analyses.scorecard import describe, meaningful_change, peer_ranked, scorecard, yearly_series
from districtstat.analyses.standing import ABOVE, BELOW, CONFIDENCE, MIDDLE, RECORD, SAMPLING, UNKNOWN, uncertainty_of
from districtstat.report import Release
from districtstat.analyses.trends import NO_CLEAR_CHANGE
from districtstat.views.common import BY_UNIT, CHANGE_BY_UNIT, UNIT_WORDS, change_interval_text, interval_text, school_year, value_interval_text, value_text


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
    intervals = [percentile_interval_text(row) for _, row in card.iterrows()]
    changes = [change_interval_cell(row) for _, row in card.iterrows()]
    latest_intervals = [latest_interval_cell(release, district_id, row) for _, row in card.iterrows()]
    table = table.assign(latest_interval=latest_intervals, change=card["change"], change_interval=changes, trend=card["trend"])
    table = table.assign(peer_percentile=[percentile_cell(row) for _, row in card.iterrows()], percentile_interval=intervals)
    table = table.assign(goal=card["goal"], status=card["status"], n=card["n"])
    kept = [c for c in table.columns if table[c].notna().any() or (c in withheld.columns and withheld[c].any())]
    table = table[kept]
    latest = school_year(release.latest_year)
    dependent = [c for c in (latest, "latest_interval", "change", "change_interval", "peer_percentile", "percentile_interval") if c in table.columns]
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


def percentile_cell(row) -> object:
    """The peer percentile as a cell, worded at its ends so that 0 cannot read as a score of zero: `0 (behind every
    peer)`, `0 (tied with the last)`, `100 (ahead of every peer)`; NaN where no percentile is stated."""
    percentile = row["peer_percentile"]
    if pd.isna(percentile):
        return np.nan
    if round(percentile) == 100:
        return "100 (ahead of every peer)"
    if round(percentile) == 0:
        return "0 (behind every peer)" if row["rank"] == row["peers"] + 1 else "0 (tied with the last)"
    return f"{percentile:.0f}"


def percentile_interval_text(row) -> object:
    """The peer percentile's 90% interval as a cell: `35 to 88`, for a record of the whole district the percentiles it
    could take with the peers within its smallest meaningful difference about the same; `unknown` where the figure
    rests on students and the data give no measure of its chance error."""
    if row["uncertainty"] in (SAMPLING, RECORD) and pd.notna(row["percentile_low"]):
        return f"{row['percentile_low']:.0f} to {row['percentile_high']:.0f}"
    return {UNKNOWN: "unknown"}.get(row["uncertainty"], np.nan)


def latest_interval_cell(release: Release, district_id: str, row) -> object:
    """The latest figure's 90% interval as a cell, in its unit: `504.6 to 512.8` from its standard error; the
    efficiency residual's 90% prediction interval; `exact` for a record of the whole district (no sampling error);
    `unknown` where the figure rests on students and the data give no measure of its chance error."""
    if row["withheld"] or pd.isna(row["value"]):
        return np.nan
    if row["code"] == "efficiency_residual":
        if not release.has_table("efficiency"):
            return "unknown"
        fit = release.table("efficiency").set_index("district_id")
        return interval_text(fit.loc[district_id, "pi_low"], fit.loc[district_id, "pi_high"]) if district_id in fit.index else "unknown"
    kind = uncertainty_of(row["code"], row["se"])
    if kind == RECORD:
        return "exact"
    if kind != SAMPLING:
        return "unknown"
    half = norm.ppf(0.5 + CONFIDENCE / 2) * row["se"]
    return value_interval_text(row["value"] - half, row["value"] + half, row["unit"])


def change_interval_cell(row) -> object:
    """The change's 90% interval as a cell, in the change's unit: `−13.0 to +3.5`; `exact` for a record of the whole
    district, which has no sampling error; `unknown` where the figure rests on students and a year's error is unknown."""
    if pd.isna(row["change"]):
        return np.nan
    if pd.isna(row["change_low"]):
        return "unknown"
    if row["change_low"] == row["change_high"]:
        return "exact"
    return change_interval_text(row["change_low"], row["change_high"], row["unit"])


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
    "latest_interval": "Latest year, 90% interval",
    "change": "Change (trend line)",
    "change_interval": "Change, 90% interval",
    "trend": "Trend",
    "peer_percentile": "Peer percentile (0–100)",
    "percentile_interval": "Peer percentile, 90% interval (0–100)",
    "goal": "Goal",
    "status": "Goal status",
    "n": "Students in group",
}
SCORECARD_FORMATS = {"n": "{:,.0f}"}


def scorecard_lead(release: Release, district_id: str) -> str:
    card = district_scorecard(release, district_id)
    with_goals = card[card["status"] != ""]
    lines = [f"**{release.district_name(district_id)}, {school_year(release.latest_year)}.**"]
    if len(with_goals):
        met = with_goals[with_goals["status"] == "met"]
        lines.append(f"It meets {len(met)} of its {len(with_goals)} goals" + (f" ({', '.join(met['indicator'].map(in_sentence))})." if len(met) else "."))
    else:
        lines.append("No goals are set for this district in this release.")
    lines += standing_sentences(card)
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
    lines += trend_sentences(card)
    return " ".join(lines)


IMPROVED, WORSENED = ("improving", "closing"), ("worsening", "widening")


def trend_sentences(card: pd.DataFrame) -> list[str]:
    """The lead's tally of how the indicators moved, by the one rule of `trends`, in counts that add up: the indicators
    with a better direction (improved, worsened, no clear change, or no known margin of error), then the spending
    lines, where more is neither better nor worse. The efficiency residual, with one year, has no change to tally."""
    moved = card[card["change"].notna()]
    if moved.empty:
        return []
    first = school_year(int(moved["since"].min()))
    spending = moved[moved["code"].map(lambda code: describe(code)[2] == "neither")]
    directed = moved.drop(spending.index)
    lines = []
    if len(directed):
        counts = [
            (directed["trend"].isin(IMPROVED).sum(), "improved", "improved"),
            (directed["trend"].isin(WORSENED).sum(), "worsened", "worsened"),
            ((directed["trend"] == NO_CLEAR_CHANGE).sum(), "shows no clear change", "show no clear change"),
            ((directed["trend"] == "").sum(), "has no known margin of error for its change", "have no known margin of error for their change"),
        ]
        said = [f"{count} {one if count == 1 else many}" for count, one, many in counts if count or one in ("improved", "worsened")]
        lines.append(
            f"Since {first}, of its {indicators_count(len(directed))} with a better direction, {listed(said)} "
            "(judged by each change's 90% interval and smallest meaningful change)."
        )
    if len(spending):
        up, down = (spending["trend"] == "up").sum(), (spending["trend"] == "down").sum()
        lines.append(
            f"Of its {len(spending)} spending line{'' if len(spending) == 1 else 's'} per pupil, {up} rose, {down} fell and "
            f"{len(spending) - up - down} show{'s' if len(spending) - up - down == 1 else ''} no clear change (more spending is neither better nor worse by itself)."
        )
    return lines


def listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def with_unit(value: float, unit: str) -> str:
    """A value as a sentence says it, with its unit: `512.2 points`, `20%`, `2.7 days`, `$1,286 per pupil`."""
    if unit == "$":
        return f"{value_text(value, unit)} per pupil"
    if unit == "%":
        return value_text(value, unit)
    return f"{value_text(value, unit)} {UNIT_WORDS.get(unit, unit)}"


NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}


def extreme_words(row) -> str:
    """`slowest of the six districts: ` where the whole 90% interval puts the district behind (or ahead of) every peer
    (percentile 0 to 0, or 100 to 100), in words of the value itself; '' where it does not, which is no verdict."""
    if row["percentile_high"] == 0:
        worst = True
    elif row["percentile_low"] == 100:
        worst = False
    else:
        return ""
    _, _, better = describe(row["code"])
    largest = worst == (better == "lower") if better != "closer_to_zero" else worst
    if str(row["code"]).startswith("gap."):
        word = "widest gap" if largest else "narrowest gap"
    elif row["unit"] == "days":
        word = "slowest" if largest else "fastest"
    else:
        word = "highest" if largest else "lowest"
    districts = int(row["peers"]) + 1
    return f"{word} of the {NUMBER_WORDS.get(districts, districts)} districts: "


# A group as a sentence names its students, where its label is an adjective.
GROUP_STUDENTS = {"CHRONIC_ABSENT": "chronically absent students", "ECODIS": "economically disadvantaged students"}


def sentence_label(row) -> str:
    """An indicator as a sentence names it; a gap as `the gap in ELA of students with disabilities`."""
    if not str(row["code"]).startswith("gap."):
        return in_sentence(row["indicator"])
    _, group, subject = str(row["code"]).split(".")
    return f"the gap in {subject_words(subject).short} of {GROUP_STUDENTS.get(group) or in_sentence(subgroup_label(group))}"


def against_peers(row) -> str:
    """An indicator's standing in concrete words with its units: `mean math scale score (508.7 points against a peer
    median of 494.6 points)`, `days to close a work order (slowest of the six districts: 11.3 days against a peer median
    of 7.6 days)`."""
    unit = row["unit"]
    return f"{sentence_label(row)} ({extreme_words(row)}{with_unit(row['value'], unit)} against a peer median of {with_unit(row['peer_median'], unit)})"


def indicators_count(n: int) -> str:
    return f"{n} indicator{'' if n == 1 else 's'}"


# At most this many indicators are named with their values on one side of the middle, and at most MOST_LISTED by name
# alone; more are counted by area. None is picked out of the others.
MOST_NAMED, MOST_LISTED = 3, 5
AREA_WORDS = {"Student outcomes": ("student outcome", "student outcomes"), "Equity": ("gap between student groups", "gaps between student groups"),
              "Finance": ("finance figure", "finance figures"), "Operations": ("operations record", "operations records")}  # fmt: skip


def standing_clause(rows: pd.DataFrame, side: str, full: bool = True) -> str:
    """`clearly above the middle of its peers on 2: X (…) and Y (…)`: how many indicators stand clearly on one side,
    each named with its value and the peer median, in the card's order (no one of them is picked as the best); more
    than `MOST_NAMED` are named without their values, more than `MOST_LISTED` counted by area."""
    where = f"clearly {side} the middle" + (" of its peers" if full else "")
    if rows.empty:
        return f"{where} on none"
    if MOST_NAMED < len(rows) <= MOST_LISTED:
        return f"{where} on {len(rows)}: " + listed([sentence_label(row) for _, row in rows.iterrows()]) + " (the tables below give each against its peer median)"
    if len(rows) > MOST_LISTED:
        by_area = rows.groupby("area", observed=True, sort=True).size()
        return f"{where} on {len(rows)}: " + listed([f"{count} {AREA_WORDS[str(area)][count != 1]}" for area, count in by_area.items()])
    return f"{where} on {len(rows)}: " + listed([against_peers(row) for _, row in rows.iterrows()])


def ranked_words(ranked: pd.DataFrame) -> str:
    """What the ranked indicators are, so the count agrees with the peers page, which leaves the gaps out."""
    gaps = int(ranked["code"].str.startswith("gap.").sum())
    others = len(ranked) - gaps
    if not gaps:
        return f"{indicators_count(len(ranked))}, those on its peers page"
    if not others:
        return f"{indicators_count(len(ranked))}, all gaps between student groups"
    return f"{indicators_count(len(ranked))}: the {others} on its peers page and {gaps} gap{'' if gaps == 1 else 's'} between student groups"


def standing_sentences(card: pd.DataFrame) -> list[str]:
    """The lead's sentences on the district's standing among its peers, by the one rule of `standing`: an indicator is
    said to stand above (or below) the middle of its peers only where the whole 90% interval of its percentile lies
    above (below) 50, and is then named with its value and its peers' median in its unit, never picked out as the best
    of several; the others are counted as not told apart from the middle, and the figures whose chance error the data
    do not give are named as having no stated standing. Every count adds up to the indicators ranked."""
    ranked = card[card["standing"].isin([ABOVE, BELOW, MIDDLE])]
    above, below, middle = (ranked[ranked["standing"] == side] for side in (ABOVE, BELOW, MIDDLE))
    lines = []
    if len(ranked):
        peers = int(ranked["peers"].max())
        lines.append(f"It is ranked against its {NUMBER_WORDS.get(peers, peers) if peers > 1 else 'one'} peer{'' if peers == 1 else 's'} on {ranked_words(ranked)}.")
    if len(above) or len(below):
        sides = [(rows, side) for rows, side in ((above, "above"), (below, "below")) if len(rows)]
        lines += [f"It stands {standing_clause(rows, side, full=i == 0)}." for i, (rows, side) in enumerate(sides)]
        if len(middle):
            others, whose = ("the one other indicator", "its") if len(middle) == 1 else (f"the other {indicators_count(len(middle))}", "each one's")
            lines.append(f"On {others} its standing cannot be told apart from the middle ({whose} 90% interval includes 50%).")
    elif len(middle):
        every, whose = ("the one indicator", "its") if len(middle) == 1 else (f"all {indicators_count(len(middle))}", "each one's")
        lines.append(f"On {every} its standing cannot be told apart from the middle of its peers ({whose} 90% interval includes 50%).")
    unknown = card[card["uncertainty"] == UNKNOWN]
    if len(unknown):
        names = list(unknown["indicator"].map(in_sentence))
        which = (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]) if len(names) <= 3 else f"{len(names)} figures"
        lines.append(
            f"No standing among peers is stated for {which}: the data give no measure of how much {'it' if len(unknown) == 1 else 'they'} "
            "would vary by chance (no standard deviation or exact count of the students tested)."
        )
    return lines


AREA_NOTES = {
    "Student outcomes": "A change over two or three years may be normal variation: a few hundred students' results move by chance from one cohort to the next, so the trend word needs a change whose 90% interval excludes zero and that reaches at least 4 points on a scale score or 2 percentage points on a percentage.",
    "Equity": "Each gap is the group's mean score minus the other students', in points; closing means it moved toward zero by at least 4 points and the 90% interval of that change excludes zero. A gap resting on a few dozen students moves a lot by chance. Groups under the privacy threshold are left out. A gap can close because the other students fell back.",
    "Finance": "Spending is not ranked: more is neither better nor worse by itself. Points above or below prediction is the efficiency residual, in scale points, with its 90% prediction interval: it describes and does not explain, it is never ranked among peers, and only an interval that excludes zero sets the district apart from what its spending and needs predict (the spending and results page says whether it does).",
    "Operations": "For days and vacancies lower is better; the peer percentile already takes that into account. These are the district's records of every bus, work order and post, not a sample of students, so they have no sampling error; but districts count them in slightly different ways, so a peer within the indicator's smallest meaningful difference (Methods lists each: 1 percentage point of staff attendance, half a day for a help-desk ticket) counts as about the same, and the interval runs over the places such peers leave open.",
}


PERCENTILE_NOTE = (
    "Peer percentile is the share of peer districts this district does better than, in the latest year (0 to 100). Its 90% "
    "interval is where it would land if each district's figure moved by chance as much as its students' results vary "
    "from one cohort to the next; for a record of the whole district, which has no sampling error, it counts every peer "
    "within the smallest meaningful difference as about the same. Only where the whole interval is above or below 50 "
    "does the district stand clearly above or below the middle of its peers. Unknown: the data give no measure of that "
    "chance error, so no percentile is stated."
)


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
        how_to_read="Change is measured along the straight line through every year shown, in the indicator's unit (percentage points for a percentage), with its 90% interval: how far it could be from the true change by chance alone, with each year's students one cohort of many. "
        "Improving or worsening (closing or widening for a gap, up or down for spending) only where that interval excludes zero and the change reaches the indicator's smallest meaningful change (Methods lists each); otherwise no clear change. Exact: a record of the whole district, with no sampling error. "
        + PERCENTILE_NOTE
        + " "
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
    for ax in axes.flat[: len(codes)]:  # once the axes have their final size, which sets how many ticks fit
        drawn_ticks(ax, years, [school_year(y) for y in years])
    alt = f"Small line charts of {len(codes)} {area.lower()} indicators for {release.district_name(district_id)} over {len(years)} school years, with the peers' median: " + "; ".join(described) + "."
    return fig, alt


def scorecard_chart(release: Release, district_id: str):
    """Dot chart: the district's percentile among its peers on every ranked indicator, by area, with its 90% interval
    as a line through the dot (none for a record, which has no sampling error)."""
    card = district_scorecard(release, district_id).dropna(subset=["peer_percentile"])
    if card.empty:
        return None, "no indicator can be ranked against peers with a known margin of error in this dataset."
    fig, ax = figure(7.5, max(3, 0.32 * len(card) + 1))
    colours = {area: colour for area, colour in zip(["Student outcomes", "Equity", "Finance", "Operations"], [HIGHLIGHT, ACCENT, "#029e73", "#cc78bc"])}
    for area, rows in card.groupby("area", observed=True, sort=False):
        spread = [rows["peer_percentile"] - rows["percentile_low"], rows["percentile_high"] - rows["peer_percentile"]]
        ax.errorbar(rows["peer_percentile"], rows["indicator"], xerr=spread, fmt="none", ecolor=colours[area], elinewidth=1.6, capsize=0, zorder=2)
        ax.scatter(rows["peer_percentile"], rows["indicator"], color=colours[area], s=60, edgecolor="black", linewidth=0.4, label=area, zorder=3)
    ax.axvline(50, color="black", linewidth=0.8, linestyle="--")
    ax.set_xlim(-5, 105)
    ax.set_xlabel("Percent of peers this district does better than, with 90% interval (50 = middle of its peers)")
    height = max(3, 0.32 * len(card) + 1)
    fig.subplots_adjust(bottom=1.0 / height)
    fig.legend(loc="lower center", bbox_to_anchor=(0.5, 0), ncol=4, fontsize=8, frameon=False)
    clear = int(card["standing"].isin([ABOVE, BELOW]).sum())
    alt = (
        f"Dot chart of {release.district_name(district_id)}'s standing among its peers on {len(card)} indicators in four areas, each with its 90% interval; "
        f"on {clear} of them the whole interval lies to the right (clearly better than most peers) or left (clearly worse) of the dashed middle line."
    )
    return fig, alt
