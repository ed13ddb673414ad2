"""The two real datasets: written in the contract format, faithful to the source, and reproducing published results.

The published figures are Stock and Watson, Introduction to Econometrics: the California
test-score regressions (score on the student-teacher ratio, then with percent English learners) and
Table 13.1's kindergarten class-size effects in Project STAR, all with heteroskedasticity-robust
(HC1) standard errors. Each is recomputed from the files districtstat wrote, read back through
validation (and, for California, the aggregate step), so a conversion that lost or moved data fails.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from helpers import ROOT, tree_digest

from districtstat.data import real_data
from districtstat.data.aggregate import aggregate
from districtstat.config import load_project
from districtstat.data.contracts import load_contracts, validate_dataset
from districtstat.analyses.efficiency import fit_efficiency
from districtstat.data.examples import EXAMPLES, write_example

INCOMPLETE_STUDENTS = 181  # STAR students without a sex, race/ethnicity or birth date


@pytest.fixture(scope="module")
def contracts():
    return load_contracts(ROOT / "data_contracts")


@pytest.fixture(scope="module")
def california(tmp_path_factory, contracts):
    folder = real_data.write_california(tmp_path_factory.mktemp("california"))
    return folder, validate_dataset(folder, contracts)


@pytest.fixture(scope="module")
def star_source():
    return real_data.load_source("STAR")


@pytest.fixture(scope="module")
def star(tmp_path_factory, contracts):
    folder = real_data.write_star(tmp_path_factory.mktemp("star"))
    return folder, validate_dataset(folder, contracts)


def robust(formula: str, data: pd.DataFrame):
    return smf.ols(formula, data=data).fit(cov_type="HC1")


# --- California ------------------------------------------------------------------------------------


def test_california_has_420_districts_and_passes_its_contracts(california):
    folder, report = california
    assert report.ok, report.lines()
    assert {entity: info["rows"] for entity, info in report.files.items()} == {
        "districts": 420,
        "district_profile": 420,
        "subgroup_outcomes": 840,
    }
    districts = report.tables["districts"]
    assert districts["grade_span"].value_counts().to_dict() == {"K-8": 359, "K-6": 61}
    assert districts["locale"].isna().all()  # unknown, and the contract now says it may be
    assert districts["region"].nunique() == 45
    notes = json.loads((folder / "source.json").read_text())
    assert notes["school_year"] == 1999 and "AVERAGE income" in notes["conversion"]["median_household_income"]


def test_california_keeps_every_source_value(california):
    """Column by column against the source, to the precision written."""
    _, report = california
    source = real_data.load_source("CASchools").assign(district_id=lambda f: f["district"].astype(int).astype(str)).set_index("district_id")
    profile = report.tables["district_profile"].set_index("district_id").loc[source.index]
    assert (profile["enrollment"].to_numpy() == source["students"].to_numpy()).all()
    np.testing.assert_allclose(profile["pct_ecodis"], source["lunch"], atol=5e-5)
    np.testing.assert_allclose(profile["pct_el"], source["english"], atol=5e-5)
    np.testing.assert_allclose(profile["per_pupil_spending"], source["expenditure"], atol=5e-3)
    np.testing.assert_allclose(profile["students_per_teacher"], source["students"] / source["teachers"], atol=5e-5)
    np.testing.assert_allclose(profile["median_household_income"], source["income"] * 1000, atol=0.5)
    outcomes = report.tables["subgroup_outcomes"].pivot(index="district_id", columns="subject", values="mean_score").loc[source.index]
    np.testing.assert_allclose(outcomes["ELA"], source["read"], atol=5e-3)
    np.testing.assert_allclose(outcomes["MATH"], source["math"], atol=5e-3)
    names = report.tables["districts"].set_index("district_id").loc[source.index]
    assert (names["district_name"] == source["school"]).all() and (names["region"] == source["county"]).all()


def test_california_bytes_are_deterministic(tmp_path, california):
    folder, _ = california
    assert tree_digest(real_data.write_california(tmp_path / "again")) == tree_digest(folder)


def test_california_reproduces_stock_watson_class_size_regressions(california):
    """TestScore = 698.9 − 2.28 × STR (HC1 SEs 10.4, 0.52); with PctEL: −1.10 (0.43) and −0.650 (0.031)."""
    _, report = california
    indicators = aggregate(report.tables)["district_indicators"]
    assert len(indicators) == 420
    table = indicators.assign(score=(indicators["mean_score_ela"] + indicators["mean_score_math"]) / 2)

    simple = fit_efficiency(table, outcome="score", spending="students_per_teacher", controls=[])
    coefficients = simple.coefficients.set_index("term")
    assert simple.n == 420
    assert coefficients.loc["Intercept", "estimate"] == pytest.approx(698.93, abs=0.005)
    assert coefficients.loc["Intercept", "std_error"] == pytest.approx(10.36, abs=0.005)
    assert coefficients.loc["students_per_teacher", "estimate"] == pytest.approx(-2.28, abs=0.005)
    assert coefficients.loc["students_per_teacher", "std_error"] == pytest.approx(0.52, abs=0.005)

    with_el = robust("score ~ students_per_teacher + pct_el", table)
    assert with_el.params["students_per_teacher"] == pytest.approx(-1.10, abs=0.005)
    assert with_el.bse["students_per_teacher"] == pytest.approx(0.43, abs=0.005)
    assert with_el.params["pct_el"] == pytest.approx(-0.650, abs=0.0005)
    assert with_el.bse["pct_el"] == pytest.approx(0.031, abs=0.0005)


# --- Project STAR ----------------------------------------------------------------------------------


def test_star_source_counts(star_source):
    """11,598 students and 42 systems; the 79 schools of the published design are kindergarten's.

    One school (id 77) joined from first grade on, so the four years together have 80.
    """
    assert len(star_source) == 11_598
    systems = set().union(*(star_source[f"system{g}"].dropna() for g in "k123"))
    schools = set().union(*(star_source[f"schoolid{g}"].dropna() for g in "k123"))
    assert len(systems) == 42
    assert star_source["schoolidk"].nunique() == 79
    assert len(schools) == 80 and schools - set(star_source["schoolidk"].dropna()) == {77}


def test_star_passes_its_contracts(star):
    folder, report = star
    assert report.ok, report.lines()
    assert set(report.files) == {"districts", "schools", "students", "enrollments", "program_participation", "assessments"}
    tables = report.tables
    assert len(tables["students"]) == 11_598
    unknown = tables["students"][["sex", "race_ethnicity", "birth_date"]].isna().any(axis=1).sum()
    assert unknown == INCOMPLETE_STUDENTS
    assert len(tables["districts"]) == 42 and len(tables["schools"]) == 80
    assert set(tables["districts"]["grade_span"]) == {"K-3"} and set(tables["districts"]["region"]) == {"Tennessee"}
    assert tables["districts"].set_index("district_id").loc[["SYS11", "SYS17", "SYS01"], "locale"].tolist() == ["city", "suburb", "rural"]
    assert tables["enrollments"].groupby("school_year")["grade"].unique().map(list).to_dict() == {
        1986: ["KG"], 1987: ["01"], 1988: ["02"], 1989: ["03"]
    }
    notes = json.loads((folder / "source.json").read_text())
    assert notes["incomplete_demographics"]["students"] == INCOMPLETE_STUDENTS


def test_star_recoding_matches_the_source(star, star_source):
    _, report = star
    tables = report.tables
    source = star_source.set_index(real_data._student_id(star_source["rownames"]))
    students = tables["students"].set_index("student_id").loc[source.index]
    assert (students["sex"].fillna("?") == source["gender"].map({"female": "F", "male": "M"}).fillna("?")).all()
    assert students["race_ethnicity"].value_counts().to_dict() == {"WH": 7193, "BL": 4173, "AS": 32, "HI": 21, "TR": 20, "AM": 14}
    first = students.loc["STAR001137", "birth_date"]
    assert (source.loc["STAR001137", "birth"], str(first.date())) == ("1980 Q1", "1980-01-01")

    programs = tables["program_participation"]
    counts = programs.groupby(["school_year", "program_code"]).size()
    for suffix, (_, year) in real_data.STAR_GRADES.items():
        assert counts[(year, "SMALL_CLASS")] == (star_source[f"star{suffix}"] == "small").sum()
        assert counts[(year, "REGULAR_AIDE")] == (star_source[f"star{suffix}"] == "regular+aide").sum()
        assert counts[(year, "ECODIS")] == ((star_source[f"lunch{suffix}"] == "free") & star_source[f"schoolid{suffix}"].notna()).sum()
        enrolled = tables["enrollments"]["school_year"] == year
        assert enrolled.sum() == star_source[f"schoolid{suffix}"].notna().sum()


def test_star_performance_levels_are_sample_quartiles(star):
    _, report = star
    assessments = report.tables["assessments"]
    proficient = assessments.assign(proficient=assessments["performance_level"] >= 3).groupby(["grade", "subject"])["proficient"].mean()
    assert len(proficient) == 8 and proficient.between(0.46, 0.54).all()
    shares = assessments.groupby(["grade", "subject"])["performance_level"].value_counts(normalize=True)
    assert shares.between(0.18, 0.32).all()  # ties at a cut move a few points between neighbours
    levels_in_order = assessments.groupby(["grade", "subject", "performance_level"])["scale_score"].agg(["min", "max"])
    for _, group in levels_in_order.groupby(level=["grade", "subject"]):
        assert (group["max"].to_numpy()[:-1] < group["min"].to_numpy()[1:]).all()


def kindergarten_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Reading + math and class type of each kindergartner tested in both, from the contract files."""
    scores = tables["assessments"].query("school_year == 1986")
    total = scores.pivot(index="student_id", columns="subject", values="scale_score").dropna()
    programs = tables["program_participation"].query("school_year == 1986")
    small = set(programs.loc[programs["program_code"] == "SMALL_CLASS", "student_id"])
    aide = set(programs.loc[programs["program_code"] == "REGULAR_AIDE", "student_id"])
    table = pd.DataFrame({"score": total["ELA"] + total["MATH"]}, index=total.index)
    table["small"] = table.index.isin(small).astype(float)
    table["aide"] = table.index.isin(aide).astype(float)
    return table


def test_star_reproduces_stock_watson_kindergarten_class_size_effect(star):
    """Table 13.1, kindergarten: 918.04 (1.63) + 13.90 (2.45) small + 0.31 (2.27) regular-with-aide, n = 5,786."""
    _, report = star
    fit = robust("score ~ small + aide", kindergarten_table(report.tables))
    assert fit.nobs == 5786
    assert fit.params["Intercept"] == pytest.approx(918.04, abs=0.005)
    assert fit.bse["Intercept"] == pytest.approx(1.63, abs=0.005)
    assert fit.params["small"] == pytest.approx(13.90, abs=0.005)
    assert fit.bse["small"] == pytest.approx(2.45, abs=0.005)
    assert fit.params["aide"] == pytest.approx(0.31, abs=0.005)
    assert fit.bse["aide"] == pytest.approx(2.27, abs=0.005)


def test_star_aggregates_to_district_profiles(star, star_source):
    _, report = star
    profile = aggregate(report.tables)["district_profile"]
    assert profile.groupby("school_year")["district_id"].nunique().to_dict() == {1986: 42, 1987: 42, 1988: 41, 1989: 41}
    assert profile["per_pupil_spending"].isna().all()  # STAR has no finance data


def test_star_bytes_are_deterministic(tmp_path, star):
    folder, _ = star
    assert tree_digest(real_data.write_star(tmp_path / "again")) == tree_digest(folder)


# --- Registration and params -----------------------------------------------------------------------


def test_examples_are_registered_and_options_are_synthetic_only(tmp_path):
    assert {"synthetic", "california", "star"} <= set(EXAMPLES)
    with pytest.raises(ValueError, match="synthetic example only"):
        write_example("star", tmp_path / "star", seed=3)
    with pytest.raises(ValueError, match="--students"):
        write_example("california", tmp_path / "california", students=100)
    written = write_example("california", tmp_path / "california")
    assert (written / "district_profile.csv").is_file()


@pytest.mark.parametrize(
    ("name", "release", "efficiency"),
    [("california", "1999.1", "mean_score_math"), ("star", "1989.1", None)],
)
def test_params_files_load(name, release, efficiency):
    project = load_project(ROOT / "params" / f"{name}.yml")
    settings = project.settings
    assert (settings.dataset, settings.release, project.relative(project.data_dir)) == (name, release, f"data/{name}")
    assert (settings.efficiency.outcome if settings.efficiency else None) == efficiency
    assert settings.peers.k == 5


# --- What the pages may say on real data -----------------------------------------------------------


@pytest.fixture(scope="module")
def california_release(tmp_path_factory):
    """The California example prepared as a build prepares it (validate, aggregate, fit), read as pages read it."""
    import shutil

    from districtstat.pipeline import prepare
    from districtstat.report import Release

    root = tmp_path_factory.mktemp("california-project")
    shutil.copy(ROOT / "_quarto.yml", root / "_quarto.yml")
    shutil.copytree(ROOT / "data_contracts", root / "data_contracts")
    (root / "params").mkdir()
    shutil.copy(ROOT / "params" / "california.yml", root / "params" / "california.yml")
    real_data.write_california(root / "data" / "california")
    project = load_project(root / "params" / "california.yml")
    prepare(project)
    return Release(project)


def test_california_efficiency_pages_rank_and_judge_only_what_the_intervals_and_fit_support(california_release):
    from districtstat.analyses import topics
    from districtstat import views

    release = california_release
    fit = release.table("efficiency_fit").iloc[0]
    efficiency = release.table("efficiency").set_index("district_id")
    assert fit["cv_r2"] > 0.5 and fit["can_rank"]  # 420 districts: the model predicts districts it has not seen
    for district, row in efficiency.iterrows():
        lead = views.efficiency_lead(release, district).replace("**", "")
        if "too few students" in lead:
            continue
        assert ("scored above what" in lead, "scored below what" in lead) == (row["verdict"] == "above", row["verdict"] == "below")
        assert ("cannot tell this district's result apart" in lead) == (row["verdict"] == "within")
        assert f"the {views.ordinal(row['percentile'])} percentile of the consortium" in lead
    assert 0 < (efficiency["verdict"] != "within").sum() < 0.15 * len(efficiency)
    ranked = topics.ranked(release, "efficiency_residual")
    assert ranked["rank"].notna().all() and "interval" in ranked.columns
    # ranks follow the size-adjusted residual, not the raw one: the smallest districts are pulled toward the middle
    enrollment = release.latest_indicators.set_index("district_id")["enrollment"].reindex(efficiency.index)
    smallest = enrollment.nsmallest(20).index
    assert (efficiency.loc[smallest, "shrunk_residual"].abs() < efficiency.loc[smallest, "residual"].abs()).all()
    width = efficiency["pi_high"] - efficiency["pi_low"]
    assert width[smallest].median() > 1.5 * width[enrollment.nlargest(20).index].median()


def test_california_means_have_no_known_error_so_no_peer_standing_is_stated(california_release):
    """The public files give each district's mean score but no SD of its students' scores, and only its enrollment for
    the students tested: no standard error is known, so neither the scorecard nor the peers page ranks a mean, and the
    lead says why."""
    from districtstat import views

    release = california_release
    means = release.history[release.history["code"].str.startswith("mean_score_")]
    assert len(means) and means["se"].isna().all()
    district = sorted(release.publishable_districts)[0]
    card = views.district_scorecard(release, district).set_index("code")
    for code in ("mean_score_ela", "mean_score_math"):
        assert card.loc[code, "uncertainty"] == "unknown" and np.isnan(card.loc[code, "peer_percentile"])
    lead = views.scorecard_lead(release, district)
    assert "No standing among peers is stated for mean ELA scale score and mean math scale score" in lead and "best on" not in lead
    standing = views.standing_table(release, district).display_frame().set_index("indicator")
    assert standing.loc["Mean ELA scale score", "rank_interval"] == "unknown" and pd.isna(standing.loc["Mean ELA scale score", "rank"])


def test_california_model_can_be_told_it_may_not_rank(california_release, tmp_path):
    """The same data with a threshold the model does not reach: no percentile reaches a page."""
    from districtstat import views
    from districtstat.analyses.efficiency import fit_efficiency

    release = california_release
    latest = release.latest_indicators
    model = release.project.settings.efficiency
    fit = fit_efficiency(latest, outcome=model.outcome, spending=model.spending, controls=model.controls, min_cv_r2=0.9)
    assert not fit.can_rank and fit.districts["percentile"].isna().all()
    release._tables["efficiency_fit"] = pd.DataFrame([fit.summary()])
    release._tables["efficiency"] = fit.districts
    district = fit.districts["district_id"].iloc[0]
    lead = views.efficiency_lead(release, district)
    assert "cannot rank districts" in lead and "percentile" not in lead
