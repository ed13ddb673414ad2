import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from districtstat.efficiency import fit_efficiency


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
    assert coefficients["ci_low"].to_numpy() == pytest.approx(direct.conf_int()[0].to_numpy())
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
