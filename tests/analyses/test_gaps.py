import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from districtstat.analyses.gaps import comparisons, gap_trends, hedges_g, outcome_gaps


def outcome_rows(year, district, rows):
    return [
        {"school_year": year, "district_id": district, "subject": "MATH", "grade": "ALL", "subgroup": g, "n": n, "mean_score": m, "sd_score": s, "pct_proficient": p}
        for g, n, m, s, p in rows
    ]


def test_hedges_g_matches_a_hand_computation():
    # n1=20, n2=30, means 480 and 500, SDs 40 and 50
    pooled = math.sqrt((19 * 40**2 + 29 * 50**2) / 48)
    d = -20 / pooled
    j = 1 - 3 / (4 * 50 - 9)
    g, se = hedges_g(480.0, 40.0, 20, 500.0, 50.0, 30)
    assert g == pytest.approx(j * d, rel=1e-12)
    assert se == pytest.approx(math.sqrt(50 / 600 + (j * d) ** 2 / 100), rel=1e-12)


def test_comparisons_pair_each_group_with_its_complement_and_races_with_white():
    pairs = comparisons(["ALL", "EL", "NOT_EL", "RACE_HI", "NOT_RACE_HI", "RACE_WH", "NOT_RACE_WH"])
    assert ("EL", "NOT_EL", "complement") in pairs
    assert ("RACE_HI", "RACE_WH", "White") in pairs
    assert ("RACE_WH", "RACE_WH", "White") not in pairs
    assert all(focal != "ALL" and not focal.startswith("NOT_") for focal, _, _ in pairs)


def test_outcome_gaps_difference_ci_and_proficiency():
    table = pd.DataFrame(outcome_rows(2024, "D01", [("ALL", 100, 495, 48, 50), ("EL", 20, 460, 40, 20), ("NOT_EL", 80, 503.75, 45, 57.5)]))
    gaps = outcome_gaps(table)
    row = gaps.iloc[0]
    assert (row["focal"], row["comparison"]) == ("EL", "NOT_EL")
    assert row["gap"] == pytest.approx(-43.75)
    v1, v2 = 40**2 / 20, 45**2 / 80
    welch_df = (v1 + v2) ** 2 / (v1**2 / 19 + v2**2 / 79)
    half_width = stats.t.ppf(0.95, welch_df) * math.sqrt(v1 + v2)  # a 90% interval, as every interval of the site
    assert row["gap_ci_high"] - row["gap"] == pytest.approx(half_width)
    assert row["gap_pct_proficient"] == pytest.approx(-37.5)


def closing_by_ten_points(students: int) -> pd.Series:
    rows = []
    for year, gap in [(2022, -30), (2023, -25), (2024, -20)]:
        rows += outcome_rows(year, "D01", [("ECODIS", students, 480 + gap, 40, 40), ("NOT_ECODIS", students, 480, 40, 60)])
    return gap_trends(outcome_gaps(pd.DataFrame(rows))).iloc[0]


def test_gap_trends_detect_a_closing_gap():
    row = closing_by_ten_points(students=500)  # each year's gap has a standard error of √(40²/500 × 2) ≈ 2.5 points
    assert row["change"] == pytest.approx(10)
    assert row["slope_per_year"] == pytest.approx(5)
    assert row["change_low"] > 0 and bool(row["closing"]) is True and row["trend"] == "closing"
    assert np.isfinite(row["slope_per_year"])


def test_a_gap_of_small_groups_moving_as_much_is_no_clear_change():
    row = closing_by_ten_points(students=50)  # a standard error of 8 points a year: 10 ± 18.6 includes zero
    assert row["change"] == pytest.approx(10)
    assert row["change_low"] < 0 < row["change_high"]
    assert row["trend"] == "no clear change" and not row["closing"]


def test_percent_proficient_gap_has_a_wald_interval():
    table = pd.DataFrame(outcome_rows(2024, "D01", [("EL", 100, 460, 40, 20), ("NOT_EL", 400, 500, 45, 60)]))
    row = outcome_gaps(table).iloc[0]
    half = 1.6448536269514722 * 100 * math.sqrt(0.2 * 0.8 / 100 + 0.6 * 0.4 / 400)
    assert row["gap_pct_proficient"] == pytest.approx(-40)
    assert row["gap_pct_proficient_ci_high"] - row["gap_pct_proficient"] == pytest.approx(half)


def test_an_intersection_is_compared_with_all_students():
    assert ("EL_X_ECODIS", "ALL", "all students") in comparisons(["ALL", "EL_X_ECODIS", "EL", "NOT_EL"])


def test_trends_use_only_years_both_groups_can_be_published():
    rows = []
    for year, n, gap in [(2022, 6, -60), (2023, 30, -30), (2024, 30, -20)]:
        rows += outcome_rows(year, "D01", [("EL", n, 480 + gap, 40, 40), ("NOT_EL", 200, 480, 40, 60)])
    row = gap_trends(outcome_gaps(pd.DataFrame(rows)), min_n=10).iloc[0]
    assert (row["first_year"], row["first_gap"]) == (2023, pytest.approx(-30))
    assert row["slope_per_year"] == pytest.approx(10)


def test_no_subgroups_give_an_empty_table_with_every_column():
    gaps = outcome_gaps(pd.DataFrame(outcome_rows(2024, "D01", [("ALL", 100, 500, 40, 50)])))
    assert gaps.empty and {"n_focal", "n_comparison", "gap", "hedges_g", "comparison_kind"} <= set(gaps.columns)
    assert gap_trends(gaps).empty
