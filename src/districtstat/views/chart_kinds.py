"""Every kind of chart the pages draw, in one list: what the chart benchmark times and the tests hold to savefig's bytes."""

from __future__ import annotations

from collections.abc import Callable

from districtstat.report import Release

AREAS = ("Student outcomes", "Equity", "Finance", "Operations")


def every_chart(release: Release, district_id: str) -> dict[str, Callable]:
    """Every kind of chart the consortium's pages and one district's pages draw, by name, each a function giving the
    figure and its alt text: the overview's, the district's scorecard, gaps, efficiency, allocation and peers, its
    scorecard's small multiples for each area, its first support-service process chart, and the first indicator's
    chart of each topic."""
    from districtstat import views
    from districtstat.analyses import support_services, topics

    drawn = {
        "overview": lambda: views.spending_outcome_chart(release),
        "scorecard standing": lambda: views.scorecard_chart(release, district_id),
        "outcome gaps": lambda: views.gap_chart(release, district_id, "MATH"),
        "efficiency residuals": lambda: views.efficiency_chart(release, district_id),
        "school allocation": lambda: views.allocation_chart(release, district_id),
        "peer standing": lambda: views.standing_chart(release, district_id),
    }
    for area in AREAS:
        drawn[f"series, {area}"] = lambda area=area: views.series_chart(release, district_id, area)
    for code in support_services.monthly_kpis(release, district_id)[:1]:
        drawn[f"process, {code}"] = lambda code=code: support_services.chart_and_words(release, district_id, code)[:2]
    for topic in release.project.settings.topics:
        for code in topic.indicators[:1]:
            drawn[f"topic, {code}"] = lambda code=code: topics.topic_chart(release, code)
    return drawn
