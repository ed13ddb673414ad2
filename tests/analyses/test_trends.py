"""One trend rule for every unit: planted series that are flat, rising by a meaningful amount, or just short of it."""

import pytest

from districtstat.analyses.indicators import GAP_MEANINGFUL_CHANGE, INDICATORS
from districtstat.analyses.scorecard import trend_of
from districtstat.analyses.trends import trend

YEARS = [2022, 2023, 2024]


def series(start, per_year):
    return [start + per_year * i for i in range(len(YEARS))]


@pytest.mark.parametrize(
    "code, start, per_year, word",
    [
        ("mean_score_math", 490.0, 0.0, "steady"),
        ("pct_proficient_math", 40.0, 0.0, "steady"),
        ("mean_score_math", 490.0, 2.5, "improving"),  # +5 points over two years: past the 4-point threshold
        ("pct_proficient_math", 40.0, 1.5, "improving"),  # +3 percentage points: past the 2-point threshold
        ("mean_score_math", 490.0, 0.7, "steady"),  # +1.4 points on a ~490 score: not a meaningful change
        ("pct_proficient_math", 40.0, 0.3, "steady"),  # +0.6 percentage points: steady too, the same rule as scores
        ("pct_chronic_absent", 20.0, 1.5, "worsening"),  # lower is better
        ("per_pupil_spending", 14000.0, 150.0, "up"),  # $300 over two years, neither direction better
        ("per_pupil_spending", 14000.0, 50.0, "steady"),
        ("gap.EL.MATH", -30.0, 0.0, "steady"),  # a gap that does not move
        ("gap.EL.MATH", -30.0, 3.0, "closing"),
        ("gap.EL.MATH", -30.0, -3.0, "widening"),
    ],
)
def test_planted_series_get_the_word_of_their_unit(code, start, per_year, word):
    moved = trend_of(code, YEARS, series(start, per_year))
    assert moved.word == word
    assert moved.change == pytest.approx(per_year * 2)


def test_the_same_relative_size_is_judged_in_each_unit_not_as_a_share_of_the_value():
    # the old rule called anything within 1% of the value steady: +1.4 on a score, but +0.6 on a percentage 'improving'
    score = trend_of("mean_score_ela", YEARS, [489.6, 490.3, 491.0])
    share = trend_of("pct_proficient_ela", YEARS, [40.0, 40.3, 40.6])
    assert (score.word, share.word) == ("steady", "steady")


def test_thresholds_are_declared_for_every_indicator_in_its_unit():
    for indicator in INDICATORS.values():
        assert indicator.meaningful_change > 0, indicator.code
    assert GAP_MEANINGFUL_CHANGE == INDICATORS["mean_score_math"].meaningful_change  # a gap is in score points


def test_the_threshold_is_judged_at_the_precision_readers_see():
    assert trend([2022, 2024], [40.0, 41.96], "higher", 2.0).word == "improving"  # shown as +2.0: the word agrees
    assert trend([2022, 2024], [40.0, 41.94], "higher", 2.0).word == "steady"  # shown as +1.9


def test_slope_and_its_standard_error_over_every_year():
    moved = trend([2020, 2021, 2022, 2023], [10.0, 12.0, 11.0, 13.0], "higher", 1.0)
    assert moved.slope_per_year == pytest.approx(0.8)
    # residuals -0.2, 1.0, -0.8, 0.4: SSR 1.8 over 2 df, Sxx 5
    assert moved.slope_se == pytest.approx((1.8 / 2 / 5) ** 0.5)
    assert moved.change == pytest.approx(2.4) and moved.word == "improving"


def test_fewer_than_two_years_is_no_trend():
    assert trend([2024], [50.0], "higher", 2.0) is None
    assert trend([2023, 2024], [50.0, float("nan")], "higher", 2.0) is None
