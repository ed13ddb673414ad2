"""The support-services page: monthly KPIs split from yearly ones, and XmR charts a COO and a board can read."""

from __future__ import annotations

import csv
import io
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from districtstat.data import aggregate
from districtstat.analyses import support_services
from districtstat.analyses.process import NO_SIGNAL, xmr
from helpers import page_tables


def test_monthly_rows_go_to_their_own_table_and_yearly_ones_stay_as_they_were():
    kpis = pd.DataFrame({
        "school_year": pd.array([2024, 2024, 2024, 2024], dtype="Int64"),
        "month": pd.array([None, "2023-10", "2023-09", None], dtype="str"),
        "district_id": ["D1", "D1", "D1", "D2"],
        "kpi_code": ["BUS_ON_TIME_PCT", "WORK_ORDERS_CLOSED", "WORK_ORDERS_CLOSED", "BUS_ON_TIME_PCT"],
        "value": [94.0, 120.0, 118.0, 91.0],
        "unit": ["percent", "count", "count", "percent"],
    })
    annual, monthly = aggregate.operations_tables(kpis)
    assert list(annual.columns) == ["school_year", "district_id", "kpi_code", "value", "unit"]
    assert annual["value"].tolist() == [94.0, 91.0]
    assert list(monthly.columns) == ["district_id", "kpi_code", "month", "school_year", "value", "unit"]
    assert monthly["month"].tolist() == ["2023-09", "2023-10"]  # in month order
    without_month = kpis.drop(columns="month").iloc[[0, 3]]
    annual, monthly = aggregate.operations_tables(without_month)
    assert annual["value"].tolist() == [94.0, 91.0] and monthly.empty
    annual, monthly = aggregate.operations_tables(None)
    assert annual.empty and monthly.empty and "month" in monthly.columns


def test_a_district_without_monthly_figures_gets_a_plain_statement():
    release = SimpleNamespace(has_table=lambda name: False)
    assert support_services.monthly_kpis(release, "D01") == []
    assert "no monthly support-service figures" in support_services.lead(release, "D01")


def fake_release(monthly: pd.DataFrame) -> SimpleNamespace:
    return SimpleNamespace(has_table=lambda name: True, table=lambda name: monthly, remember=lambda key, compute: compute(),
                           district_name=lambda district: "Test District", min_n=10)


def test_a_series_too_short_for_limits_says_so_and_draws_nothing():
    months = ["2023-09", "2023-10", "2023-11", "2023-12", "2024-01"]
    monthly = pd.DataFrame({"district_id": "D1", "kpi_code": "SUBSTITUTE_FILL_PCT", "month": months, "school_year": 2024,
                            "value": [90.0, 91.0, 89.0, 90.5, 90.0], "unit": "percent"})
    release = fake_release(monthly)
    assert "Substitute requests filled: too few months for limits (six are needed)." in support_services.lead(release, "D1")
    fig, alt, _, _ = support_services.chart_and_words(release, "D1", "SUBSTITUTE_FILL_PCT")
    assert fig is None and "too few" in alt


def test_a_limit_set_at_its_natural_bound_says_so():
    months = [f"{2023 + (m < 7)}-{m:02d}" for m in (9, 10, 11, 12, 1, 2, 3, 4)]
    monthly = pd.DataFrame({"district_id": "D1", "kpi_code": "SUBSTITUTE_FILL_PCT", "month": months, "school_year": 2024,
                            "value": [97.0, 99.0, 96.0, 99.5, 97.0, 99.0, 96.5, 99.0], "unit": "percent"})
    table = support_services.limits_table(fake_release(monthly), "D1", "SUBSTITUTE_FILL_PCT").frame
    upper = table.set_index("line").loc["Upper natural process limit"]
    assert upper["value"] == 100 and upper["meaning"].endswith("set at 100 since no month can go higher.")


@pytest.fixture(scope="module")
def pages(built):
    root, _ = built
    folder = root / "site" / "r1" / "districts"
    return {district: (folder / district / "operations.html") for district in ("D01", "D06", "D08", "D13")}


def svg_labels(html: str) -> list[str]:
    return re.findall(r'<svg [^>]*role="img" aria-label="([^"]+)"', html)


def test_every_district_has_a_support_services_page(built):
    root, _ = built
    districts = sorted(p.name for p in (root / "site" / "r1" / "districts").iterdir())
    assert all((root / "site" / "r1" / "districts" / d / "operations.html").is_file() for d in districts)
    home = (root / "site" / "r1" / "districts" / "D13" / "index.html").read_text(encoding="utf-8")
    assert "operations.html" in home and "support services month by month" in home.lower()


def test_the_page_shows_an_xmr_chart_and_a_table_per_monthly_kpi(pages):
    html = pages["D13"].read_text(encoding="utf-8")
    assert "support services month by month" in html.lower()
    for title in ("Buses on time", "Substitute requests filled", "Work orders closed"):
        assert f"{title}, month by month, against its natural process limits" in html
        assert f"{title}: natural process limits and signals" in html
    labels = svg_labels(html)
    assert len(labels) == 3 and all(label.startswith("Process-behaviour chart of ") for label in labels)
    chart = html[html.index("Work orders closed, month by month") - 60_000:]
    for text in ("Upper limit", "Average", "Lower limit", "Range limit", "Average change"):
        assert re.search(rf"> ?{text} [\d,.]+</text>", chart), text  # every line labelled with its value, as SVG text
    assert ">Limits from these 12 months</text>" in chart
    assert "How to read these charts" in html and "natural process limits" in html


def test_the_shift_is_named_in_the_lead_the_alt_text_the_chart_key_and_the_table(pages):
    html = pages["D13"].read_text(encoding="utf-8")
    assert "A shift in work orders closed: 16 months in a row below the usual level from January 2023" in html
    alt = next(label for label in svg_labels(html) if "work orders closed" in label)
    assert "From January 2023, work orders closed stayed below the usual level for 16 months in a row" in alt
    assert "Shift: 16 months in a row below the average, Jan 2023 – Jun 2024" in html  # the chart's key, as text
    table = next(t for t in page_tables(pages["D13"]) if t["caption"].startswith("Work orders closed"))
    assert table["headers"] == ["Line or signal", "Months", "Value", "Unit", "What it means"]
    rows = {row[0]: row for row in table["rows"] if row}
    assert rows["Beyond a limit (Jan 2023)"][1:4] == ["Jan 2023 – Jun 2024", "16", "months"]
    assert rows["Run on one side (Jan 2023)"][1:4] == ["Jan 2023 – Jun 2024", "16", "months"]
    assert rows["Average (centre line)"][1] == "Sep 2021 – Oct 2022" and rows["Average (centre line)"][3] == "work orders"


def test_trend_outlier_and_stable_pages(pages):
    trend = pages["D01"].read_text(encoding="utf-8")
    assert "A steady rise in substitute requests filled: every month from January 2024 to June 2024" in trend
    assert "Trend: 6 months in a row each higher, Jan 2024 – Jun 2024" in trend
    outlier = pages["D06"].read_text(encoding="utf-8")
    assert "An unusual month for substitute requests filled: February 2023, below the lower limit" in outlier
    stable = pages["D08"].read_text(encoding="utf-8")
    alt = next(label for label in svg_labels(stable) if "work orders closed" in label)
    assert alt.endswith(NO_SIGNAL.replace("'", "&#x27;"))
    table = next(t for t in page_tables(pages["D08"]) if t["caption"].startswith("Work orders closed"))
    assert [row[0] for row in table["rows"] if row][-1] == "Signals" and table["rows"][-1][2] == "0"


def test_signals_are_marked_by_shape_not_colour_alone():
    months = [f"{2022 + (i + 8) // 12}-{(i + 8) % 12 + 1:02d}" for i in range(24)]
    values = [110.0, 120.0] * 6 + [118.0, 40.0, 119.0, 100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 90.0, 91.0, 92.0]
    chart = xmr(months, values, bounds=(0, None))  # limits 88.4 to 141.6: 40 is beyond, the rest within
    kinds = [(s.kind, s.direction) for s in chart.signals]
    assert kinds == [("beyond", "below"), ("run", "below"), ("trend", "rising")]
    fig = support_services.xmr_figure(chart, "Work orders closed", "count")
    key = fig.legends[0]
    assert [handle.get_marker() for handle in key.legend_handles] == ["D", "s", "^"]
    assert [text.get_text() for text in key.get_texts()] == [support_services.short_words(s) for s in chart.signals]
    assert key.get_texts()[2].get_text() == "Trend: 6 months in a row each higher, Dec 2023 – May 2024"
    marked = [len(collection.get_offsets()) for collection in fig.axes[0].collections]
    assert marked == [s.points for s in chart.signals]


def test_the_tables_download_stands_alone(built):
    root, _ = built
    release = root / "site" / "r1"
    html = (release / "districts" / "D13" / "operations.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+\.csv)" class="table-download">', html)
    assert len(links) == 3
    text = (release / "districts" / "D13" / links[-1]).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:3] == ["district_id", "district_name", "school_year"]
    assert {row["district_id"] for row in rows} == {"D13"}
    assert [row["school_year"] for row in rows if row["Line or signal"].startswith("Run on one side")] == ["2024"]
