"""The peers page as a board member reads it, on the shared test consortium: characteristics in their own units, the
district against its peers' median in each indicator's unit with the difference's interval, and the efficiency
residual with its prediction interval, not set against its peers."""

import re

import pytest

from districtstat import views
from districtstat.config import load_project
from districtstat.report import Release, svg_markup


@pytest.fixture(scope="module")
def release(built):
    _, params = built
    return Release(load_project(params))


def cells(release, table, labels, formats):
    from test_scorecard_page import shown

    return shown(table, labels, formats)


def test_why_these_peers_says_students_and_percentages_not_a_log_or_two_decimals(release):
    latest = release.latest_indicators.set_index("district_id")
    for district in ("D01", "D14"):
        why = cells(release, views.why_these_peers(release, district), views.WHY_LABELS, views.WHY_FORMATS).set_index("Characteristic")
        assert not any(label.lower().startswith("log of") for label in why.index)
        size = next(label for label in why.index if label.startswith("Enrollment"))
        assert why.loc[size, "This district"] == f"{latest.loc[district, 'enrollment']:,.0f} students"
        assert why.loc[size, "Peer average"].startswith("about ") and why.loc[size, "Peer average"].endswith(" students")
        share = why.loc["% economically disadvantaged", "This district"]
        assert re.fullmatch(r"\d+%", share) and ".00" not in " ".join(why["This district"]), share


def test_the_standing_table_gives_each_difference_from_the_peer_median_with_its_interval_and_the_residual_its_own(release):
    efficiency = release.table("efficiency").set_index("district_id")
    for district in ("D03", "D14"):
        table = cells(release, views.standing_table(release, district), views.STANDING_LABELS, views.STANDING_FORMATS)
        residual = table[table["Indicator"] == "Points above or below prediction"].iloc[0]
        row = efficiency.loc[district]
        assert residual["This district, 90% interval"] == views.interval_text(row["pi_low"], row["pi_high"])
        assert residual["Peer median"] == "–" and residual["Rank (1 = best)"] == "–"  # never set against a handful of peers
        math = table[table["Indicator"] == "Mean math scale score"].iloc[0]
        assert math["Difference from the peer median"].endswith(" points") and re.fullmatch(r"[+−]\d+\.\d to [+−]\d+\.\d", math["Difference, 90% interval"])
        absent = table[table["Indicator"] == "Chronically absent"].iloc[0]
        assert absent["Difference from the peer median"].endswith("pct. pts")
        bus = table[table["Indicator"] == "Buses on time"].iloc[0]
        assert bus["This district, 90% interval"] == "exact" and bus["Difference, 90% interval"] == "exact"  # a record: no sampling error


def test_the_chart_sets_each_indicator_against_the_peer_median_in_its_own_unit(release):
    fig, alt = views.standing_chart(release, "D14")
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert "Difference from the peer median (points)" in labels and "Difference from the peer median (percentage points)" in labels
    assert not any("Percent above" in label or "percent" in label.lower() and "percentage points" not in label for label in labels)
    assert "Mean math scale score +" in alt and " points" in alt and "90% interval" in alt
    markup = svg_markup(fig, alt)
    assert "Percent above" not in markup
