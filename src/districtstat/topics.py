"""Topics of the quarter (StatNet): every district compared on one theme the consortium chose to discuss.

A topic names indicators (spending on benefits, out-of-district placements, buses on time, chronic absence …)
and questions. Its page ranks all districts on each indicator, marks a district's peers, and ends with the
questions for the meeting; the numbers start the conversation, they do not settle it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .charts import CONTEXT, district_points, figure
from .config import Topic
from .disclosure import ProtectedTable, count_key, protect
from .indicators import INDICATORS, Indicator, rank_best_first
from .report import Release
from .views import UNIT_WORDS, interval_text, model_can_rank

TOPIC_LABELS = {"district_name": "District", "region": "Region", "enrollment": "Students", "value": "Value", "rank": "Rank (1 = best)", "peer_median": "Peer median", "vs_peers": "Difference from peers"}


def topic(release: Release, topic_id: str) -> Topic:
    topics = {t.id: t for t in release.project.settings.topics}
    if topic_id not in topics:
        raise KeyError(f"topic {topic_id!r} is not in the params' topics ({', '.join(topics) or 'none'})")
    return topics[topic_id]


def latest_values(release: Release, code: str) -> pd.DataFrame:
    """Each district's value of one indicator in the latest year that indicator is reported (finance runs on fiscal years)."""
    history = release.history[release.history["code"] == code]
    if history.empty:
        return pd.DataFrame(columns=["district_id", "value"])
    latest = history[history["school_year"] == history["school_year"].max()]
    return latest[["district_id", "value", "school_year"]].reset_index(drop=True)


def model_ranks(release: Release, code: str) -> bool:
    """Whether a figure that only a model gives (the efficiency residual) may be ranked this release."""
    return INDICATORS[code].peer_ranked or model_can_rank(release)


def ranked(release: Release, code: str) -> pd.DataFrame:
    """Every publishable district on one indicator: value, rank (1 = best, or highest when neither direction is
    better) and the median of its peers. Districts under `min_n` students are left out before ranking, so neither
    a gap in the ranks nor a peer median can tell anything about them. The efficiency residual carries its
    prediction interval, and is ranked (on its size-adjusted value) only when the model can rank districts."""

    def compute() -> pd.DataFrame:
        indicator = INDICATORS[code]
        profile = release.latest_indicators[["district_id", "district_name", "region", "enrollment"]]
        table = profile[profile["district_id"].isin(release.publishable_districts)].merge(latest_values(release, code), on="district_id", how="inner")
        if table.empty:
            return table
        basis = table["value"]
        if code == "efficiency_residual":
            efficiency = release.table("efficiency").set_index("district_id")
            table["interval"] = [interval_text(low, high) for low, high in zip(efficiency["pi_low"].reindex(table["district_id"]), efficiency["pi_high"].reindex(table["district_id"]))]
            basis = efficiency["shrunk_residual"].reindex(table["district_id"]).reset_index(drop=True)
        table["rank"] = rank_best_first(basis, indicator.better if indicator.better != "neither" else "higher") if model_ranks(release, code) else np.nan
        by_district = table.set_index("district_id")["value"]
        table["peer_median"] = [by_district.reindex(release.peer_ids(d)).median() for d in table["district_id"]]
        table["vs_peers"] = table["value"] - table["peer_median"]
        return table.sort_values(["value", "district_id"] if table["rank"].isna().all() else ["rank", "district_id"], ascending=True, kind="stable").reset_index(drop=True)

    return release.remember(("topic", code), compute).copy()


def topic_table(release: Release, code: str) -> ProtectedTable:
    table = ranked(release, code)
    columns = ["district_name", "region", "enrollment", "value", "interval", "rank", "peer_median", "vs_peers"]
    columns = [c for c in columns if c in table.columns and (c != "rank" or table["rank"].notna().any())] if not table.empty else columns[:4]
    districts, years = list(table.get("district_id", [])), list(table.get("school_year", []))
    keys = {"enrollment": [count_key("enrolled", district, release.latest_year) for district in districts]}
    table = table[columns] if not table.empty else pd.DataFrame(columns=columns)
    hidden = {"enrollment": release.enrollment_hidden(districts)}
    dependent = [c for c in columns if c not in ("district_name", "region", "enrollment")]
    return protect(table, counts={"enrollment": dependent}, min_n=release.min_n, hidden=hidden, keys=keys).naming_districts(districts).of_school_year(years)


def table_labels(code: str) -> dict[str, str]:
    unit = UNIT_WORDS.get(INDICATORS[code].unit, INDICATORS[code].unit)
    difference = "percentage points" if INDICATORS[code].unit == "%" else unit
    return TOPIC_LABELS | {
        "value": f"Value ({unit})",
        "interval": f"95% prediction interval ({unit})",
        "peer_median": f"Peer median ({unit})",
        "vs_peers": f"Difference from peers ({difference})",
    }


def value_format(indicator: Indicator) -> str:
    return {"$": "${:,.0f}", "%": "{:.1f}%", "days": "{:.1f} days"}.get(indicator.unit, "{:,.1f}")


def table_formats(code: str) -> dict[str, str]:
    indicator = INDICATORS[code]
    shown = value_format(indicator)
    difference = "{:+,.0f}" if indicator.unit == "$" else "{:+,.1f}"
    return {"enrollment": "{:,.0f}", "value": shown, "peer_median": shown, "vs_peers": difference, "rank": "{:.0f}"}


def topic_chart(release: Release, code: str):
    """Every district in order of its value, the consortium median as a line; each point findable by name."""
    indicator = INDICATORS[code]
    table = ranked(release, code)
    if table.empty:
        return None, f"{indicator.label} is not reported in this dataset."
    ordered = table.sort_values(["value", "district_id"], kind="stable").reset_index(drop=True)
    ordered["position"] = np.arange(1, len(ordered) + 1)
    fig, ax = figure(7.5, 3.6)
    median = float(ordered["value"].median())
    ax.axhline(median, color=CONTEXT, linewidth=1.2, linestyle="--", zorder=0)
    ax.annotate(f"consortium median {value_format(indicator).format(median)}", (1, median), xytext=(0, 4), textcoords="offset points", fontsize=8, color="#555555")
    if code == "efficiency_residual":
        efficiency = release.table("efficiency").set_index("district_id").reindex(ordered["district_id"])
        below, above = ordered["value"].to_numpy() - efficiency["pi_low"].to_numpy(), efficiency["pi_high"].to_numpy() - ordered["value"].to_numpy()
        ax.errorbar(ordered["position"], ordered["value"], yerr=[below, above], fmt="none", ecolor=CONTEXT, elinewidth=1, zorder=0)
        ax.axhline(0, color="black", linewidth=0.8)
    shown = value_format(indicator)
    titles = [f"{row['district_name']}: {shown.format(row['value'])}" + (f" points (95% prediction interval {row['interval']})" if "interval" in row else "") for _, row in ordered.iterrows()]
    district_points(ax, ordered, "position", "value", f"topic-{code}", titles=titles)
    ax.set_xlabel(f"Districts, from lowest to highest ({len(ordered)})")
    ax.set_ylabel(f"{indicator.label} ({UNIT_WORDS.get(indicator.unit, indicator.unit)})")
    ax.set_xticks([])
    if indicator.unit == "$":
        ax.yaxis.set_major_formatter(lambda y, _: f"${y:,.0f}")
    low, high = ordered.iloc[0], ordered.iloc[-1]
    fmt = value_format(indicator)
    alt = (
        f"Dot chart of {len(ordered)} districts ordered by {indicator.label.lower()}, from {low['district_name']} at "
        f"{fmt.format(low['value'])} to {high['district_name']} at {fmt.format(high['value'])}; the median is {fmt.format(median)}."
    )
    return fig, alt


def chart_caption(code: str) -> tuple[str, str]:
    indicator = INDICATORS[code]
    direction = {"higher": "Higher is better.", "lower": "Lower is better.", "neither": "Neither higher nor lower is better in itself: it depends on the district's needs and choices."}[indicator.better]
    if code == "efficiency_residual":
        direction = (
            "Each grey bar is the district's 95% prediction interval: a district differs from its prediction only when its bar "
            "misses the zero line, and districts whose bars overlap cannot be told apart."
        )
    return (
        f"{indicator.label}: every district, latest year",
        f"Each dot is a district; the dashed line is the consortium median. {direction} Type a district's name above "
        "the chart to mark it and its peers. The chart shows where districts differ, not why.",
    )


def table_caption(code: str, ranks_shown: bool = True) -> tuple[str, str]:
    indicator = INDICATORS[code]
    rank_rule = "1 is the best" if indicator.better != "neither" else "1 is the highest"
    rank = f"Rank: {rank_rule}. " if ranks_shown else "No rank is shown: the efficiency model does not predict districts it was not fitted on well enough to order them this release (see Methods). "
    interval = "The 95% prediction interval is the range the district's result could fall in by chance around its prediction; only an interval that excludes zero sets a district apart. " if code == "efficiency_residual" else ""
    return (
        f"{indicator.label}: every district and its peers, latest year",
        f"{rank}{interval}Peer median is the median of the district's peer districts (chosen on size and needs); "
        "the difference is the district's value minus that median. A difference is a question to ask, not a verdict.",
    )


def introduction(release: Release, topic: Topic) -> str:
    labels = ", ".join(INDICATORS[code].label.lower() for code in topic.indicators)
    why = f"{topic.why}\n\n" if topic.why else ""
    return f"{why}This page compares all {len(release.latest_indicators)} districts of the consortium on {labels}. Find your district on each chart to see it and its peers."


def questions(topic: Topic) -> str:
    if not topic.questions:
        return "No questions were set for this topic."
    return "\n".join(f"{n}. {question}" for n, question in enumerate(topic.questions, 1))
