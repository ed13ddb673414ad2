"""Topics of the quarter (StatNet): every district compared on one theme the consortium chose to discuss.

A topic names indicators (spending on benefits, out-of-district placements, buses on time, chronic absence …)
and questions. Its page ranks all districts on each indicator, marks a district's peers, and ends with the
questions for the meeting; the numbers start the conversation, they do not settle it.

A topic may also ask the districts a survey (`surveys`). Its page then shows what they answered: each number
ranked like an indicator (a `Measure` either way), yes/no and coded answers counted across districts, short text
quoted, and the districts that have not answered yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from districtstat.data import surveys
from districtstat.site.charts import CONTEXT, district_points, figure
from districtstat.config import Question, Topic
from districtstat.privacy.disclosure import ProtectedTable, count_key, protect
from districtstat.analyses.indicators import INDICATORS, rank_best_first
from districtstat.analyses.standing import consortium_rank_intervals, median_difference_interval
from districtstat.analyses.topic_answers import (  # noqa: F401  (re-exported: the topic page reads them as topics.*)
    BLANK,
    answered_districts,
    choice_counts,
    choice_questions,
    choices_by_district,
    in_words,
    left_blank,
    quoted,
    survey_introduction,
    survey_sections,
)
from districtstat.report import Release
from districtstat.views import UNIT_WORDS, interval_text, model_can_rank, percent_text
from districtstat.views.common import change_interval_text

TOPIC_LABELS = {
    "district_name": "District", "region": "Region", "enrollment": "Students", "value": "Value", "rank": "Rank (1 = best)", "rank_interval": "Rank, 90% interval",
    "peer_median": "Peer median", "vs_peers": "Difference from peers", "vs_peers_interval": "Difference from peers, 90% interval",
}  # fmt: skip


@dataclass(frozen=True)
class Measure:
    """What a topic ranks districts on: an indicator, or a survey question answered with a number."""

    key: str  # the indicator's code, or `survey:<topic>:<question>`
    label: str
    unit: str  # an indicator's unit ($, %, days, points) or the question's (students, routes, %)
    better: str
    topic: Topic | None = None
    question: Question | None = None

    @property
    def gid(self) -> str:
        """The chart's id prefix: the indicator's code, or survey-<topic>-<question>."""
        return self.key if self.question is None else f"survey-{self.topic.id}-{self.question.id}"

    @property
    def counts_students(self) -> bool:
        return self.question is not None and self.question.counts_students


def measure(code: str | Measure) -> Measure:
    if isinstance(code, Measure):
        return code
    indicator = INDICATORS[code]
    return Measure(code, indicator.label, indicator.unit, indicator.better)


def survey_measures(topic: Topic) -> list[Measure]:
    """The survey's number questions, ranked like indicators; none when the topic has no survey."""
    questions = topic.survey.questions if topic.survey else []
    return [Measure(surveys.count_measure(topic.id, q.id), q.name, q.unit, q.direction, topic, q) for q in questions if q.type == "number"]


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


def latest_errors(release: Release, code: str) -> pd.Series:
    """Each district's standard error of one indicator in its latest year, by district (NaN where none is known)."""
    history = release.history[release.history["code"] == code]
    latest = history[history["school_year"] == history["school_year"].max()]
    return latest.set_index("district_id")["se"].astype(float) if "se" in latest else pd.Series(dtype=float)


def model_ranks(release: Release, code: str | Measure) -> bool:
    """Whether a figure that only a model gives (the efficiency residual) may be ranked this release."""
    chosen = measure(code)
    return chosen.question is not None or INDICATORS[chosen.key].peer_ranked or model_can_rank(release)


def measure_values(release: Release, chosen: Measure) -> pd.DataFrame:
    """Each district's latest value: an indicator's, or its answer to a survey question, with `hidden` marking a
    count of students no page may show (its value is left out, so nothing downstream can show or use it)."""
    if chosen.question is None:
        return latest_values(release, chosen.key)
    answers = surveys.topic_answers(release, chosen.topic)
    answers = answers[(answers["question_id"] == chosen.question.id) & answers["value"].notna()].reset_index(drop=True)
    hidden = surveys.hidden_student_counts(release, chosen.topic, chosen.question, answers)
    return pd.DataFrame({"district_id": answers["district_id"], "value": answers["value"].where(~hidden), "school_year": release.latest_year, "hidden": hidden})


def ranked(release: Release, code: str | Measure) -> pd.DataFrame:
    """Every publishable district on one indicator or survey number: value, rank (1 = best, or highest when neither
    direction is better) and the median of its peers. Districts under `min_n` students are left out before ranking, so
    neither a gap in the ranks nor a peer median can tell anything about them; so is every value the topic's table
    hides (an indicator of a district whose enrollment is hidden, a survey count of students a page may not show):
    those come last, without a value, marked `hidden`. The efficiency residual carries its prediction interval, and is
    ranked (on its size-adjusted value) only when the model can rank districts."""
    chosen = measure(code)

    def compute() -> pd.DataFrame:
        profile = release.latest_indicators[["district_id", "district_name", "region", "enrollment"]]
        # a value the release withholds is not in the published history at all: its district keeps its row, marked
        # hidden like any other, rather than vanishing from the table
        values = measure_values(release, chosen)
        table = profile[profile["district_id"].isin(release.publishable_districts)].merge(values, on="district_id", how="inner" if chosen.question is not None or values.empty else "left")
        if table.empty:
            return table
        secret = table.pop("hidden").to_numpy(dtype=bool) if "hidden" in table else np.zeros(len(table), dtype=bool)
        if chosen.question is None:  # `topic_table` hides an indicator with the enrollment: its rank and peers' medians would give it back
            secret |= release.enrollment_hidden(table["district_id"])
            history = release.withheld_history
            held_back = history.loc[(history["code"] == chosen.key) & (history["school_year"] == values["school_year"].max()), "district_id"]
            secret |= table["district_id"].isin(held_back).to_numpy()
            kept = secret | table["value"].notna().to_numpy()  # a district that does not report the indicator has no row
            table, secret = table[kept].reset_index(drop=True), secret[kept]
            table["school_year"] = table["school_year"].fillna(values["school_year"].max()).astype(values["school_year"].dtype)
        withheld, table = table[secret].assign(value=np.nan), table[~secret].reset_index(drop=True)
        basis = table["value"]
        if chosen.key == "efficiency_residual":
            efficiency = release.table("efficiency").set_index("district_id")
            table["interval"] = [interval_text(low, high) for low, high in zip(efficiency["pi_low"].reindex(table["district_id"]), efficiency["pi_high"].reindex(table["district_id"]))]
            basis = efficiency["shrunk_residual"].reindex(table["district_id"]).reset_index(drop=True)
        direction = chosen.better if chosen.better != "neither" else "higher"
        table["rank"] = rank_best_first(basis, direction) if model_ranks(release, chosen) else np.nan
        if chosen.question is None and chosen.key != "efficiency_residual" and table["rank"].notna().any():
            errors = latest_errors(release, chosen.key).reindex(table["district_id"]).to_numpy()
            table["rank_interval"] = consortium_rank_intervals(chosen.key, table["value"], errors, direction)
            table["rank"] = table["rank"].where(table["rank_interval"].notna())  # no rank where its interval is unknown
        by_district = table.set_index("district_id")["value"]
        table["peer_median"] = [by_district.reindex(release.peer_ids(d)).median() for d in table["district_id"]]
        table["vs_peers"] = table["value"] - table["peer_median"]
        if chosen.question is None:
            table["vs_peers_interval"] = peer_difference_intervals(release, chosen, table)
        table = table.sort_values(["value", "district_id"] if table["rank"].isna().all() else ["rank", "district_id"], ascending=True, kind="stable").reset_index(drop=True)
        table["hidden"] = False
        return pd.concat([table, withheld.sort_values("district_id").assign(hidden=True)], ignore_index=True) if len(withheld) else table

    return release.remember(("topic", chosen.key), compute).copy()


def peer_difference_intervals(release: Release, chosen: Measure, table: pd.DataFrame) -> list[str | None]:
    """Each district's difference from its peers' median as its 90% interval (`standing.median_difference_interval`),
    in the indicator's unit: `exact` where every figure is a record of the whole district (no sampling error),
    `unknown` where a figure rests on students with no known error; None without peers to compare with."""
    values = table.set_index("district_id")["value"]
    errors = latest_errors(release, chosen.key).reindex(values.index)
    cells: list[str | None] = []
    for district in table["district_id"]:
        peers = values.reindex(release.peer_ids(district)).dropna()
        if peers.empty:
            cells.append(None)
            continue
        low, high = median_difference_interval(values[district], errors[district], peers, errors.reindex(peers.index))
        cells.append("unknown" if np.isnan(low) else "exact" if low == high else change_interval_text(low, high, chosen.unit))
    return cells


def topic_table(release: Release, code: str | Measure) -> ProtectedTable:
    chosen = measure(code)
    table = ranked(release, chosen)
    if chosen.counts_students:
        return student_count_table(release, chosen, table)
    columns = ["district_name", "region", "enrollment", "value", "interval", "rank", "rank_interval", "peer_median", "vs_peers", "vs_peers_interval"]
    columns = [c for c in columns if c in table.columns and (c not in ("rank", "rank_interval") or table["rank"].notna().any())] if not table.empty else columns[:4]
    districts, years = list(table.get("district_id", [])), list(table.get("school_year", []))
    keys = {"enrollment": [count_key("enrolled", district, release.latest_year) for district in districts]}
    withheld = table["hidden"].to_numpy(dtype=bool) if "hidden" in table else np.zeros(len(districts), dtype=bool)
    table = table[columns] if not table.empty else pd.DataFrame(columns=columns)
    hidden = {"enrollment": release.enrollment_hidden(districts)}
    dependent = [c for c in columns if c not in ("district_name", "region", "enrollment")] if chosen.question is None else []  # an answer rests on no student count
    protected = protect(table, counts={"enrollment": dependent}, min_n=release.min_n, hidden=hidden, keys=keys)
    protected.suppressed.loc[withheld, [c for c in columns if c not in ("district_name", "region", "enrollment")]] = True  # withheld by the release
    if not release.enrollment_reported:
        protected = protected.without(["enrollment"])
    return protected.naming_districts(districts).of_school_year(years)


def student_count_table(release: Release, chosen: Measure, table: pd.DataFrame) -> ProtectedTable:
    """A survey count of students beside the district's enrollment, and the share of its students it is. The count is
    a student count like any other: keyed for the audit, hidden where `surveys.hidden_student_counts` says, and with
    it its share and rank; a share that would give away fewer than `min_n` students is hidden or coded too."""
    columns = ["district_name", "region", "enrollment", "value", "share", "rank"]
    if table.empty:
        return protect(pd.DataFrame(columns=columns), counts={}, min_n=release.min_n)
    table = table.assign(share=100 * table["value"] / table["enrollment"].astype(float))
    columns = [c for c in columns if c != "rank" or table["rank"].notna().any()]
    districts, years = list(table["district_id"]), list(table["school_year"])
    keys = {"enrollment": [count_key("enrolled", d, release.latest_year) for d in districts], "value": [count_key(chosen.key, d, release.latest_year) for d in districts]}
    hidden = {"enrollment": release.enrollment_hidden(districts), "value": table["hidden"].to_numpy(dtype=bool)}
    counts = {"enrollment": ["share"], "value": [c for c in ("share", "rank") if c in columns]}
    protected = protect(table[columns], counts=counts, min_n=release.min_n, hidden=hidden, keys=keys, shares={"share": "enrollment"})
    if not release.enrollment_reported:  # a share of a stand-in enrollment would be no share at all
        protected = protected.without(["enrollment", "share"])
    return protected.naming_districts(districts).of_school_year(years)


def unit_words(chosen: Measure) -> str:
    return UNIT_WORDS.get(chosen.unit, chosen.unit) if chosen.question is None else chosen.unit


def table_labels(code: str | Measure) -> dict[str, str]:
    chosen = measure(code)
    unit = unit_words(chosen)
    difference = "percentage points" if chosen.unit == "%" else unit
    labels = TOPIC_LABELS | {
        "value": f"Value ({unit})",
        "interval": f"90% prediction interval ({unit})",
        "peer_median": f"Peer median ({unit})",
        "vs_peers": f"Difference from peers ({difference})",
        "vs_peers_interval": f"Difference from peers, 90% interval ({difference})",
    }
    if chosen.question is not None:
        labels["value"] = (chosen.label if chosen.label.lower().startswith("students") else f"Students ({chosen.label})") if chosen.counts_students else f"Answer ({unit})"
        labels |= {"enrollment": "Students enrolled", "share": "Share of students (%)", "rank": "Rank (1 = highest)" if chosen.better == "neither" else labels["rank"]}
    return labels


def value_format(code: str | Measure) -> str:
    chosen = measure(code)
    if chosen.question is not None:
        return surveys.number_format(chosen.question)
    return {"$": "${:,.0f}", "%": percent_text, "days": "{:.1f} days"}.get(chosen.unit, "{:,.1f}")


def shown_value(chosen: Measure, value: float) -> str:
    """A value as a chart's mark names it: an answer with its unit (1,250 students), an indicator as its table shows it."""
    if chosen.question is not None:
        return surveys.with_unit(chosen.question, value)
    shown = value_format(chosen)
    return (shown(value) if callable(shown) else shown.format(value)).replace("-", "−")  # the true minus sign, as tables show it


def table_formats(code: str | Measure) -> dict[str, str]:
    chosen = measure(code)
    shown = value_format(chosen)
    difference = "{:+,.0f}" if chosen.unit == "$" or chosen.counts_students else "{:+,.1f}"
    return {"enrollment": "{:,.0f}", "value": shown, "peer_median": shown, "vs_peers": difference, "rank": "{:.0f}", "share": "{:.0f}%"}


def shown_in_table(release: Release, chosen: Measure) -> list[str]:
    """The districts whose value the topic's table shows as a number: the only values its chart may plot or name."""
    table = topic_table(release, chosen)
    shown = ~table.suppressed["value"] & table.frame["value"].notna()
    if table.coded is not None:
        shown &= table.coded["value"].isna()
    return [district for district, kept in zip(table.districts or [], shown) if kept]


def topic_chart(release: Release, code: str | Measure):
    """Every district in order of its value, the consortium median as a line; each point findable by name. A value
    the table hides (a survey count of students, a district whose enrollment is hidden) is left out of the chart, of
    its median and of its alt text, which would otherwise name it beside the district."""
    chosen = measure(code)
    table = ranked(release, chosen)
    reported = set(table.get("district_id", []))
    if not table.empty:
        table = table[table["district_id"].isin(shown_in_table(release, chosen))]
    withheld = release.withheld_history
    withheld = set(withheld.loc[(withheld["code"] == chosen.key) & (withheld["school_year"] == release.latest_year), "district_id"])
    left_out = len(reported) - len(table) + len((withheld & release.publishable_districts) - reported)
    if table.empty:
        return None, f"{chosen.label} is not reported in this dataset." if chosen.question is None else "No district has answered this question yet."
    ordered = table.sort_values(["value", "district_id"], kind="stable").reset_index(drop=True)
    ordered["position"] = np.arange(1, len(ordered) + 1)
    fig, ax = figure(7.5, 3.6)
    median = float(ordered["value"].median())
    ax.axhline(median, color=CONTEXT, linewidth=1.2, linestyle="--", zorder=0)
    ax.annotate(f"consortium median {shown_value(chosen, median)}", (1, median), xytext=(0, 4), textcoords="offset points", fontsize=8, color="#555555")
    if chosen.key == "efficiency_residual":
        efficiency = release.table("efficiency").set_index("district_id").reindex(ordered["district_id"])
        below, above = ordered["value"].to_numpy() - efficiency["pi_low"].to_numpy(), efficiency["pi_high"].to_numpy() - ordered["value"].to_numpy()
        ax.errorbar(ordered["position"], ordered["value"], yerr=[below, above], fmt="none", ecolor=CONTEXT, elinewidth=1, zorder=0)
        ax.axhline(0, color="black", linewidth=0.8)
    titles = [f"{row['district_name']}: {shown_value(chosen, row['value'])}" + (f" points (90% prediction interval {row['interval']})" if "interval" in row else "") for _, row in ordered.iterrows()]
    district_points(ax, ordered, "position", "value", f"topic-{chosen.gid}", titles=titles)
    hidden_words = f"; {left_out} more {'is' if left_out == 1 else 'are'} hidden to protect students' privacy" if left_out else ""
    ax.set_xlabel(f"Districts, from lowest to highest ({len(ordered)}{hidden_words})")
    ax.set_ylabel(f"{chosen.label} ({unit_words(chosen)})")
    ax.set_xticks([])
    if chosen.unit == "$":
        ax.yaxis.set_major_formatter(lambda y, _: f"${y:,.0f}")
    elif chosen.counts_students:
        ax.yaxis.set_major_formatter(lambda y, _: f"{y:,.0f}")
    low, high = ordered.iloc[0], ordered.iloc[-1]
    written = lambda value: shown_value(chosen, value)  # noqa: E731
    alt = (
        f"Dot chart of {len(ordered)} districts ordered by {chosen.label.lower()}, from {low['district_name']} at "
        f"{written(low['value'])} to {high['district_name']} at {written(high['value'])}; the median is {written(median)}{hidden_words}."
    )
    return fig, alt


def chart_caption(code: str | Measure) -> tuple[str, str]:
    chosen = measure(code)
    direction = {"higher": "Higher is better.", "lower": "Lower is better.", "neither": "Neither higher nor lower is better in itself: it depends on the district's needs and choices."}[chosen.better]
    if chosen.question is not None:
        return (
            f"{chosen.label}: every district that answered",
            f"Each dot is a district's answer, as the district reported it; the dashed line is the median answer. {direction} {withheld_note(chosen)}"
            "Type a district's name above the chart to mark it and its peers. The chart shows where districts differ, not why.",
        )
    if chosen.key == "efficiency_residual":
        direction = (
            "Each grey bar is the district's 90% prediction interval: a district differs from its prediction only when its bar "
            "misses the zero line, and districts whose bars overlap cannot be told apart."
        )
    return (
        f"{chosen.label}: every district, latest year",
        f"Each dot is a district; the dashed line is the consortium median. {direction} Type a district's name above "
        "the chart to mark it and its peers. The chart shows where districts differ, not why.",
    )


def withheld_note(chosen: Measure) -> str:
    if not chosen.counts_students:
        return ""
    return "A count of students is left out where it, or the district's other students, would be fewer than the privacy threshold. "


RANK_INTERVAL_NOTE = (
    "The rank's 90% interval is where it would land if every district's figure moved by chance as much as its students' "
    "results vary from one cohort to the next. A record of the whole district is not a sample of its students and has no "
    "such error, but districts count it in slightly different ways: its interval counts every district within the "
    "indicator's smallest meaningful difference (Methods) as about the same. A rank is left out where that interval is unknown. "
)


def table_caption(code: str | Measure, ranks_shown: bool = True, release: Release | None = None) -> tuple[str, str]:
    chosen = measure(code)
    rank_rule = "1 is the best" if chosen.better != "neither" else "1 is the highest"
    rank = f"Rank: {rank_rule}. " if ranks_shown else "No rank is shown: the efficiency model does not predict districts it was not fitted on well enough to order them this release (see Methods). "
    if chosen.question is not None:
        share = "Share of students: the answer as a percentage of the students enrolled. " if chosen.counts_students else ""
        peers = "" if chosen.counts_students else "Peer median is the median answer of the district's peer districts that answered; the difference is the district's answer minus that median. "
        blank = left_blank(release, chosen.topic, chosen.question) if release is not None else ""
        return (
            f"{chosen.label}: each district's answer, as reported",
            f"{chosen.question.text} Answers are what districts reported, not checked against other data. {share}{rank}{peers}{withheld_note(chosen)}{blank}",
        )
    interval = "The 90% prediction interval is the range the district's result could fall in by chance around its prediction; only an interval that excludes zero sets a district apart. " if chosen.key == "efficiency_residual" else ""
    if ranks_shown and chosen.key != "efficiency_residual":
        interval = RANK_INTERVAL_NOTE
    return (
        f"{chosen.label}: every district and its peers, latest year",
        f"{rank}{interval}Peer median is the median of the district's peer districts (chosen on size and needs); "
        "the difference is the district's value minus that median, with its 90% interval: how far it could move if the "
        "district's figure and each peer's moved by chance as much as their students' results vary from one cohort to "
        "the next. Exact: every figure is a record of the whole district, with no sampling error. A difference is a "
        "question to ask, not a verdict.",
    )


def introduction(release: Release, topic: Topic) -> str:
    labels = ", ".join(INDICATORS[code].label.lower() for code in topic.indicators)
    why = f"{topic.why}\n\n" if topic.why else ""
    return f"{why}This page compares all {len(release.latest_indicators)} districts of the consortium on {labels}. Find your district on each chart to see it and its peers."


def questions(topic: Topic) -> str:
    if not topic.questions:
        return "No questions were set for this topic."
    return "\n".join(f"{n}. {question}" for n, question in enumerate(topic.questions, 1))
