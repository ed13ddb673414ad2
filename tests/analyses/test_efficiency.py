import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from districtstat.analyses.efficiency import fit_efficiency


@pytest.fixture
def districts():
    rng = np.random.default_rng(7)
    n = 60
    frame = pd.DataFrame(
        {
            "district_id": [f"D{i:03d}" for i in range(n)],
            "per_pupil_spending": rng.uniform(9000, 20000, n),
            "pct_ecodis": rng.uniform(10, 90, n),
            "enrollment": rng.integers(300, 40000, n).astype(float),
        }
    )
    frame["score"] = 400 + 20 * np.log(frame["per_pupil_spending"]) - 0.8 * frame["pct_ecodis"] + rng.normal(0, 5, n)
    return frame


def test_fit_efficiency_reproduces_a_direct_statsmodels_fit(districts):
    fit = fit_efficiency(districts, outcome="score", spending="np.log(per_pupil_spending)", controls=["pct_ecodis", "np.log(enrollment)"])
    direct = smf.ols("score ~ np.log(per_pupil_spending) + pct_ecodis + np.log(enrollment)", data=districts).fit(cov_type="HC1", use_t=True)
    coefficients = fit.coefficients.set_index("term")
    assert list(coefficients.columns) == ["estimate", "std_error", "t", "p", "ci_low", "ci_high"]
    assert coefficients["estimate"].to_numpy() == pytest.approx(direct.params.to_numpy())
    assert coefficients["std_error"].to_numpy() == pytest.approx(direct.bse.to_numpy())
    assert coefficients["ci_low"].to_numpy() == pytest.approx(direct.conf_int(alpha=0.10)[0].to_numpy())  # 90%, as every interval of the site
    assert fit.r2 == pytest.approx(direct.rsquared)
    assert fit.n == 60


def test_residuals_and_percentiles(districts):
    fit = fit_efficiency(districts, outcome="score", spending="np.log(per_pupil_spending)", controls=["pct_ecodis"])
    table = fit.districts
    assert table["residual"].to_numpy() == pytest.approx((table["observed"] - table["predicted"]).to_numpy())
    best = table.loc[table["residual"].idxmax()]
    assert best["percentile"] == pytest.approx(100.0)
    assert 0 < fit.cv_r2 <= fit.r2 + 0.05


def test_planted_efficient_district_has_the_top_residual(districts):
    districts.loc[districts["district_id"] == "D010", "score"] += 60
    fit = fit_efficiency(districts, outcome="score", spending="np.log(per_pupil_spending)", controls=["pct_ecodis"])
    assert fit.districts.set_index("district_id")["residual"].idxmax() == "D010"


def test_prediction_interval_is_statsmodels_obs_interval_when_chance_is_equal(districts):
    """With no size information every district varies alike, and the residual's interval is exactly the HC1 fit's
    90% interval for a new district's result (summary_frame(obs=True)), moved to the residual scale: 90%, as every
    other interval of the site, not the 95% the brief once printed beside them."""
    fit = fit_efficiency(districts, outcome="score", spending="np.log(per_pupil_spending)", controls=["pct_ecodis"])
    direct = smf.ols("score ~ np.log(per_pupil_spending) + pct_ecodis", data=districts).fit(cov_type="HC1", use_t=True)
    frame = direct.get_prediction(districts).summary_frame(alpha=0.10)  # obs_ci_* is the interval for a new district
    table = fit.districts
    assert table["pi_low"].to_numpy() == pytest.approx((districts["score"] - frame["obs_ci_upper"]).to_numpy())
    assert table["pi_high"].to_numpy() == pytest.approx((districts["score"] - frame["obs_ci_lower"]).to_numpy())


def test_verdicts_follow_the_interval_and_nothing_else(districts):
    districts.loc[districts["district_id"] == "D010", "score"] += 60
    fit = fit_efficiency(districts, outcome="score", spending="np.log(per_pupil_spending)", controls=["pct_ecodis"])
    table = fit.districts.set_index("district_id")
    assert table.loc["D010", "verdict"] == "above"
    expected = np.select([table["pi_low"] > 0, table["pi_high"] < 0], ["above", "below"], default="within")
    assert (table["verdict"].to_numpy() == expected).all()
    assert (table["verdict"] == "within").sum() > 50  # with noise of SD 5 most districts cannot be told apart


def test_small_districts_get_wider_intervals_and_are_shrunk_towards_zero(districts):
    rng = np.random.default_rng(11)
    districts["tested"] = np.where(np.arange(60) % 2 == 0, 40.0, 4000.0)
    districts["sd"] = 45.0
    # a district's mean score carries chance error of SD 45/sqrt(tested): ~7 points for 40 students, ~0.7 for 4,000
    districts["score"] += rng.normal(0, 45 / np.sqrt(districts["tested"]))
    fit = fit_efficiency(districts, outcome="score", spending="np.log(per_pupil_spending)", controls=["pct_ecodis"], students="tested", score_sd="sd")
    table = fit.districts.assign(tested=districts["tested"].to_numpy())
    width = table["pi_high"] - table["pi_low"]
    small, large = table["tested"] == 40, table["tested"] == 4000
    assert width[small].min() > width[large].max()
    chance = 45.0**2 / table["tested"]
    assert table["chance_variance"].to_numpy() == pytest.approx(chance.to_numpy())
    reliability = fit.between_variance / (fit.between_variance + chance)
    assert table["shrunk_residual"].to_numpy() == pytest.approx((reliability * table["residual"]).to_numpy())
    assert (table.loc[small, "shrunk_residual"].abs() < table.loc[small, "residual"].abs()).all()
    assert fit.between_variance == pytest.approx(fit.result.scale - chance.mean())


def test_chance_variance_is_estimated_from_size_when_no_sd_is_published():
    rng = np.random.default_rng(3)
    n = 400
    students = rng.choice([50.0, 200.0, 2000.0], n)
    residuals = rng.normal(0, np.sqrt(25 + 2500 / students))  # between-district SD 5, within-district SD 50
    from districtstat.analyses.efficiency import sampling_variances

    estimated = sampling_variances(residuals, students)
    within = estimated * students
    assert np.allclose(within, within[0])
    assert 1700 < within[0] < 3300  # 2,500 up to sampling error of 400 districts


def test_a_model_that_does_not_predict_out_of_sample_ranks_nobody():
    rng = np.random.default_rng(5)
    n = 14
    frame = pd.DataFrame(
        {
            "district_id": [f"D{i:02d}" for i in range(n)],
            "per_pupil_spending": rng.uniform(9000, 20000, n),
            "pct_ecodis": rng.uniform(10, 90, n),
            "pct_el": rng.uniform(0, 30, n),
            "pct_swd": rng.uniform(10, 16, n),
            "score": rng.normal(500, 10, n),  # unrelated to every term
        }
    )
    fit = fit_efficiency(frame, outcome="score", spending="np.log(per_pupil_spending)", controls=["pct_ecodis", "pct_el", "pct_swd"])
    assert fit.cv_r2 < 0  # reported as computed, not floored
    assert not fit.can_rank
    assert fit.districts["percentile"].isna().all() and "peer_percentile" not in fit.districts  # the residual is never ranked among peers
    assert fit.summary()["cv_r2"] == fit.cv_r2


def test_a_threshold_in_params_can_demand_more_than_a_positive_cross_validated_r2(districts):
    fit = fit_efficiency(districts, outcome="score", spending="np.log(per_pupil_spending)", controls=["pct_ecodis"], min_cv_r2=0.99)
    assert 0 < fit.cv_r2 < 0.99 and not fit.can_rank and fit.districts["percentile"].isna().all()


def test_models_declared_side_by_side_are_fitted_on_the_same_districts(districts):
    from districtstat.analyses.efficiency import compare_models

    table = compare_models(districts, [("log", "score", "np.log(per_pupil_spending)", ["pct_ecodis"]), ("dollars", "score", "per_pupil_spending", ["pct_ecodis"])])
    direct = smf.ols("score ~ per_pupil_spending + pct_ecodis", data=districts).fit()
    row = table.set_index("model").loc["dollars"]
    assert row["r2"] == pytest.approx(direct.rsquared) and row["aic"] == pytest.approx(direct.aic) and row["n"] == 60
