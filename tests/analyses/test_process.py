"""XmR charts on hand-made series whose limits and signals are known: each rule fires where it should, not a point early or late."""

from __future__ import annotations

import math

import pytest

from districtstat.analyses.process import NO_SIGNAL, month_words, xmr

# Twelve baseline values alternating 12, 10: centre 11, every moving range 2, so mR̄ = 2, limits 11 ± 5.32, URL 6.536.
# They alternate around the centre, never rise or fall twice in a row, and end below the centre (10).
BASELINE = [12.0, 10.0] * 6


def months(count: int, first: str = "2022-01") -> list[str]:
    year, month = map(int, first.split("-"))
    names = []
    for _ in range(count):
        names.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return names


def read(values, **options):
    return xmr(months(len(values)), values, **options)


def kinds(result) -> list[tuple[str, str, str, str]]:
    return [(s.kind, s.direction, s.first_month, s.last_month) for s in result.signals]


def test_limits_from_the_mean_moving_range():
    result = read(BASELINE + [11.0, 11.5, 10.5])
    assert result.centre == pytest.approx(11.0)
    assert result.mean_moving_range == pytest.approx(2.0)
    assert (result.lower, result.upper) == (pytest.approx(11 - 5.32), pytest.approx(11 + 5.32))
    assert result.upper_range == pytest.approx(3.268 * 2)
    assert result.baseline == tuple(months(12))  # the first twelve values, not the later ones
    assert result.moving_ranges.tolist() == [2.0] * 11 + [1.0, 0.5, 1.0]


def test_a_stable_process_raises_no_signal():
    values = [50, 53, 49, 52, 48, 51, 54, 50, 47, 52, 49, 53, 51, 48, 52, 50, 53, 49, 51, 50]
    result = read(values)
    assert result.centre == pytest.approx(608 / 12)
    assert result.mean_moving_range == pytest.approx(39 / 11)
    assert result.signals == ()
    assert result.summary == NO_SIGNAL


def test_one_point_beyond_a_limit_and_not_one_on_it():
    inside = read(BASELINE + [16.2, 11.0, 5.8])
    assert inside.signals == ()
    result = read(BASELINE + [11.0, 16.4, 11.0, 5.6, 11.0])
    assert kinds(result) == [("beyond", "above", "2023-02", "2023-02"), ("beyond", "below", "2023-04", "2023-04")]
    assert result.signals[0].values == (16.4,)


def test_consecutive_points_beyond_a_limit_are_one_signal():
    result = read(BASELINE + [11.0, 4.0, 3.0, 4.5, 11.0])
    assert kinds(result) == [("beyond", "below", "2023-02", "2023-04")]
    assert result.signals[0].points == 3


def test_seven_in_a_row_on_one_side_is_not_a_run_eight_is():
    assert read(BASELINE + [11.5] * 7 + [10.5]).signals == ()
    result = read(BASELINE + [11.5] * 8 + [10.5])
    assert kinds(result) == [("run", "above", "2023-01", "2023-08")]
    assert result.signals[0].points == 8


def test_a_run_is_as_long_as_it_lasts_and_starts_where_it_starts():
    # The baseline's last value (10) is below the centre: a run below starts there, eleven values long.
    result = read(BASELINE + [10.5] * 10 + [11.5])
    assert kinds(result) == [("run", "below", "2022-12", "2023-10")]
    assert result.signals[0].points == 11


def test_a_value_on_the_centre_line_ends_a_run():
    assert read(BASELINE + [11.5] * 4 + [11.0] + [11.5] * 4 + [10.5]).signals == ()


def test_five_rising_is_not_a_trend_six_is():
    # After the baseline's 10, an equal 10.0 starts afresh: it is not a rise.
    six = read(BASELINE + [10.0, 10.2, 10.4, 10.6, 10.8, 11.0, 10.9])
    assert kinds(six) == [("trend", "rising", "2023-01", "2023-06")]
    assert six.signals[0].values == (10.0, 10.2, 10.4, 10.6, 10.8, 11.0)
    assert read(BASELINE + [10.0, 10.2, 10.4, 10.6, 10.8, 10.7]).signals == ()


def test_six_falling_is_a_trend_and_an_equal_value_ends_it():
    result = read(BASELINE + [11.0, 12.0, 11.8, 11.6, 11.4, 11.2, 11.0, 11.1])
    assert kinds(result) == [("trend", "falling", "2023-02", "2023-07")]
    assert read(BASELINE + [11.0, 12.0, 11.8, 11.6, 11.6, 11.4, 11.2, 11.3]).signals == ()


def test_signals_overlap_and_are_listed_by_first_month():
    result = read(BASELINE + [11.0] + [2.0] * 9)
    assert kinds(result) == [("beyond", "below", "2023-02", "2023-10"), ("run", "below", "2023-02", "2023-10")]


def test_limits_stop_at_the_measures_natural_bounds():
    percent = read([97.0, 99.0] * 6 + [98.0], bounds=(0, 100))
    assert percent.upper == 100 and percent.lower == pytest.approx(98 - 5.32)
    counts = read([1.0, 5.0] * 6 + [3.0], bounds=(0, None))
    assert counts.lower == 0 and counts.upper == pytest.approx(3 + 2.66 * 4)
    assert counts.signals == ()  # a month with 0 would not be beyond a limit of 0


def test_baseline_before_a_month():
    values = BASELINE + [20.0, 21.0, 20.0, 21.0, 20.0, 21.0]
    result = read(values, before="2023-01")
    assert result.baseline == tuple(months(12)) and result.centre == pytest.approx(11.0)
    later = read(values, before="2023-04")  # fifteen months: 12, 10, ... 10, 20, 21, 20
    assert len(later.baseline) == 15
    assert later.centre == pytest.approx((132 + 61) / 15)
    assert later.mean_moving_range == pytest.approx((22 + 10 + 1 + 1) / 14)
    assert read(values, before="2022-06") is None  # five months are too few for limits


def test_default_baseline_and_too_short_series():
    assert read([10.0, 12.0, 11.0, 13.0, 12.0, 11.0]).baseline == tuple(months(6))  # every value, when fewer than twelve
    assert read([10.0, 12.0, 11.0, 13.0, 12.0]) is None
    assert len(read(BASELINE * 2, baseline_points=18).baseline) == 18


def test_months_are_put_in_order():
    order = [3, 0, 2, 1, 5, 4, 7, 6]
    names = months(8)
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 11.0, 12.0, 10.0]
    shuffled = xmr([names[i] for i in order], [values[i] for i in order])
    assert shuffled.months == tuple(names) and shuffled.values.tolist() == values


def test_signals_read_in_plain_words():
    shift = xmr(months(21), [110.0, 120.0] * 6 + [80.0] * 9, label="work orders closed", shown="{:,.0f}".format)
    run = next(s for s in shift.signals if s.kind == "run")
    assert run.sentence == ("From January 2023, work orders closed stayed below the usual level for 9 months in a row: "
                            "the process has shifted, not just varied.")
    beyond = next(s for s in shift.signals if s.kind == "beyond")
    assert beyond.sentence.startswith("From January 2023 to September 2023, work orders closed lay below the lower natural process limit (88) for 9 months in a row")
    fill = read(BASELINE + [11.0, 17.0, 11.0], label="substitute requests filled", better="higher", shown="{:.1f}%".format)
    assert fill.signals[0].sentence == ("In February 2023, substitute requests filled (17.0%) lay above the upper natural process "
                                        "limit (16.3%): more than routine variation explains; find out what happened that month.")
    falling = read(BASELINE + [11.0, 12.0, 11.8, 11.6, 11.4, 11.2, 11.0, 11.1], label="buses on time", better="higher")
    assert falling.signals[0].sentence == ("From February 2023 to July 2023, buses on time fell every month, 6 months in a row: "
                                           "a steady change for the worse, not the usual ups and downs.")
    assert "2 signals" in shift.summary and month_words("2023-09", short=True) == "Sep 2023"


def test_limits_are_finite_for_a_flat_baseline():
    result = read([5.0] * 12 + [5.0, 6.0])
    assert result.mean_moving_range == 0 and math.isfinite(result.upper)
    assert kinds(result) == [("beyond", "above", "2023-02", "2023-02")]
