"""The scorecard page as a board member reads it, on the shared test consortium: every figure with its interval and
unit, numbers written with one minus sign, and a lead whose counts add up and agree with the peers page."""

import re

import numpy as np
import pandas as pd
import pytest

from districtstat import views
from districtstat.analyses.scorecard import AREAS
from districtstat.config import load_project
from districtstat.report import Release, table_html


@pytest.fixture(scope="module")
def release(built):
    _, params = built
    return Release(load_project(params))


def shown(table, labels, formats) -> pd.DataFrame:
    """A table's cells as its page shows them, by column label."""
    markup = table_html(table, "caption", "how to read", labels, formats)
    header = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r'<th scope="col">(.*?)</th>', markup)]
    rows = [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)] for row in re.findall(r"<tr[^>]*>(.*?)</tr>", markup.split("</thead>")[1])]
    return pd.DataFrame(rows, columns=header)


def area_cells(release, district, area) -> pd.DataFrame:
    """An area's table by indicator; empty where the district reports none of its indicators (a small district's gaps)."""
    table = views.scorecard_table(release, district, area)
    if table.frame.empty:
        return pd.DataFrame(columns=["Indicator"]).set_index("Indicator")
    return shown(table, views.scorecard_labels(table), views.scorecard_formats(table)).set_index("Indicator")


def test_the_efficiency_residual_is_shown_with_its_90_percent_prediction_interval(release):
    efficiency = release.table("efficiency").set_index("district_id")
    for district in ("D03", "D14"):
        finance = area_cells(release, district, "Finance")
        row = efficiency.loc[district]
        assert row["pi_low"] < row["residual"] < row["pi_high"]
        assert finance.loc["Points above or below prediction", "Latest year, 90% interval"] == views.interval_text(row["pi_low"], row["pi_high"])
        assert finance.loc["Points above or below prediction", "2023–24"].startswith("−" if row["residual"] < 0 else "")


def test_every_latest_figure_has_its_interval_and_every_change_its_unit_and_interval(release):
    for district in ("D03", "D14"):
        for area in AREAS:
            cells = area_cells(release, district, area)
            if cells.empty:
                continue
            latest = cells["2023–24"]
            intervals = cells["Latest year, 90% interval"][~latest.isin(["–", "*"])]
            assert (intervals != "–").all(), (district, area)
            for indicator, change in cells["Change (trend line)"].items():
                if change in ("–", "*"):
                    continue
                unit = cells.loc[indicator, "Unit"]
                assert change.endswith({"points": " points", "%": " pct. pts", "days": " days"}.get(unit, "")) and re.match(r"([+−]\$?\d|0\.0 |\$0$)", change), (indicator, change)  # signed, or a change of nothing
                assert cells.loc[indicator, "Change, 90% interval"] not in ("–", "*"), indicator
    outcomes = area_cells(release, "D14", "Student outcomes")
    low, high = (float(end.replace("−", "-").rstrip("%")) for end in outcomes.loc["Mean math scale score", "Latest year, 90% interval"].split(" to "))
    assert low < float(outcomes.loc["Mean math scale score", "2023–24"]) < high


def test_no_trend_word_is_given_where_the_changes_interval_includes_zero(release):
    for district in release.publishable_districts:
        card = views.district_scorecard(release, district)
        worded = card[card["trend"].isin(["improving", "worsening", "closing", "widening"])]
        assert ((worded["change_low"] > 0) | (worded["change_high"] < 0)).all(), district
        unclear = card[(card["change_low"] <= 0) & (card["change_high"] >= 0)]
        assert (unclear["trend"] == "no clear change").all(), district


def test_a_percentile_at_either_end_is_worded_not_shown_as_a_bare_zero(release):
    seen = set()
    for district in sorted(release.publishable_districts):
        for area in AREAS:
            cells = area_cells(release, district, area)
            if "Peer percentile (0–100)" not in cells:
                continue
            column = cells["Peer percentile (0–100)"]
            assert not (column == "0").any() and not (column == "100").any(), (district, area)
            seen |= set(column[column.str.match(r"^(0|100) ")])
    assert seen & {"0 (behind every peer)", "0 (tied with the last)"} and "100 (ahead of every peer)" in seen


def test_no_number_on_the_scorecard_is_written_with_a_hyphen_for_its_minus_sign(release):
    for area in AREAS:
        table = views.scorecard_table(release, "D14", area)
        markup = table_html(table, "caption", "how to read", views.scorecard_labels(table), views.scorecard_formats(table))
        assert not re.search(r"(?<![\w.])-\d", re.sub(r"<[^>]+>", " ", markup)), area
    assert "-" not in re.sub(r"[\w]-[\w]", "", views.scorecard_lead(release, "D14").replace("2023–24", ""))


def test_the_leads_ranked_count_is_the_peers_pages_plus_the_gaps_and_every_tally_adds_up(release):
    for district in ("D01", "D03", "D14"):
        lead = views.scorecard_lead(release, district)
        found = re.search(r"on (\d+) indicators: the (\d+) on its peers page and (\d+) gaps? between student groups", lead)
        if found:
            total, on_peers_page, gaps = (int(n) for n in found.groups())
        else:  # no gap large enough to rank: the lead ranks what its peers page ranks
            total = on_peers_page = int(re.search(r"on (\d+) indicators, those on its peers page", lead).group(1))
            gaps = 0
        standing = views.standing_among_peers(release, district)
        assert on_peers_page == int(standing["rank"].notna().sum()) and total == on_peers_page + gaps, district
        sides = [int(n) for n in re.findall(r"clearly (?:above|below) the middle(?: of its peers)? on (\d+)", lead)]
        others = re.search(r"On the other (\d+) indicators|On (the one) other indicator", lead)
        middle = 0 if others is None else (1 if others.group(2) else int(others.group(1)))
        assert sum(sides) + middle == total, district
        tally = re.search(r"of its (\d+) indicators with a better direction, (\d+) improved, (\d+) worsened and (\d+) shows? no clear change", lead)
        with_direction, improved, worsened, unclear = (int(n) for n in tally.groups())
        assert improved + worsened + unclear == with_direction, district
        assert "best on" not in lead and "least well" not in lead and "better than none" not in lead
