"""The spending and results page at thousands of districts: each district's chart of every district is bounded."""

from __future__ import annotations

import pandas as pd

from districtstat.views.efficiency import charted_rows


def ranked(n: int) -> pd.DataFrame:
    return pd.DataFrame({"district_id": [f"D{number:02d}" for number in range(1, n + 1)], "residual": range(n)})


def test_a_district_chart_draws_at_most_the_limit_whatever_the_number_of_districts():
    """Every district's page has this chart: drawing all districts on each made the site grow with the square of
    their number. Past the limit it keeps the district, the first and last ranks and evenly spaced ones between."""
    for n in (11, 40, 400):
        for district in ("D01", "D07", f"D{n:02d}"):
            rows = charted_rows(ranked(n), district, limit=10)
            assert len(rows) <= 10
            assert district in set(rows["district_id"])
            assert rows["district_id"].iloc[0] == "D01" and rows["district_id"].iloc[-1] == f"D{n:02d}"
            assert rows["residual"].is_monotonic_increasing  # still in the chart's order


def test_up_to_the_limit_every_district_is_drawn():
    table = ranked(10)
    pd.testing.assert_frame_equal(charted_rows(table, "D03", limit=10), table)


def test_the_caption_and_alt_text_say_how_many_districts_the_chart_draws_past_the_limit(built, monkeypatch):
    import re

    from districtstat import views
    from districtstat.config import load_project
    from districtstat.report import Release
    from districtstat.views import efficiency

    _, params = built
    release = Release(load_project(params))
    assert views.efficiency_chart_caption(release, "D03") == "Points above or below the predicted result, every district, with 90% prediction intervals"
    fig, alt = views.efficiency_chart(release, "D03")
    shown = int(re.search(r"Dot chart of (\d+) districts'", alt).group(1))
    monkeypatch.setattr(efficiency, "CHART_DISTRICTS", 5)
    assert views.efficiency_chart_caption(release, "D03") == f"Points above or below the predicted result, 5 of {shown} districts evenly spaced by rank, with 90% prediction intervals"
    fig, alt = views.efficiency_chart(release, "D03")
    assert alt.startswith(f"Dot chart of 5 of {shown} districts' (evenly spaced by rank)")
