"""The analyses find what the synthetic consortium planted.

The default consortium is generated once for the module and run through the same steps a build runs
(validate against the contracts, aggregate, fit the models). Every expectation is read from
``planted_truths.json``; only the tolerances live here, each with its reason:

- EL gap in MATH (D02): within ±5 points of the planted effect. EL is drawn there independently of every
  other score factor, so the raw gap equals the effect up to sampling error: about 1.3 points of standard
  error with ~1,800 EL and ~9,800 other tested students (score SD ~48), so ±5 is about 4 SE.
- Inefficient district (D04): residual among the three lowest and below −5 points, as a board member would
  read "well below the line". Its excess (×1.35) buys nothing, ~7.5 points forgone, but D04 is also the main
  source of spending variation the controls do not explain, so the fit leans towards it (leverage ~0.5)
  and only part of the shortfall shows as residual. Its spending relative to needs (log spending
  residualised on the model's controls) must be the highest or second highest.
- Spending effect: the fitted log-spending coefficient is positive and its 95% CI covers the planted
  points per log-dollar. One row per district (14) leaves it imprecise (SE ~25), so only coverage and
  sign are testable; noise and D04's wasted excess attenuate it.
- Efficient district (D05): the highest residual, within ±6 points of the planted 25. The regression
  absorbs about leverage × effect (leverage ~0.16, ~4 points) and the other districts' effects move the
  line by a point or two.
- Closing ECODIS gap (D03): yearly slope within ±2.5 of the planted change, in both subjects, and
  `closing`. Each year's gap has a standard error near 1.1 points (~4,800 vs ~3,200 students), so a
  three-year slope has ~0.8; ±2.5 is about 3 SE and leaves room for churn changing who is tested.
- Tiny subgroup (D10, RACE_PI): every planted cell has the recorded 0 < n < 10 in `subgroup_outcomes`,
  and both the cells and the district page's all-grade rows show the suppression symbol after
  disclosure control. Counts are exact: no tolerance.
- Chronic absence: the raw CHRONIC_ABSENT vs NOT_CHRONIC_ABSENT gap, averaged over districts, is negative
  and within ±10 points of the planted −12. The raw gap also carries the correlated effects: chronically
  absent students are far more often ECODIS (−18) and SWD (−38), which adds roughly −8 points, hence the
  wider band. Among students neither ECODIS nor SWD (an intersection of groups the aggregation already
  supports) those effects are gone, and the gap is within ±4 points of the planted effect (standard
  error ~1; the rest allows for homeless and race effects that still correlate a little).
- Bus on-time decline (D07): the fitted yearly slope of BUS_ON_TIME_PCT within ±1.5 points of the
  planted change (yearly noise SD 0.6 gives a slope SE of ~0.4), every year lower than the one before,
  and no other district declining at even half that rate.
- Monthly processes (XmR charts, from `operations_monthly`): exactly the signals each planted series names,
  kind, direction, first and last month, and none at all on the stable one; no tolerance. The effects are
  far beyond the limits (a shift to half the level, a climb of 4.5 points a month, an outlier 12 points
  down) and the rest of each series is quiet noise, so detection is certain by construction, not by luck of
  the seed. The same signals come back with limits from the months before the effect (`before`). No other
  substitute or work-order series in the consortium raises any signal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from districtstat.data import aggregate, contracts, synthetic
from districtstat import config
from districtstat.privacy import disclosure
from districtstat.analyses import models, process
from districtstat.data.synthetic import TRUTHS_FILE, ConsortiumSpec

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "params" / "synthetic.yml"
CONTRACTS = ROOT / "data_contracts"
# Chronically absent or not, among students who are neither ECODIS nor SWD.
CHRONIC_STRATA = [["CHRONIC_ABSENT", "NOT_ECODIS", "NOT_SWD"], ["NOT_CHRONIC_ABSENT", "NOT_ECODIS", "NOT_SWD"]]
OUTCOME_COLUMNS = ["mean_score", "sd_score", "pct_proficient"]  # what rests on `n`, as district pages protect it
PROCESS_TRUTHS = ["work_orders_shift", "substitute_fill_trend", "substitute_fill_outlier", "work_orders_stable"]


@dataclass
class Analysis:
    truths: dict
    tables: dict[str, pd.DataFrame]
    fitted: dict[str, pd.DataFrame]
    settings: config.Settings

    def truth(self, truth_id: str) -> dict:
        return next(truth for truth in self.truths["truths"] if truth["id"] == truth_id)

    @property
    def latest_year(self) -> int:
        return int(self.tables["district_indicators"]["school_year"].max())


@pytest.fixture(scope="module")
def analysis(tmp_path_factory) -> Analysis:
    folder = synthetic.write_consortium(tmp_path_factory.mktemp("consortium"), ConsortiumSpec())
    truths = json.loads((folder / TRUTHS_FILE).read_text(encoding="utf-8"))
    report = contracts.validate_dataset(folder, contracts.load_contracts(CONTRACTS))
    assert report.ok, report.failure_table.head(10).to_string()
    tables = aggregate.aggregate(report.tables, intersections=CHRONIC_STRATA)
    settings = config.load_project(PARAMS).settings
    return Analysis(truths, tables, models.fit_models(settings, tables), settings)


def _gap(gaps: pd.DataFrame, district: str, year: int, subject: str, focal: str, comparison: str) -> pd.Series:
    chosen = gaps[(gaps["district_id"] == district) & (gaps["school_year"] == year) & (gaps["subject"] == subject)
                  & (gaps["grade"] == "ALL") & (gaps["focal"] == focal) & (gaps["comparison"] == comparison)]
    assert len(chosen) == 1, (district, year, subject, focal, comparison)
    return chosen.iloc[0]


def _ranked_residuals(analysis: Analysis) -> pd.Series:
    """Efficiency residuals, lowest first."""
    return analysis.fitted["efficiency"].set_index("district_id")["residual"].sort_values()


def test_every_truth_has_a_check_here(analysis):
    checked = {"el_gap_math", "spending_effect", "inefficient_district", "efficient_district", "closing_ecodis_gap",
               "tiny_subgroup", "chronic_absence_effect", "bus_on_time_decline", *PROCESS_TRUTHS}
    assert {truth["id"] for truth in analysis.truths["truths"]} == checked


def test_el_gap_in_math(analysis):
    truth = analysis.truth("el_gap_math")
    row = _gap(analysis.fitted["gaps"], truth["district_id"], truth["school_year"], truth["subject"], "EL", "NOT_EL")
    assert abs(row["gap"] - truth["value"]) <= 5
    assert row["hedges_g"] < 0 and row["g_ci_high"] < 0


def test_inefficient_district_sits_well_below_the_line(analysis):
    truth = analysis.truth("inefficient_district")
    district = truth["district_id"]
    residuals = _ranked_residuals(analysis)
    assert district in residuals.index[:3].tolist(), residuals.round(2).to_dict()
    assert residuals[district] < -5
    # It spends the most relative to its needs: log spending net of the model's own need and size controls.
    model = analysis.settings.efficiency
    indicators = analysis.tables["district_indicators"]
    latest = indicators[indicators["school_year"] == analysis.latest_year].reset_index(drop=True)
    net = smf.ols(f"{model.spending} ~ {' + '.join(model.controls)}", data=latest).fit().resid
    above_needs = pd.Series(net.to_numpy(), index=latest.loc[net.index, "district_id"]).sort_values(ascending=False)
    assert district in above_needs.index[:2].tolist(), above_needs.round(3).to_dict()
    assert truth["value"] > 1 and truth["productive_multiplier"] < truth["value"]


def test_spending_buys_results_across_districts(analysis):
    truth = analysis.truth("spending_effect")
    spending = analysis.settings.efficiency.spending
    coefficients = analysis.fitted["efficiency_coefficients"].set_index("term")
    row = coefficients.loc[spending]
    assert row["estimate"] > 0
    assert row["ci_low"] <= truth["value"] <= row["ci_high"]


def test_efficient_district_sits_highest_above_the_line(analysis):
    truth = analysis.truth("efficient_district")
    residuals = _ranked_residuals(analysis)
    assert residuals.index[-1] == truth["district_id"], residuals.round(2).to_dict()
    assert abs(residuals[truth["district_id"]] - truth["value"]) <= 6


@pytest.mark.parametrize("subject", ["ELA", "MATH"])
def test_closing_ecodis_gap(analysis, subject):
    truth = analysis.truth("closing_ecodis_gap")
    trends = analysis.fitted["gap_trends"]
    row = trends[(trends["district_id"] == truth["district_id"]) & (trends["subject"] == subject)
                 & (trends["grade"] == "ALL") & (trends["focal"] == "ECODIS") & (trends["comparison"] == "NOT_ECODIS")]
    assert len(row) == 1
    row = row.iloc[0]
    assert abs(row["slope_per_year"] - truth["value"]) <= 2.5
    assert bool(row["closing"])
    assert row["first_gap"] < 0 and row["latest_gap"] < 0


def _page_rule(table: pd.DataFrame, min_n: int) -> disclosure.ProtectedTable:
    """How district pages protect subgroup results (views.subgroup_results): n and what rests on it."""
    return disclosure.protect(table, counts={"n": OUTCOME_COLUMNS}, min_n=min_n)


def test_tiny_subgroup_cells_are_small_and_suppressed(analysis):
    truth = analysis.truth("tiny_subgroup")
    outcomes = analysis.tables["subgroup_outcomes"]
    ours = outcomes[(outcomes["district_id"] == truth["district_id"]) & (outcomes["subgroup"] == truth["subgroup"])]
    cells = pd.DataFrame(truth["cells"])
    assert len(cells) > 0
    found = cells.merge(ours, on=["school_year", "grade", "subject"], how="left", suffixes=("_planted", ""))
    assert found["n"].notna().all(), "a planted cell is missing from subgroup_outcomes"
    assert (found["n"].astype(int) == found["n_planted"]).all()
    assert found["n"].between(1, analysis.settings.min_n - 1).all()
    shown = _page_rule(found[["school_year", "grade", "subject", "n", *OUTCOME_COLUMNS]], analysis.settings.min_n)
    assert (shown.display_frame()[["n", *OUTCOME_COLUMNS]] == disclosure.SUPPRESSED).all().all()
    assert disclosure.below_threshold_cells(shown) == 0


def test_tiny_subgroup_is_suppressed_on_the_district_page(analysis):
    from districtstat import views

    truth = analysis.truth("tiny_subgroup")
    latest = [cell for cell in truth["cells"] if cell["school_year"] == analysis.latest_year]
    planted_per_subject = pd.DataFrame(latest).groupby("subject")["n"].sum()
    assert (planted_per_subject < analysis.settings.min_n).all()  # so the all-grade rows must be hidden too

    class Release:  # what views.subgroup_results reads of a built release
        latest_year = analysis.latest_year
        min_n = analysis.settings.min_n

        @staticmethod
        def table(name: str) -> pd.DataFrame:
            return analysis.fitted.get(name, analysis.tables.get(name))  # the models decide which counts every page hides

    from districtstat.data.aggregate import subgroup_label

    page = views.subgroup_results(Release(), truth["district_id"])
    shown = page.display_frame()
    rows = shown[shown["group"] == subgroup_label(truth["subgroup"])]
    assert set(rows["subject"]) == set(planted_per_subject.index)
    assert (rows[["n", *OUTCOME_COLUMNS]] == disclosure.SUPPRESSED).all().all()
    assert disclosure.below_threshold_cells(page) == 0


def _weighted_gap(gaps: pd.DataFrame) -> float:
    """Districts' gaps averaged with inverse-variance weights (from each gap's CI)."""
    weight = 1 / np.square(gaps["gap_ci_high"] - gaps["gap_ci_low"])
    return float(np.average(gaps["gap"], weights=weight))


@pytest.mark.parametrize("subject", ["ELA", "MATH"])
def test_chronic_absence_gap_across_districts(analysis, subject):
    truth = analysis.truth("chronic_absence_effect")
    gaps = analysis.fitted["gaps"]
    raw = gaps[(gaps["school_year"] == analysis.latest_year) & (gaps["subject"] == subject) & (gaps["grade"] == "ALL")
               & (gaps["focal"] == "CHRONIC_ABSENT") & (gaps["comparison"] == "NOT_CHRONIC_ABSENT")]
    assert raw["district_id"].nunique() == len(analysis.tables["districts"])
    assert (raw["gap"] < 0).mean() >= 0.9
    consortium = _weighted_gap(raw)
    assert consortium < 0 and abs(consortium - truth["value"]) <= 10
    assert consortium <= truth["value"] + 1  # correlated ECODIS and SWD effects only widen it


@pytest.mark.parametrize("subject", ["ELA", "MATH"])
def test_chronic_absence_gap_without_ecodis_and_swd(analysis, subject):
    truth = analysis.truth("chronic_absence_effect")
    outcomes = analysis.tables["subgroup_outcomes"]
    chronic, other = ("_X_".join(parts) for parts in CHRONIC_STRATA)
    cells = outcomes[(outcomes["school_year"] == analysis.latest_year) & (outcomes["subject"] == subject)
                     & (outcomes["grade"] == "ALL") & outcomes["subgroup"].isin([chronic, other])]
    wide = cells.pivot(index="district_id", columns="subgroup", values=["n", "mean_score", "sd_score"]).dropna()
    n_1, n_2 = wide[("n", chronic)].astype(float), wide[("n", other)].astype(float)
    gap = wide[("mean_score", chronic)] - wide[("mean_score", other)]
    variance = np.square(wide[("sd_score", chronic)]) / n_1 + np.square(wide[("sd_score", other)]) / n_2
    within = float(np.average(gap, weights=1 / variance))
    assert len(wide) >= 12
    assert abs(within - truth["value"]) <= 4


def test_bus_on_time_decline(analysis):
    truth = analysis.truth("bus_on_time_decline")
    kpis = analysis.tables["operations_kpis"]
    bus = kpis[kpis["kpi_code"] == "BUS_ON_TIME_PCT"].sort_values("school_year")
    slopes = bus.groupby("district_id").apply(
        lambda rows: np.polyfit(rows["school_year"].astype(float), rows["value"].astype(float), 1)[0])
    ours = bus[bus["district_id"] == truth["district_id"]]["value"].to_numpy()
    assert abs(slopes[truth["district_id"]] - truth["value"]) <= 1.5
    assert np.all(np.diff(ours) < 0)
    others = slopes.drop(truth["district_id"])
    assert (others > truth["value"] / 2).all(), others.round(2).to_dict()


def _process_chart(analysis: Analysis, district: str, kpi: str, **options) -> process.XmR:
    monthly = analysis.tables["operations_monthly"]
    series = monthly[(monthly["district_id"] == district) & (monthly["kpi_code"] == kpi)]
    bounds = (0, 100) if series["unit"].iloc[0] == "percent" else (0, None)
    return process.xmr(series["month"].tolist(), series["value"].tolist(), bounds=bounds, **options)


def _signals(chart: process.XmR) -> list[dict]:
    return [{"kind": s.kind, "direction": s.direction, "first_month": s.first_month, "last_month": s.last_month} for s in chart.signals]


@pytest.mark.parametrize("truth_id", PROCESS_TRUTHS)
def test_process_signals_are_recovered_exactly(analysis, truth_id):
    truth = analysis.truth(truth_id)
    chart = _process_chart(analysis, truth["district_id"], truth["kpi_code"])
    assert list(chart.baseline) == truth["baseline_months"]
    assert _signals(chart) == truth["expected_signals"]
    if truth["kind"] == "stable":
        assert chart.summary == process.NO_SIGNAL


@pytest.mark.parametrize("truth_id", ["work_orders_shift", "substitute_fill_outlier"])
def test_process_signals_with_limits_from_the_months_before(analysis, truth_id):
    truth = analysis.truth(truth_id)
    start = truth["expected_signals"][0]["first_month"]
    chart = _process_chart(analysis, truth["district_id"], truth["kpi_code"], before=start)
    assert chart.baseline[-1] < start and len(chart.baseline) == 14 + (truth["kind"] == "outlier")
    assert _signals(chart) == truth["expected_signals"]


def test_no_other_substitute_or_work_order_process_signals(analysis):
    planted = {(analysis.truth(t)["district_id"], analysis.truth(t)["kpi_code"]) for t in PROCESS_TRUTHS}
    monthly = analysis.tables["operations_monthly"]
    others = monthly[monthly["kpi_code"].isin(["SUBSTITUTE_FILL_PCT", "WORK_ORDERS_CLOSED"])]
    pairs = sorted(set(zip(others["district_id"], others["kpi_code"])) - planted)
    assert len(pairs) == 2 * 14 - 4
    assert {pair: _signals(_process_chart(analysis, *pair)) for pair in pairs} == {pair: [] for pair in pairs}
