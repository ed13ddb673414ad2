import re

import numpy as np
import pandas as pd
import pytest

from districtstat.analyses.efficiency import school_allocation
from districtstat.analyses.scorecard import gap_history, goal_status, scorecard, yearly_series


def history_rows(code, values_by_district, se=0.5):
    """Rows of a published history; every figure with a standard error small beside the differences between districts,
    so that each percentile's 90% interval is the percentile itself."""
    return [
        {"district_id": d, "school_year": year, "code": code, "value": v, "se": se}
        for d, by_year in values_by_district.items()
        for year, v in by_year.items()
    ]


@pytest.fixture
def history():
    rows = history_rows("mean_score_math", {"A": {2022: 490, 2024: 500}, "B": {2024: 495}, "C": {2024: 510}, "D": {2024: 480}})
    rows += history_rows("pct_chronic_absent", {"A": {2022: 20, 2024: 22}, "B": {2024: 25}, "C": {2024: 10}, "D": {2024: 30}})
    rows += history_rows("gap.EL.MATH", {"A": {2022: -30, 2024: -20}, "B": {2024: -10}, "C": {2024: -40}, "D": {2024: -25}})
    rows += history_rows("per_pupil_spending", {"A": {2024: 15000}, "B": {2024: 12000}})
    return pd.DataFrame(rows)


def test_scorecard_values_trends_and_peer_percentiles(history):
    card = scorecard(history, "A", ["B", "C", "D"], goals={"mean_score_math": 505, "pct_chronic_absent": 25, "gap.EL.MATH": -25}).set_index("code")
    math = card.loc["mean_score_math"]
    assert (math["value"], math["change"], math["trend"]) == (500, 10, "improving")
    assert math["peer_percentile"] == pytest.approx(200 / 3)  # better than B and D, not C
    assert math["status"] == "not met"
    absent = card.loc["pct_chronic_absent"]
    assert absent["trend"] == "worsening"  # lower is better and it rose
    assert absent["peer_percentile"] == pytest.approx(200 / 3)  # 22 beats 25 and 30
    assert absent["status"] == "met"
    gap = card.loc["gap.EL.MATH"]
    assert (gap["area"], gap["trend"], gap["status"]) == ("Equity", "closing", "met")
    assert gap["peer_percentile"] == pytest.approx(200 / 3)  # |-20| beats |-40| and |-25|
    assert np.isnan(card.loc["per_pupil_spending", "peer_percentile"])
    assert list(card["area"].unique()) == ["Student outcomes", "Equity", "Finance"]


def test_goal_status():
    assert goal_status(-14.0, -15.0, "closer_to_zero") == "met"
    assert goal_status(-16.0, -15.0, "closer_to_zero") == "not met"
    assert goal_status(5.0, None, "higher") == ""


def test_the_middle_year_counts_and_a_single_year_has_no_trend(history):
    rows = pd.DataFrame(
        [{"district_id": "A", "school_year": year, "code": "mean_score_math", "value": v, "se": 0.5} for year, v in [(2022, 490), (2023, 470), (2024, 490), (2025, 470)]]
    )
    card = scorecard(rows, "A", [], goals={}).set_index("code")
    # first 490, latest 470: the line through all four years falls by 12 points, not the 20 first-to-latest would say
    assert card.loc["mean_score_math", "change"] == pytest.approx(-12)
    assert card.loc["mean_score_math", "trend"] == "worsening"
    one_year = scorecard(history, "B", ["A"], goals={}).set_index("code")
    assert one_year.loc["mean_score_math", "trend"] == "" and np.isnan(one_year.loc["mean_score_math", "change"])


def test_the_scorecard_gives_each_change_its_interval_from_the_histories_standard_errors(history):
    noisy = history.assign(se=np.where(history["code"] == "pct_chronic_absent", 3.0, history["se"]))
    card = scorecard(noisy, "A", ["B", "C", "D"], goals={}).set_index("code")
    absent = card.loc["pct_chronic_absent"]  # 20% → 22%: +2 points, but ± 1.645 × √(3² + 3²) ≈ 7 points
    assert absent["change"] == pytest.approx(2) and absent["change_low"] < 0 < absent["change_high"]
    assert absent["change_high"] - absent["change"] == pytest.approx(1.6449 * np.sqrt(18), abs=1e-3)
    assert absent["trend"] == "no clear change"
    assert card.loc["mean_score_math", "trend"] == "improving"  # +10 points ± 1.2: clear


def test_yearly_series_gives_every_year_and_the_peers_median(history):
    extra = pd.DataFrame(
        [{"district_id": d, "school_year": 2022, "code": "mean_score_math", "value": v} for d, v in [("B", 480.0), ("C", 500.0), ("D", 470.0)]]
    )
    series = yearly_series(pd.concat([history, extra]), "A", ["B", "C", "D"]).set_index(["code", "school_year"])
    assert series.loc[("mean_score_math", 2022), "value"] == 490
    assert series.loc[("mean_score_math", 2022), "peer_median"] == 480  # median of 480, 500, 470
    assert series.loc[("mean_score_math", 2024), "peer_median"] == 495  # median of 495, 510, 480
    assert series.loc[("per_pupil_spending", 2024), "peers_reporting"] == 1


def test_the_efficiency_residual_is_never_ranked_among_peers():
    rows = pd.DataFrame([{"district_id": d, "school_year": 2024, "code": "efficiency_residual", "value": v} for d, v in [("A", 5.0), ("B", -3.0), ("C", 1.0)]])
    card = scorecard(rows, "A", ["B", "C"], goals={}).set_index("code")
    assert np.isnan(card.loc["efficiency_residual", "peer_percentile"])


def test_gap_history_drops_small_groups():
    gaps = pd.DataFrame(
        {
            "district_id": ["A", "A"],
            "school_year": [2024, 2024],
            "subject": ["MATH", "MATH"],
            "grade": ["ALL", "ALL"],
            "focal": ["EL", "SWD"],
            "comparison": ["NOT_EL", "NOT_SWD"],
            "comparison_kind": ["complement", "complement"],
            "n_focal": [40, 6],
            "n_comparison": [400, 434],
            "gap": [-20.0, -35.0],
        }
    )
    assert gap_history(gaps, min_n=10)["code"].tolist() == ["gap.EL.MATH"]


def test_school_allocation_detects_progressive_and_too_few_schools():
    rng = np.random.default_rng(3)
    need = np.linspace(10, 90, 12)
    schools = pd.DataFrame(
        {
            "school_year": 2024,
            "district_id": ["P"] * 12 + ["T"] * 2,
            "school_id": [f"s{i}" for i in range(14)],
            "enrollment": [300] * 14,
            "pct_ecodis": list(need) + [20.0, 80.0],
            "per_pupil_spending": list(9000 + 40 * need + rng.normal(0, 100, 12)) + [9000.0, 9100.0],
        }
    )
    allocation = school_allocation(schools).set_index("district_id")
    assert allocation.loc["P", "pattern"] == "progressive"
    assert allocation.loc["P", "slope"] == pytest.approx(40, abs=6)
    assert allocation.loc["T", "pattern"] == "too few schools"


def test_a_withheld_latest_figure_keeps_its_year_without_value_standing_or_goal_status(history):
    goals = {"pct_chronic_absent": 25}
    card = scorecard(history, "A", ["B", "C", "D"], goals, latest_year=2024, withheld={"pct_chronic_absent"}).set_index("code")
    absent = card.loc["pct_chronic_absent"]
    # not the 2022 value reported as the latest, nor a percentile of an earlier year
    assert absent["year"] == 2024 and absent["withheld"]
    assert np.isnan(absent["value"]) and np.isnan(absent["peer_percentile"]) and absent["status"] == ""
    assert absent["goal"] == 25
    shown = card.loc["mean_score_math"]
    assert not shown["withheld"] and shown["value"] == 500 and shown["peer_percentile"] == pytest.approx(200 / 3)


# ------------------------------------------------------------------ the lead's sentence on standing among peers


def card_of(values: dict[str, tuple[float, list[float], float]], district: str = "A") -> pd.DataFrame:
    """A scorecard of district A against peers B to F: per code, (A's value, the peers' values, every figure's SE)."""
    rows = []
    for code, (own, peers, se) in values.items():
        rows += [{"district_id": d, "school_year": 2024, "code": code, "value": v, "se": se} for d, v in zip("ABCDEF", [own, *peers])]
    return scorecard(pd.DataFrame(rows), district, list("BCDEF"), goals={})


def test_the_lead_names_no_indicator_whose_interval_includes_the_middle():
    from districtstat.views.scorecard import standing_sentences

    # far above its peers in math, far below in ELA, all with small errors; then the same values with large errors
    clear = card_of({"mean_score_math": (530.0, [500.0, 502.0, 498.0, 505.0, 497.0], 1.0), "mean_score_ela": (470.0, [500.0, 502.0, 498.0, 505.0, 497.0], 1.0)})
    text = " ".join(standing_sentences(clear))
    assert "It stands clearly above the middle of its peers on 1: mean math scale score (highest of the six districts: 530.0 points against a peer median of 500.0 points)." in text
    assert "It stands clearly below the middle on 1: mean ELA scale score (lowest of the six districts: 470.0 points against a peer median of 500.0 points)." in text
    unclear = card_of({"mean_score_math": (506.0, [500.0, 502.0, 498.0, 505.0, 497.0], 15.0), "mean_score_ela": (497.5, [500.0, 502.0, 498.0, 505.0, 497.0], 15.0)})
    assert (unclear["percentile_low"] < 50).all() and (unclear["percentile_high"] > 50).all()
    text = " ".join(standing_sentences(unclear))
    assert "best" not in text and "least well" not in text and "clearly" not in text and "highest" not in text
    assert text.endswith("On all 2 indicators its standing cannot be told apart from the middle of its peers (each one's 90% interval includes 50%).")


def test_the_lead_picks_no_best_among_ties_and_names_each_clear_standing_with_its_unit():
    from districtstat.views.scorecard import standing_sentences

    peers = [500.0, 502.0, 498.0, 505.0, 497.0]
    card = card_of(
        {
            "mean_score_math": (530.0, peers, 1.0),  # better than all, interval 100 to 100
            "mean_score_ela": (530.0, peers, 1.0),  # the same: a tie no lead may break by picking one
            "pct_proficient_math": (503.0, peers, 0.2),  # better than 60%, interval above 50: not the highest
            "pct_proficient_ela": (506.0, peers, 15.0),  # better than all of them, but its interval includes 50: not named
            "BUS_ON_TIME_PCT": (80.0, [90.0, 92.0, 95.0, 85.0, 88.0], 0.0),  # a record, behind every peer by 2 points or more
        }
    )
    text = " ".join(standing_sentences(card))
    assert "best" not in text and "least well" not in text and "better than none" not in text
    assert "ranked against its five peers on 5 indicators, those on its peers page" in text
    assert "clearly above the middle of its peers on 3: mean ELA scale score (highest of the six districts: 530.0 points against a peer median of 500.0 points)" in text
    assert "mean math scale score (highest of the six districts: 530.0 points against a peer median of 500.0 points)" in text
    assert "proficient in math (503% against a peer median of 500%)" in text
    assert "clearly below the middle on 1: buses on time (lowest of the six districts: 80% against a peer median of 90%)" in text
    assert "On the one other indicator its standing cannot be told apart from the middle (its 90% interval includes 50%)." in text
    assert "proficient in ELA" not in text


def test_the_leads_counts_of_standings_add_up_to_the_indicators_ranked_and_say_which_the_peers_page_shows():
    from districtstat.views.scorecard import standing_sentences

    peers = [500.0, 502.0, 498.0, 505.0, 497.0]
    many = {code: (530.0, peers, 1.0) for code in ("mean_score_math", "mean_score_ela", "pct_proficient_math", "pct_proficient_ela")}
    many |= {"gap.EL.MATH": (-5.0, [-30.0, -25.0, -28.0, -32.0, -35.0], 1.0), "gap.SWD.MATH": (-20.0, [-18.0, -22.0, -21.0, -19.0, -20.5], 9.0)}
    card = card_of(many)
    text = " ".join(standing_sentences(card))
    assert "ranked against its five peers on 6 indicators: the 4 on its peers page and 2 gaps between student groups" in text
    # five on one side are more than a lead names with values: named alone, in the card's order, none picked
    assert "clearly above the middle of its peers on 5: mean ELA scale score, mean math scale score, proficient in ELA, proficient in math and the gap in math of English learners (the tables below give each against its peer median)." in text
    assert "On the one other indicator its standing cannot be told apart" in text
    counts = [int(n) for n in re.findall(r"on (\d+):", text)] + [1]
    assert sum(counts) == 6


def test_many_clear_standings_are_counted_by_area_rather_than_one_picked():
    from districtstat.views.scorecard import standing_sentences

    peers = [500.0, 502.0, 498.0, 505.0, 497.0]
    codes = ["mean_score_math", "mean_score_ela", "pct_proficient_math", "pct_proficient_ela", "pct_chronic_absent"]
    many = {code: (530.0 if code != "pct_chronic_absent" else 5.0, peers if code != "pct_chronic_absent" else [20.0, 21.0, 22.0, 23.0, 24.0], 1.0) for code in codes}
    many |= {f"gap.{group}.MATH": (-5.0, [-30.0, -25.0, -28.0, -32.0, -35.0], 1.0) for group in ("EL", "SWD", "ECODIS", "CHRONIC_ABSENT")}
    text = " ".join(standing_sentences(card_of(many)))
    assert "clearly above the middle of its peers on 9: 5 student outcomes and 4 gaps between student groups." in text


def test_the_leads_tally_of_changes_adds_up_and_keeps_spending_apart():
    from districtstat.views.scorecard import trend_sentences

    rows = []
    for code, values, se in (
        ("mean_score_math", [480.0, 500.0], 1.0),  # +20 ± 2.3: improved
        ("pct_chronic_absent", [16.0, 20.0], 2.2),  # +4 ± 5.1: no clear change
        ("gap.SWD.MATH", [-26.8, -44.8], 9.0),  # −18 ± 21: no clear change
        ("WORK_ORDER_DAYS", [9.4, 11.3], 0.0),  # a record, +1.9 days: worsened
        ("per_pupil_spending", [20000.0, 22000.0], 0.0),  # up
        ("spend_student_support", [980.0, 1010.0], 0.0),  # +$30: no clear change
    ):
        rows += [{"district_id": "A", "school_year": year, "code": code, "value": v, "se": se} for year, v in zip((2022, 2024), values)]
    card = scorecard(pd.DataFrame(rows), "A", [], goals={})
    said = " ".join(trend_sentences(card))
    assert "of its 4 indicators with a better direction, 1 improved, 1 worsened and 2 show no clear change" in said
    assert "Of its 2 spending lines per pupil, 1 rose, 0 fell and 1 shows no clear change" in said


def test_the_lead_says_why_a_figure_without_a_known_error_has_no_standing():
    from districtstat.views.scorecard import standing_sentences

    card = card_of({"mean_score_math": (530.0, [500.0, 502.0, 498.0, 505.0, 497.0], np.nan)})
    assert standing_sentences(card) == [
        "No standing among peers is stated for mean math scale score: the data give no measure of how much it would vary "
        "by chance (no standard deviation or exact count of the students tested)."
    ]
