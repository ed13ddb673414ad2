"""The standard errors of district figures and the 90% interval of a district's percentile and rank among its peers,
against answers known by hand or by a seeded simulation."""

import math

import numpy as np
import pandas as pd
import pytest

from districtstat.analyses.gaps import gap_standard_error
from districtstat.analyses.peers import peer_standing
from districtstat.analyses.scorecard import scorecard
from districtstat.analyses.standing import (
    ABOVE,
    BELOW,
    MIDDLE,
    MODEL,
    RECORD,
    SAMPLING,
    UNKNOWN,
    beaten_distribution,
    error_table,
    figure_kind,
    mean_se,
    peer_standing_interval,
    percent_se,
    rounding_sd,
    standard_errors,
)


# ------------------------------------------------------------------ standard errors


def test_the_standard_error_formulas():
    assert mean_se(45.0, 400) == pytest.approx(45 / 20)  # s/√n, points
    assert percent_se(20.0, 100) == pytest.approx(4.0)  # 100 √(0.2 × 0.8 / 100) = 4 percentage points
    assert percent_se(50.0, 2500) == pytest.approx(1.0)
    assert rounding_sd(5) == pytest.approx(5 / math.sqrt(12))
    assert np.isnan(mean_se(np.nan, 400)) and np.isnan(mean_se(45.0, 1))
    gaps = pd.DataFrame({"n_focal": [100.0], "sd_score_focal": [30.0], "n_comparison": [400.0], "sd_score_comparison": [40.0]})
    assert gap_standard_error(gaps)[0] == pytest.approx(math.sqrt(30**2 / 100 + 40**2 / 400))  # √(9 + 4)


def test_every_figure_of_a_history_gets_the_error_of_its_kind():
    history = pd.DataFrame(
        {
            "district_id": ["A"] * 7 + ["B"],
            "school_year": [2024] * 8,
            "code": ["mean_score_math", "pct_proficient_math", "pct_chronic_absent", "gap.EL.MATH", "BUS_ON_TIME_PCT", "per_pupil_spending", "efficiency_residual", "mean_score_math"],
            "value": [500.0, 40.0, 20.0, -20.0, 91.0, 14000.0, 3.0, 480.0],
            "se": [np.nan, np.nan, np.nan, 3.5, np.nan, np.nan, np.nan, np.nan],
        }
    )
    outcomes = pd.DataFrame(
        {
            "district_id": ["A", "B"],
            "school_year": [2024, 2024],
            "subject": ["MATH", "MATH"],
            "grade": ["ALL", "ALL"],
            "subgroup": ["ALL", "ALL"],
            "n": [400, 300],
            "sd_score": [40.0, np.nan],  # B's data give no SD (like California's aggregate files)
        }
    )
    enrollment = pd.DataFrame({"district_id": ["A", "B"], "school_year": [2024, 2024], "enrollment": [1000, 700]})
    se = pd.Series(standard_errors(history, outcomes, enrollment, min_n=10), index=history["code"] + "/" + history["district_id"])
    assert se["mean_score_math/A"] == pytest.approx(40 / 20)
    # 400 tested students: published to steps of 2 points (2 × 400 ≥ 50 × 10), whose rounding adds 2/√12
    assert se["pct_proficient_math/A"] == pytest.approx(math.sqrt(100 * 0.4 * 0.6 / 400 * 100 + 4 / 12))
    # a share of the 1,000 enrolled, published to whole points
    assert se["pct_chronic_absent/A"] == pytest.approx(math.sqrt(100 * 0.2 * 0.8 / 1000 * 100 + 1 / 12))
    assert se["gap.EL.MATH/A"] == 3.5  # the gap's own, from its Welch interval
    assert se["BUS_ON_TIME_PCT/A"] == 0 and se["per_pupil_spending/A"] == 0  # records of the whole district
    assert np.isnan(se["efficiency_residual/A"]) and np.isnan(se["mean_score_math/B"])


def test_figure_kinds():
    assert figure_kind("mean_score_ela") == SAMPLING and figure_kind("gap.SWD.MATH") == SAMPLING and figure_kind("pct_chronic_absent") == SAMPLING
    assert figure_kind("WORK_ORDER_DAYS") == RECORD and figure_kind("spend_benefits") == RECORD
    assert figure_kind("efficiency_residual") == MODEL
    assert figure_kind("a_student_figure_nobody_described") == SAMPLING  # so no verdict without a known error


# ------------------------------------------------------------------ the interval


def test_a_district_far_above_every_peer_with_tiny_errors_is_at_100_for_sure():
    found = peer_standing_interval(600.0, 0.5, [500.0, 510.0, 490.0, 505.0, 495.0], [0.5] * 5, "higher", SAMPLING)
    assert (found.percentile, found.low, found.high) == (100, 100, 100)
    assert (found.rank, found.best, found.worst, found.of) == (1, 1, 1, 6)
    assert found.verdict == ABOVE


def test_equal_figures_with_large_errors_give_a_wide_interval_around_the_middle():
    found = peer_standing_interval(500.0, 20.0, [500.0] * 5, [20.0] * 5, "higher", SAMPLING)
    assert found.low <= 20 and found.high >= 80 and found.low < 50 < found.high
    assert found.best <= 2 and found.worst >= 5
    assert found.verdict == MIDDLE


def test_lower_and_closer_to_zero_count_as_better_in_their_own_direction():
    absent = peer_standing_interval(10.0, 0.2, [20.0, 30.0, 25.0], [0.2] * 3, "lower", SAMPLING)
    assert (absent.low, absent.high, absent.rank) == (100, 100, 1)
    gap = peer_standing_interval(-40.0, 0.2, [-10.0, 5.0, -20.0], [0.2] * 3, "closer_to_zero", SAMPLING)
    assert (gap.low, gap.high, gap.rank, gap.worst) == (0, 0, 4, 4)
    assert gap.verdict == BELOW


@pytest.mark.parametrize("better", ["higher", "lower", "closer_to_zero"])
def test_the_computed_distribution_is_what_a_seeded_simulation_finds(better):
    own, own_se = -12.0, 3.0
    peers, errors = np.array([-15.0, -8.0, -11.0, 2.0, -20.0]), np.array([2.0, 4.0, 3.0, 5.0, 2.5])
    worse, ahead = beaten_distribution(own, own_se, peers, errors, better)
    rng = np.random.default_rng(20240930)
    draws = 400_000
    x = rng.normal(own, own_se, draws)[:, None]
    y = rng.normal(peers, errors, (draws, len(peers)))
    turn = {"higher": lambda v: v, "lower": lambda v: -v, "closer_to_zero": lambda v: -np.abs(v)}[better]
    simulated_worse = np.bincount((turn(y) < turn(x)).sum(axis=1), minlength=6) / draws
    simulated_ahead = np.bincount((turn(y) > turn(x)).sum(axis=1), minlength=6) / draws
    assert worse.sum() == pytest.approx(1) and ahead.sum() == pytest.approx(1)
    assert worse == pytest.approx(simulated_worse, abs=0.005)
    assert ahead == pytest.approx(simulated_ahead, abs=0.005)
    assert worse == pytest.approx(ahead[::-1], abs=1e-9)  # no ties by chance: the peers it beats are those not ahead


def test_the_same_figures_give_the_same_interval_in_any_order():
    peers, errors = [495.0, 498.0, 503.0, 510.0, 480.0], [3.0, 4.0, 2.0, 5.0, 3.0]
    first = peer_standing_interval(500.0, 3.0, peers, errors, "higher", SAMPLING)
    again = peer_standing_interval(500.0, 3.0, peers, errors, "higher", SAMPLING)
    shuffled = peer_standing_interval(500.0, 3.0, peers[::-1], errors[::-1], "higher", SAMPLING)
    assert first == again == shuffled
    assert (first.percentile, first.rank) == (60, 3)  # better than 495, 498, 480; behind 503 and 510
    assert first.low <= 60 <= first.high and first.best <= 3 <= first.worst


def test_a_record_without_a_smallest_difference_keeps_its_own_place_but_a_tie_and_an_unknown_error_give_none():
    record = peer_standing_interval(92.0, 0.0, [80.0, 95.0, 85.0, 70.0, 92.0], [0.0] * 5, "higher", RECORD)
    assert (record.percentile, record.low, record.high) == (60, 60, 80)  # beats 80, 85, 70; the tie with 92 could go either way
    assert (record.rank, record.best, record.worst) == (2, 2, 3)  # only 95 is ahead: the tie shares the better rank
    assert record.verdict == ABOVE
    unknown = peer_standing_interval(500.0, np.nan, [480.0, 490.0], [2.0, 2.0], "higher", SAMPLING)
    assert unknown.uncertainty == UNKNOWN and np.isnan(unknown.percentile) and np.isnan(unknown.rank) and unknown.verdict == ""
    peer_unknown = peer_standing_interval(500.0, 2.0, [480.0, 490.0], [2.0, np.nan], "higher", SAMPLING)
    assert peer_unknown.uncertainty == UNKNOWN  # a peer's error unknown: its place cannot be weighed either


def test_a_record_within_its_smallest_meaningful_difference_of_a_peer_is_about_the_same_as_it():
    # the review's case: staff attendance 94.4% against peers at 94.2, 93.9, 94.0, 95.0 and 93.0; a point is the least difference
    staff = peer_standing_interval(94.4, 0.0, [94.2, 93.9, 94.0, 95.0, 93.0], [0.0] * 5, "higher", RECORD, meaningful=1.0)
    assert staff.percentile == 80  # ahead of four peers by a few tenths: above the middle if tenths counted
    assert (staff.low, staff.high) == (20, 100)  # only 93.0 is a point or more behind, and no peer a point or more ahead
    assert (staff.best, staff.worst) == (1, 5)
    assert staff.verdict == MIDDLE
    # clear of every peer by more than the difference: the interval closes on its place
    slow = peer_standing_interval(2.7, 0.0, [1.7, 1.5, 2.1, 1.8, 1.2], [0.0] * 5, "lower", RECORD, meaningful=0.5)
    assert (slow.low, slow.high, slow.best, slow.worst) == (0, 0, 6, 6) and slow.verdict == BELOW
    # a peer exactly the smallest difference away, as pages show it, counts as told apart
    edge = peer_standing_interval(95.0, 0.0, [94.0, 94.0, 94.0], [0.0] * 3, "higher", RECORD, meaningful=1.0)
    assert (edge.low, edge.verdict) == (100, ABOVE)


def test_each_record_declares_its_own_smallest_meaningful_difference_finer_than_its_units_where_districts_differ_less():
    from districtstat.analyses.indicators import INDICATORS

    for code in ("STAFF_ATTENDANCE_PCT", "TEACHER_VACANCY_PCT", "IT_TICKET_DAYS", "BUS_ON_TIME_PCT", "WORK_ORDER_DAYS"):
        assert figure_kind(code) == RECORD and INDICATORS[code].meaningful_change > 0
    assert INDICATORS["STAFF_ATTENDANCE_PCT"].meaningful_change < INDICATORS["BUS_ON_TIME_PCT"].meaningful_change
    assert INDICATORS["IT_TICKET_DAYS"].meaningful_change < INDICATORS["WORK_ORDER_DAYS"].meaningful_change


# ------------------------------------------------------------------ in the scorecard and the peers page


def history(rows):
    return pd.DataFrame(rows, columns=["district_id", "school_year", "code", "value", "se"])


def test_the_scorecard_states_a_verdict_only_where_the_interval_supports_it():
    rows = [("A", 2024, "mean_score_math", 530.0, 1.0), ("A", 2024, "mean_score_ela", 501.0, 8.0), ("A", 2024, "BUS_ON_TIME_PCT", 80.0, 0.0)]
    rows += [(d, 2024, "mean_score_math", v, 1.0) for d, v in zip("BCDEF", [500.0, 502.0, 498.0, 505.0, 497.0])]
    rows += [(d, 2024, "mean_score_ela", v, 8.0) for d, v in zip("BCDEF", [500.0, 502.0, 498.0, 505.0, 497.0])]
    rows += [(d, 2024, "BUS_ON_TIME_PCT", v, 0.0) for d, v in zip("BCDEF", [90.0, 92.0, 95.0, 85.0, 88.0])]
    card = scorecard(history(rows), "A", list("BCDEF"), goals={}).set_index("code")
    assert (card.loc["mean_score_math", "percentile_low"], card.loc["mean_score_math", "standing"]) == (100, ABOVE)
    ela = card.loc["mean_score_ela"]
    assert ela["peer_percentile"] == 60 and ela["percentile_low"] < 50 < ela["percentile_high"] and ela["standing"] == MIDDLE
    bus = card.loc["BUS_ON_TIME_PCT"]  # 80% against peers at 85% to 95%: behind every one by 2 points or more
    assert (bus["peer_percentile"], bus["percentile_low"], bus["percentile_high"], bus["uncertainty"], bus["standing"]) == (0, 0, 0, RECORD, BELOW)


def test_without_a_known_error_a_student_figure_has_no_percentile_but_a_record_keeps_its_own():
    rows = [(d, 2024, "mean_score_math", v, np.nan) for d, v in zip("ABC", [510.0, 500.0, 490.0])]
    rows += [(d, 2024, "WORK_ORDER_DAYS", v, 0.0) for d, v in zip("ABC", [3.0, 5.0, 1.0])]
    card = scorecard(history(rows), "A", ["B", "C"], goals={}).set_index("code")
    assert np.isnan(card.loc["mean_score_math", "peer_percentile"]) and card.loc["mean_score_math", "uncertainty"] == UNKNOWN
    assert card.loc["WORK_ORDER_DAYS", "peer_percentile"] == 50 and card.loc["WORK_ORDER_DAYS", "uncertainty"] == RECORD


def test_the_peers_page_rank_has_its_interval():
    rows = [(d, 2024, "mean_score_math", v, 0.5) for d, v in zip("ABCDEF", [530.0, 500.0, 502.0, 498.0, 505.0, 497.0])]
    rows += [(d, 2024, "mean_score_ela", 500.0, 25.0) for d in "ABCDEF"]
    frame = history(rows)
    kpis = frame.pivot_table(index="district_id", columns="code", values="value")
    standing = peer_standing(kpis, "A", list("BCDEF"), error_table(frame, 2024)).set_index("code")
    math_row = standing.loc["mean_score_math"]
    assert (math_row["rank"], math_row["best"], math_row["worst"], math_row["of"]) == (1, 1, 1, 6)
    ela = standing.loc["mean_score_ela"]
    assert ela["rank"] == 1 and ela["best"] == 1 and ela["worst"] >= 5 and ela["standing"] == MIDDLE  # tied: nothing told apart
    assert math_row["difference"] == pytest.approx(30.0) and 28 < math_row["difference_low"] < 30 < math_row["difference_high"] < 32
    assert ela["difference"] == 0 and ela["difference_low"] < -40 and ela["difference_high"] > 40  # ±1.645 × √(25² + about 25²)
    alone = peer_standing(kpis, "A", list("BCDEF")).set_index("code")  # no errors given: no rank stated
    assert np.isnan(alone.loc["mean_score_math", "rank"]) and alone.loc["mean_score_math", "uncertainty"] == UNKNOWN


def test_a_consortium_rank_has_its_interval_or_is_not_shown():
    from districtstat.analyses.standing import MOST_RANKED_EXACTLY, consortium_rank_intervals

    apart = consortium_rank_intervals("mean_score_math", [500.0, 520.0, 540.0], [0.5, 0.5, 0.5], "higher")
    assert apart == ["3 to 3", "2 to 2", "1 to 1"]
    close = consortium_rank_intervals("mean_score_math", [500.0, 501.0, 502.0], [20.0, 20.0, 20.0], "higher")
    assert close[1] == "1 to 3"
    unknown = consortium_rank_intervals("mean_score_math", [500.0, 520.0], [float("nan"), 1.0], "higher")
    assert unknown == [None, None]  # one unknown error leaves every place among them unknown
    # records: told apart by 2 percentage points or more, else about the same
    assert consortium_rank_intervals("BUS_ON_TIME_PCT", [90.0, 95.0], [0.0, 0.0], "higher") == ["2 to 2", "1 to 1"]
    assert consortium_rank_intervals("BUS_ON_TIME_PCT", [90.0, 91.0, 95.0], [0.0, 0.0, 0.0], "higher") == ["2 to 3", "2 to 3", "1 to 1"]
    many = MOST_RANKED_EXACTLY + 1
    assert set(consortium_rank_intervals("mean_score_math", list(range(many)), [1.0] * many, "higher")) == {None}


# ------------------------------------------------------------------ the interval of a difference from the peer median


@pytest.mark.parametrize("peers, errors", [([16.0, 17.0, 18.0, 16.0, 18.0], [2.2, 2.5, 2.4, 2.3, 2.0]), ([16.0, 17.0, 18.0, 16.0], [2.2, 2.5, 2.4, 0.0])])
def test_the_difference_from_the_peer_median_has_the_interval_a_seeded_simulation_finds(peers, errors):
    from districtstat.analyses.standing import median_difference_interval

    low, high = median_difference_interval(20.0, 2.3, peers, errors)
    rng = np.random.default_rng(20240930)
    draws = 400_000
    simulated = rng.normal(20.0, 2.3, draws) - np.median(rng.normal(peers, errors, (draws, len(peers))), axis=1)
    assert (low, high) == pytest.approx(tuple(np.quantile(simulated, [0.05, 0.95])), abs=0.06)  # an even count of peers too
    assert low < 20.0 - np.median(peers) < high
    assert median_difference_interval(20.0, 2.3, peers[::-1], errors[::-1]) == (low, high)  # in any order, the same


def test_a_difference_between_records_is_exact_and_one_with_an_unknown_error_has_no_interval():
    from districtstat.analyses.standing import median_difference_interval

    assert median_difference_interval(2.7, 0.0, [1.7, 1.5, 2.1], [0.0, 0.0, 0.0]) == pytest.approx((1.0, 1.0))
    assert all(np.isnan(median_difference_interval(500.0, np.nan, [480.0, 490.0], [2.0, 2.0])))
    assert all(np.isnan(median_difference_interval(500.0, 2.0, [480.0, 490.0], [2.0, np.nan])))
