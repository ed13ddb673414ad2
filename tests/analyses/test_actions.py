"""Action plans: the feedback loop's arithmetic on series with known answers, the contract, what changed, and the built pages."""

import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import norm

from districtstat.analyses import actions
from districtstat.data.example_actions import EXAMPLE_ACTIONS
from districtstat.data.contracts import load_contracts, validate_dataset

ROOT = Path(__file__).parents[2]


Z90 = norm.ppf(0.95)  # the usual movement's range is 90%, as every interval of the site


def series(values: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame({"school_year": list(values), "value": list(values.values())})


@pytest.mark.parametrize(
    ("day", "spring"),
    [(dt.date(2023, 9, 1), 2024), (dt.date(2024, 6, 30), 2024), (dt.date(2023, 7, 1), 2024), (dt.date(2023, 6, 30), 2023)],
)
def test_a_date_belongs_to_the_school_year_ending_the_next_june(day, spring):
    assert actions.school_year_of(day) == spring


def test_change_against_the_trend_before_and_its_range():
    """Three years before rising by 2 a year, then 6 in one year: 4 above the path, against ±1.645·σ·√(1 + 1/2)."""
    moved = actions.feedback(series({2021: 10, 2022: 12, 2023: 14, 2024: 20}), dt.date(2023, 9, 1), movement=1.0, better="higher", unit="%")
    assert (moved.start_year, moved.start_value, moved.latest_year, moved.latest_value) == (2023, 14, 2024, 20)
    assert moved.change == pytest.approx(6) and moved.expected == pytest.approx(2) and moved.against_trend == pytest.approx(4)
    assert moved.usual == pytest.approx(Z90 * math.sqrt(1.5))
    assert moved.reading.startswith("beyond the usual movement, for the better")
    assert "not proof that the action moved it" in moved.reading


def test_a_move_inside_the_usual_range_is_no_sign_and_lower_can_be_better():
    moved = actions.feedback(series({2022: 20, 2023: 20, 2024: 19}), dt.date(2023, 8, 1), movement=2.0, better="lower", unit="%")
    assert moved.against_trend == pytest.approx(-1) and moved.usual == pytest.approx(Z90 * 2 * math.sqrt(2))
    assert moved.reading.startswith("inside the usual movement: no sign yet")
    worse = actions.feedback(series({2022: 20, 2023: 20, 2024: 30}), dt.date(2023, 8, 1), movement=2.0, better="lower", unit="%")
    assert worse.reading.startswith("beyond the usual movement, for the worse")


def test_one_year_before_means_no_trend_only_the_usual_movement_over_the_years_since():
    moved = actions.feedback(series({2022: 500, 2023: 503, 2024: 510}), dt.date(2022, 8, 15), movement=3.0, better="higher", unit="points")
    assert moved.expected == 0 and moved.change == pytest.approx(10) and moved.usual == pytest.approx(Z90 * 3 * math.sqrt(2))
    assert moved.reading.endswith("where it stood before the action, not proof that the action moved it")


@pytest.mark.parametrize(
    ("start", "reason"),
    [(dt.date(2024, 10, 1), "no published value since the action started yet"), (dt.date(2021, 9, 1), "no published value before the action started")],
)
def test_no_verdict_without_a_year_on_each_side(start, reason):
    moved = actions.feedback(series({2022: 1, 2023: 2, 2024: 3}), start, movement=1.0, better="higher", unit="%")
    assert moved.reading == reason and math.isnan(moved.against_trend)


def test_yearly_movement_pools_each_districts_changes_around_its_own_drift():
    history = pd.DataFrame(
        {
            "district_id": ["A"] * 3 + ["B"] * 3 + ["C"] * 2,
            "code": "x",
            "school_year": [2022, 2023, 2024] * 2 + [2022, 2024],  # C has no consecutive years: it adds nothing
            "value": [0, 1, 4, 10, 10, 12, 0, 50],
        }
    )
    # A's changes 1, 3 (mean 2), B's 0, 2 (mean 1): squares 2 + 2 over 2 degrees of freedom
    assert actions.yearly_movement(history, "x") == pytest.approx(math.sqrt(2))
    assert math.isnan(actions.yearly_movement(history[history["district_id"] == "C"], "x"))


def test_an_open_action_past_its_review_date_is_overdue_and_a_closed_one_is_not():
    day = dt.date(2024, 9, 30)
    assert actions.is_overdue("in_progress", dt.date(2024, 3, 31), day)
    assert actions.is_overdue("planned", dt.date(2024, 9, 29), day)
    assert not actions.is_overdue("done", dt.date(2024, 3, 31), day)
    assert not actions.is_overdue("in_progress", day, day)


def published(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["district_id", "action_id", "status", "overdue", "review_date"])
    return frame.assign(district_name=frame["district_id"] + " name", label="Buses on time", what="Re-route", start_date="2023-09-01").astype(str)


def test_changes_between_releases_name_new_finished_overdue_and_withdrawn_actions():
    before = published([("D1", "A", "in_progress", False, "2025-06-30"), ("D1", "B", "in_progress", False, "2024-12-31"), ("D2", "C", "planned", False, "2025-06-30")])
    after = published([("D1", "A", "done", False, "2025-06-30"), ("D1", "B", "in_progress", True, "2024-12-31"), ("D3", "N", "in_progress", False, "2025-06-30")])
    moves = actions.action_changes(before, after)
    assert moves[["district_id", "action_id", "change"]].values.tolist() == [
        ["D1", "A", "in progress → done"],
        ["D1", "B", "now overdue: review date 2024-12-31 has passed"],
        ["D2", "C", "no longer listed"],
        ["D3", "N", "new: in progress, started 2023-09-01"],
    ]
    assert actions.action_changes(after, after).empty


def test_the_contract_names_file_line_column_rule_and_value(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "districts.csv").write_text("district_id,district_name,region,locale,grade_span\nD01,One,North,city,K-12\n")
    (data / "actions.csv").write_text(
        "district_id,action_id,indicator,what,owner_role,start_date,review_date,status,target\n"
        "D01,A1,pct_chronic_absent,Letters,Director,2023-09-01,2024-06-30,in_progress,15\n"
        "D01,A2,pct_chronic_absent,Visits,Director,2023-09-01,2023-06-30,in_progress,\n"
        "D01,A3,nonsense code,Visits,Director,2023-09-01,2024-06-30,underway,\n"
        "D09,A4,BUS_ON_TIME_PCT,Routes,Director,2023-09-01,2024-06-30,done,\n"
    )
    report = validate_dataset(data, load_contracts(ROOT / "data_contracts"), display_root=tmp_path)
    lines = report.lines()
    assert "data/actions.csv:3: row rule review_after_start (review_date >= start_date) (review_date=2023-06-30, start_date=2023-09-01)" in lines
    assert "data/actions.csv:4: status: not one of planned, in_progress, done, stopped (underway)" in lines
    assert any(re.match(r"data/actions\.csv:4: indicator: pattern .* \(nonsense code\)", line) for line in lines)
    assert "data/actions.csv:5: district_id: foreign key -> districts.district_id (D09)" in lines
    assert not any(line.startswith("data/actions.csv:2:") for line in lines)


# ------------------------------------------------------------------ the built example


@pytest.fixture(scope="module")
def site(built) -> Path:
    root, _ = built
    return root / "site" / "r1"


def test_the_scorecard_shows_the_districts_actions_beside_their_indicators_and_flags_the_overdue(site):
    page = (site / "districts" / "D03" / "scorecard.html").read_text(encoding="utf-8")
    section = page[page.index("Actions and what moved since"):]
    assert "Riverbend City Schools has recorded 2 actions (2 in progress) as of 30 Sep 2024" in section
    assert "OVERDUE: review was due 31 Mar 2024" in section and "A2" in section
    assert "is not proof that the action moved it" in section
    assert "Chronically absent" in section and "Buses on time" in section and "15.0% (not met)" in section
    quiet = (site / "districts" / "D04" / "scorecard.html").read_text(encoding="utf-8")
    assert "has recorded no actions in this release" in quiet


def test_the_actions_page_lists_every_action_by_indicator_with_the_district_linked(site):
    page = (site / "actions.html").read_text(encoding="utf-8")
    recorded = pd.read_csv(site / "downloads" / "actions.csv", dtype=str)
    assert len(recorded) == len(EXAMPLE_ACTIONS) and recorded["overdue"].tolist().count("True") == 1
    for row in recorded.itertuples():
        assert row.what in page
    chronic = next(part for part in page.split("<h2")[1:] if part.split("</h2>")[0].endswith("Chronically absent")).split("</table>")[0]
    assert 'href="districts/D03/index.html"' in chronic and "Juniper Flats Unified" in chronic and "Buses on time" not in chronic
    assert 'href="actions.html"' in (site / "index.html").read_text(encoding="utf-8"), "the navbar links the actions page"


def test_an_action_on_a_monthly_process_shows_the_signal_after_it_started_and_no_more(built):
    from districtstat.report import open_release

    _, params = built
    progress = actions.action_progress(open_release(params)).set_index(["district_id", "action_id"])
    substitutes = progress.loc[("D01", "S1")]
    assert substitutes["reading"].startswith("a signal against the limits from the 24 months before: From January 2024 to June 2024, substitute requests filled rose every month")
    assert substitutes["reading"].endswith("A sign, not proof that the action moved it")
    assert substitutes["before_text"].endswith("a month on average, Sep 2021–Dec 2023") and substitutes["latest_text"].endswith("6 months since")
    assert substitutes["against_trend"] > substitutes["usual"] > 0


def test_the_brief_brings_the_actions_to_the_meeting_overdue_first(site):
    brief = (site / "districts" / "D03" / "brief.html").read_text(encoding="utf-8")
    section = brief[brief.index("Actions and what moved since"):]
    assert section.index("OVERDUE") < section.index("Attendance letters")
    assert "not proof the action moved it" in section


def school_months(first_year: int, count: int) -> list[str]:
    """September to June, school year after school year."""
    months = [f"{first_year + year + (m < 7)}-{m:02d}" for year in range(4) for m in (9, 10, 11, 12, 1, 2, 3, 4, 5, 6)]
    return months[:count]


def test_an_action_on_a_monthly_process_is_read_against_the_limits_from_the_months_before():
    """Twelve months alternating 49/51 (mean moving range 2), the action, then nine months at 60: a shift."""
    months = school_months(2022, 21)
    values = [49.0, 51.0] * 6 + [60.0] * 9
    start = dt.date(int(months[12][:4]), int(months[12][5:]), 1)
    moved = actions.monthly_feedback(months, values, start, "Substitute requests filled", "higher", "%")
    assert moved.start_value == pytest.approx(50) and moved.latest_value == pytest.approx(60) and moved.against_trend == pytest.approx(10)
    assert moved.usual == pytest.approx(Z90 * (2 / 1.128) * math.sqrt(1 / 12 + 1 / 9))
    assert moved.reading.startswith("a signal against the limits from the 12 months before")
    assert moved.reading.endswith("A sign, not proof that the action moved it")
    assert moved.before_text == "50.0% a month on average, Sep 2022–Oct 2023"
    assert moved.latest_text == "60.0% a month on average, 9 months since"
    steady = actions.monthly_feedback(months, [49.0, 51.0] * 10 + [49.0], start, "Substitute requests filled", "higher", "%")
    assert steady.reading.startswith("no signal against the limits from the 12 months before")
    assert actions.monthly_feedback(months[:5] + months[12:14], [1.0] * 7, start, "x", "higher", "%") is None, "five months before are too few for limits"
