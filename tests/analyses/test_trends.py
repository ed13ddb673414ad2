"""One trend rule for every unit: a word only where the change reaches the indicator's smallest meaningful change and
its 90% interval, from each year's own standard error, excludes zero; planted series on each side of both lines."""

import math

import numpy as np
import pytest

from districtstat.analyses.indicators import GAP_MEANINGFUL_CHANGE, INDICATORS
from districtstat.analyses.scorecard import trend_of
from districtstat.analyses.trends import NO_CLEAR_CHANGE, change_standard_error, trend

YEARS = [2022, 2023, 2024]
PRECISE = [0.1] * 3  # a figure resting on very many students: only the smallest meaningful change decides
RECORD = [0.0] * 3  # a record of the whole district: no sampling error


def series(start, per_year):
    return [start + per_year * i for i in range(len(YEARS))]


@pytest.mark.parametrize(
    "code, start, per_year, errors, word",
    [
        ("mean_score_math", 490.0, 0.0, PRECISE, NO_CLEAR_CHANGE),
        ("pct_proficient_math", 40.0, 0.0, PRECISE, NO_CLEAR_CHANGE),
        ("mean_score_math", 490.0, 2.5, PRECISE, "improving"),  # +5 points over two years: past the 4-point threshold
        ("pct_proficient_math", 40.0, 1.5, PRECISE, "improving"),  # +3 percentage points: past the 2-point threshold
        ("mean_score_math", 490.0, 0.7, PRECISE, NO_CLEAR_CHANGE),  # +1.4 points on a ~490 score: not a meaningful change
        ("pct_proficient_math", 40.0, 0.3, PRECISE, NO_CLEAR_CHANGE),  # +0.6 percentage points: the same rule as scores
        ("pct_chronic_absent", 20.0, 1.5, PRECISE, "worsening"),  # lower is better
        ("per_pupil_spending", 14000.0, 150.0, RECORD, "up"),  # $300 over two years, neither direction better
        ("per_pupil_spending", 14000.0, 50.0, RECORD, NO_CLEAR_CHANGE),
        ("gap.EL.MATH", -30.0, 0.0, PRECISE, NO_CLEAR_CHANGE),  # a gap that does not move
        ("gap.EL.MATH", -30.0, 3.0, PRECISE, "closing"),
        ("gap.EL.MATH", -30.0, -3.0, PRECISE, "widening"),
    ],
)
def test_planted_series_get_the_word_of_their_unit(code, start, per_year, errors, word):
    moved = trend_of(code, YEARS, series(start, per_year), errors)
    assert moved.word == word
    assert moved.change == pytest.approx(per_year * 2)


def test_a_change_whose_interval_includes_zero_is_no_clear_change_however_large():
    # the review's cases: chronic absence 16% → 20% of 321 students (SE about 2.2 points a year), and a gap of
    # students with disabilities resting on 29 students (SE about 9.5 points a year) moving by 13 points
    absence = trend_of("pct_chronic_absent", YEARS, [16.0, 16.0, 20.0], [2.19, 2.15, 2.31])
    gap = trend_of("gap.SWD.ELA", YEARS, [-31.0, -26.0, -44.1], [10.0, 9.7, 9.3])
    assert absence.change == pytest.approx(4.0) and absence.low < 0 < absence.high
    assert gap.change == pytest.approx(-13.1) and gap.low < 0 < gap.high
    assert (absence.word, gap.word) == (NO_CLEAR_CHANGE, NO_CLEAR_CHANGE)
    # the same changes in districts ten times the size are clear
    assert trend_of("pct_chronic_absent", YEARS, [16.0, 16.0, 20.0], [0.7] * 3).word == "worsening"
    assert trend_of("gap.SWD.ELA", YEARS, [-31.0, -26.0, -44.1], [3.0] * 3).word == "widening"


def test_the_change_interval_is_ninety_percent_of_the_standard_error_of_latest_minus_first():
    moved = trend_of("mean_score_ela", YEARS, [516.9, 512.8, 512.2], [3.5, 3.6, 3.6])
    se = math.sqrt(3.5**2 + 3.6**2)  # with three equally spaced years the middle year has no weight
    assert moved.change_se == pytest.approx(se)
    assert (moved.low, moved.high) == pytest.approx((moved.change - 1.6449 * se, moved.change + 1.6449 * se), abs=1e-3)
    # four years: each year weighs by its distance from the middle, (xᵢ − x̄) / Σ (xⱼ − x̄)², times the span of 3
    assert change_standard_error(np.array([2021, 2022, 2023, 2024]), np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(3 * math.sqrt(2 * 1.5**2 + 2 * 0.5**2) / 5)


def test_a_record_needs_only_the_smallest_meaningful_change_and_its_interval_is_the_change():
    moved = trend_of("WORK_ORDER_DAYS", YEARS, [9.4, 10.2, 11.3], RECORD)
    assert (moved.low, moved.high) == pytest.approx((moved.change, moved.change))
    assert moved.word == "worsening"


def test_a_figure_resting_on_students_with_no_known_error_gets_no_word_for_a_meaningful_change():
    moved = trend_of("mean_score_math", YEARS, [480.0, 490.0, 500.0], [np.nan] * 3)
    assert moved.word == "" and np.isnan(moved.low)
    assert trend_of("mean_score_math", YEARS, [490.0, 490.0, 491.0], [np.nan] * 3).word == NO_CLEAR_CHANGE  # too small to matter either way


def test_the_same_relative_size_is_judged_in_each_unit_not_as_a_share_of_the_value():
    # the old rule called anything within 1% of the value steady: +1.4 on a score, but +0.6 on a percentage 'improving'
    score = trend_of("mean_score_ela", YEARS, [489.6, 490.3, 491.0], PRECISE)
    share = trend_of("pct_proficient_ela", YEARS, [40.0, 40.3, 40.6], PRECISE)
    assert (score.word, share.word) == (NO_CLEAR_CHANGE, NO_CLEAR_CHANGE)


def test_thresholds_are_declared_for_every_indicator_in_its_unit():
    for indicator in INDICATORS.values():
        assert indicator.meaningful_change > 0, indicator.code
    assert GAP_MEANINGFUL_CHANGE == INDICATORS["mean_score_math"].meaningful_change  # a gap is in score points


def test_the_threshold_is_judged_at_the_precision_readers_see():
    assert trend([2022, 2024], [40.0, 41.96], [0.0, 0.0], "higher", 2.0).word == "improving"  # shown as +2.0: the word agrees
    assert trend([2022, 2024], [40.0, 41.94], [0.0, 0.0], "higher", 2.0).word == NO_CLEAR_CHANGE  # shown as +1.9


def test_slope_and_its_standard_error_over_every_year():
    moved = trend([2020, 2021, 2022, 2023], [10.0, 12.0, 11.0, 13.0], [0.1] * 4, "higher", 1.0)
    assert moved.slope_per_year == pytest.approx(0.8)
    # residuals -0.2, 1.0, -0.8, 0.4: SSR 1.8 over 2 df, Sxx 5
    assert moved.slope_se == pytest.approx((1.8 / 2 / 5) ** 0.5)
    assert moved.change == pytest.approx(2.4) and moved.word == "improving"


def test_fewer_than_two_years_is_no_trend():
    assert trend([2024], [50.0], [1.0], "higher", 2.0) is None
    assert trend([2023, 2024], [50.0, float("nan")], [1.0, 1.0], "higher", 2.0) is None
