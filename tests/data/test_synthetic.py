"""The synthetic consortium: byte-stable, contract-valid, the right sizes, and its planted truths hold."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from districtstat.data import synthetic
from districtstat.data.synthetic import ENTITIES, TRUTHS_FILE, ConsortiumSpec

CONTRACTS = Path(__file__).resolve().parents[2] / "data_contracts"
SMALL = ConsortiumSpec(scale=0.05)
DEFAULT = ConsortiumSpec()


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory) -> Path:
    return synthetic.write_consortium(tmp_path_factory.mktemp("small"), SMALL)


@pytest.fixture(scope="module")
def full() -> dict[str, pd.DataFrame]:
    """The README consortium at full size, generated once for the whole module."""
    return synthetic.generate(DEFAULT)


@pytest.fixture(scope="module")
def full_truths(full) -> dict:
    return synthetic.planted_truths(DEFAULT, full)


def _truth(truths: dict, truth_id: str) -> dict:
    return next(truth for truth in truths["truths"] if truth["id"] == truth_id)


def _contract(entity: str) -> dict:
    return yaml.safe_load((CONTRACTS / f"{entity}.yaml").read_text(encoding="utf-8"))


def _read(folder: Path, entity: str) -> pd.DataFrame:
    """As a validator sees the file: text, with the empty string as the only missing value."""
    return pd.read_csv(folder / f"{entity}.csv", dtype=str, keep_default_na=False)


# ---------------------------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(small_dir, tmp_path):
    again = synthetic.write_consortium(tmp_path / "again", SMALL)
    names = sorted(path.name for path in small_dir.iterdir())
    assert names == sorted([f"{entity}.csv" for entity in ENTITIES] + [TRUTHS_FILE])
    for name in names:
        assert (again / name).read_bytes() == (small_dir / name).read_bytes(), name


def test_different_seed_gives_different_data(small_dir, tmp_path):
    other = synthetic.write_consortium(tmp_path / "other", dataclasses.replace(SMALL, seed=SMALL.seed + 1))
    for entity in ("students", "assessments", "finance"):
        assert (other / f"{entity}.csv").read_bytes() != (small_dir / f"{entity}.csv").read_bytes()


def test_adding_districts_leaves_the_others_alone():
    fourteen = synthetic.generate(ConsortiumSpec(scale=0.02))
    sixteen = synthetic.generate(ConsortiumSpec(scale=0.02, n_districts=16))
    assert sixteen["districts"]["district_id"].tolist()[-2:] == ["D15", "D16"]
    old = sixteen["assessments"][sixteen["assessments"]["district_id"].isin(fourteen["districts"]["district_id"])]
    pd.testing.assert_frame_equal(old.reset_index(drop=True), fourteen["assessments"])


# The 14 districts at scale 0.05, every entity's file in ENTITIES order: lifting the cap on districts, or any
# other change, must leave the example's data as they were.
SMALL_FILES_SHA256 = "f440ad0b5b4e54c66b9f6be7c33e852e56b9c401fcc6a20f5513889ec119f1f9"


def test_the_example_is_unchanged(small_dir):
    digest = hashlib.sha256()
    for entity in ENTITIES:
        digest.update((small_dir / f"{entity}.csv").read_bytes())
    assert digest.hexdigest() == SMALL_FILES_SHA256


# ---------------------------------------------------------------------------------------------
# Contracts, checked on the written files
# ---------------------------------------------------------------------------------------------


def _check_field(values: pd.Series, field: dict, missing: set[str]) -> None:
    name, constraints = field["name"], field.get("constraints", {})
    present = values[~values.isin(missing)]
    if constraints.get("required"):
        assert len(present) == len(values), f"{name}: missing values"
    if "enum" in constraints:
        assert set(present) <= {str(code) for code in constraints["enum"]}, f"{name}: outside the code set"
    if "pattern" in constraints:
        assert present.str.fullmatch(constraints["pattern"]).all(), f"{name}: pattern"
    kind = field.get("type", "string")
    if kind == "integer":
        assert present.str.fullmatch(r"-?\d+").all(), f"{name}: not integers"
    if kind == "date":
        pd.to_datetime(present, format="%Y-%m-%d")
    if kind in ("integer", "number"):
        numbers = pd.to_numeric(present)
        assert numbers.ge(constraints.get("minimum", -np.inf)).all(), f"{name}: below minimum"
        assert numbers.le(constraints.get("maximum", np.inf)).all(), f"{name}: above maximum"


@pytest.mark.parametrize("entity", ENTITIES)
def test_file_satisfies_its_contract(small_dir, entity):
    contract = _contract(entity)
    frame = _read(small_dir, entity)
    missing = set(contract.get("missingValues", [""]))
    assert list(frame.columns) == [field["name"] for field in contract["fields"]]
    assert len(frame) > 0
    for field in contract["fields"]:
        _check_field(frame[field["name"]], field, missing)
    if "primaryKey" in contract:
        assert not frame.duplicated(contract["primaryKey"]).any(), "primary key not unique"
    for foreign in contract.get("foreignKeys", []):
        parent = _read(small_dir, foreign["reference"]["resource"])
        for mine, theirs in zip(foreign["fields"], foreign["reference"]["fields"]):
            used = frame.loc[~frame[mine].isin(missing), mine]
            assert used.isin(parent[theirs]).all(), f"{mine} does not resolve in {foreign['reference']['resource']}"
    numeric = frame.apply(_numeric_if_possible)
    for rule in contract.get("rowRules", []):
        assert numeric.eval(rule["expression"]).all(), rule["name"]


MANY = ConsortiumSpec(n_districts=1_200, scale=0.02)


@pytest.fixture(scope="module")
def many_dir(tmp_path_factory) -> Path:
    """Twelve hundred small districts: the consortium of thousands the scale benchmark builds."""
    return synthetic.write_consortium(tmp_path_factory.mktemp("many"), MANY)


@pytest.mark.parametrize("entity", ENTITIES)
def test_thousands_of_districts_satisfy_the_contracts(many_dir, entity):
    test_file_satisfies_its_contract(many_dir, entity)


def test_thousands_of_districts_each_have_their_own_id_and_name(many_dir):
    districts = _read(many_dir, "districts")
    assert len(districts) == MANY.n_districts
    assert districts["district_id"].is_unique and districts["district_name"].is_unique
    assert {"D100", "D1200"} <= set(districts["district_id"])


def _numeric_if_possible(column: pd.Series) -> pd.Series:
    converted = pd.to_numeric(column, errors="coerce")
    return converted if converted.notna().all() else column


def test_every_kpi_and_program_of_the_contracts_is_used(full):
    kpi_field = next(field for field in _contract("operations_kpis")["fields"] if field["name"] == "kpi_code")
    kpis = full["operations_kpis"]
    annual, monthly = kpis[kpis["month"].isna()], kpis[kpis["month"].notna()]
    per_district_year = annual.groupby(["school_year", "district_id"])["kpi_code"].apply(set)
    assert all(codes == set(synthetic.KPI_UNITS) for codes in per_district_year)
    per_district_month = monthly.groupby(["month", "district_id"])["kpi_code"].apply(set)
    assert all(codes == set(synthetic.MONTHLY_KPI_UNITS) for codes in per_district_month)
    assert set(kpis["kpi_code"]) == set(kpi_field["constraints"]["enum"])
    assert set(full["program_participation"]["program_code"]) == set(synthetic.PROGRAM_CODES)


# ---------------------------------------------------------------------------------------------
# Shape of the consortium
# ---------------------------------------------------------------------------------------------


def test_districts_of_very_different_sizes(full):
    first_year = full["enrollments"][full["enrollments"]["school_year"] == DEFAULT.years[0]]
    sizes = first_year.groupby("district_id").size()
    assert len(full["districts"]) >= 12 and len(sizes) == len(full["districts"])
    assert sizes.min() < 1000
    assert sizes.max() >= 30_000
    schools = full["schools"].groupby("district_id").size()
    assert schools[sizes.idxmin()] in (2, 3) and schools[sizes.idxmax()] >= 50
    assert set(full["districts"]["locale"]) == {"city", "suburb", "town", "rural"}
    assert 3 <= full["districts"]["region"].nunique() <= 4
    assert (full["districts"]["grade_span"] == "K-12").mean() > 0.8


def test_students_option_sets_the_total():
    frames = synthetic.generate(ConsortiumSpec(students=6000))
    first_year = (frames["enrollments"]["school_year"] == 2022).sum()
    assert abs(first_year - 6000) / 6000 < 0.03


def test_students_persist_and_advance_a_grade(full):
    enrollments = full["enrollments"]
    grade = enrollments["grade"].map({code: k for k, code in enumerate(synthetic.GRADE_CODES)})
    by_year = enrollments.assign(grade_number=grade).pivot(index="student_id", columns="school_year", values="grade_number")
    both = by_year[[2023, 2024]].dropna()
    assert len(both) > 0.8 * by_year[2024].notna().sum()
    assert (both[2024] - both[2023] == 1).all()
    new_kindergarten = by_year[by_year[2023].isna() & by_year[2024].notna() & (by_year[2024] == 0)]
    assert len(new_kindergarten) > 5000
    assert by_year[2022].eq(12).sum() > 0 and not (by_year[2022].eq(12) & by_year[2023].notna()).any()


def test_birth_date_fits_grade(full):
    latest = full["enrollments"][full["enrollments"]["school_year"] == 2024].merge(full["students"], on="student_id")
    born = pd.to_datetime(latest["birth_date"])
    age_on_first_september = 2023 - born.dt.year - ((born.dt.month > 9) | ((born.dt.month == 9) & (born.dt.day > 1)))
    grade = latest["grade"].map({code: k for k, code in enumerate(synthetic.GRADE_CODES)})
    assert (age_on_first_september == grade + 5).all()


def test_race_and_sex_codes_with_tiny_groups(full):
    students = full["students"]
    assert set(students["race_ethnicity"]) == set(synthetic.RACE_CODES)
    assert 0 < (students["sex"] == "X").mean() < 0.01
    district = full["enrollments"].drop_duplicates("student_id")[["student_id", "district_id"]]
    cells = students.merge(district, on="student_id").groupby(["district_id", "race_ethnicity"]).size()
    assert ((cells > 0) & (cells < 10)).any()


def test_program_shares_are_realistic(full):
    latest = full["enrollments"][full["enrollments"]["school_year"] == 2024]
    programs = full["program_participation"][full["program_participation"]["school_year"] == 2024]
    counts = programs.merge(latest[["student_id", "district_id"]], on="student_id").groupby(
        ["district_id", "program_code"]).size().unstack(fill_value=0)
    share = counts.div(latest.groupby("district_id").size(), axis=0)
    assert share["EL"].between(0.02, 0.30).all() and share["EL"].max() > 0.15
    assert share["SWD"].between(0.11, 0.17).all()
    assert share["ECODIS"].between(0.12, 0.85).all() and share["ECODIS"].max() - share["ECODIS"].min() > 0.4
    for tiny in ("HOMELESS", "MIGRANT", "FOSTER"):
        assert share[tiny].mean() < 0.05


def test_attendance(full):
    attendance = full["attendance"]
    assert (attendance["days_present"] <= attendance["days_enrolled"]).all()
    assert (attendance["days_enrolled"] == 180).mean() > 0.9
    assert (attendance["days_enrolled"] < 180).any()
    chronic = attendance["days_present"] < 0.9 * attendance["days_enrolled"]
    assert 0.10 <= chronic.mean() <= 0.25
    ecodis = attendance.merge(full["program_participation"].query("program_code == 'ECODIS'"),
                              on=["school_year", "student_id"], how="left")["program_code"].notna()
    assert chronic[ecodis.to_numpy()].mean() > chronic[~ecodis.to_numpy()].mean() + 0.05


def test_scores(full):
    scores = full["assessments"]
    assert scores["scale_score"].between(100, 900).all()
    assert set(scores["grade"]) == {"03", "04", "05", "06", "07", "08", "11"}
    assert abs(scores["scale_score"].mean() - 500) < 10 and 40 < scores["scale_score"].std() < 60
    expected_level = 1 + np.searchsorted([450, 500, 550], scores["scale_score"].to_numpy(), side="right")
    assert (scores["performance_level"].to_numpy() == expected_level).all()
    placed = scores.merge(full["enrollments"], on=["school_year", "student_id"], suffixes=("", "_enrolled"))
    assert len(placed) == len(scores)
    for column in ("district_id", "school_id", "grade"):
        assert (placed[column] == placed[f"{column}_enrolled"]).all()


def test_spending_per_pupil_is_realistic(full_truths):
    per_pupil = [year["per_pupil_spending"] for district in full_truths["districts"] for year in district["per_year"]]
    assert 11_000 <= min(per_pupil) and max(per_pupil) <= 25_000


def test_finance_has_benefits_placements_and_both_levels(full):
    finance = full["finance"]
    assert (finance["object_code"] == "200").any()
    placements = finance[finance["object_code"] == "560"]
    assert set(placements["function_code"]) <= {"1000", "2100"} and len(placements) > 0
    assert finance["school_id"].isna().any() and finance["school_id"].notna().any()
    district_level = finance[finance["school_id"].isna()]
    assert {"2300", "2700"} <= set(district_level["function_code"])


# ---------------------------------------------------------------------------------------------
# Planted truths
# ---------------------------------------------------------------------------------------------


def test_truths_file_records_spec_model_and_every_truth(small_dir):
    truths = json.loads((small_dir / TRUTHS_FILE).read_text(encoding="utf-8"))
    assert truths["spec"]["seed"] == SMALL.seed and truths["spec"]["years"] == list(SMALL.years)
    assert {"population", "attendance", "scores", "spending"} <= set(truths["model"])
    assert truths["model"]["scores"]["spending_per_log_dollar"] > 0
    ids = {truth["id"] for truth in truths["truths"]}
    assert {"el_gap_math", "spending_effect", "inefficient_district", "efficient_district", "closing_ecodis_gap", "tiny_subgroup",
            "chronic_absence_effect"} <= ids
    districts = set(_read(small_dir, "districts")["district_id"]) | {"ALL"}
    for truth in truths["truths"]:
        assert truth["district_id"] in districts and truth["description"] and "value" in truth


def test_planted_el_gap_in_math(full, full_truths):
    truth = _truth(full_truths, "el_gap_math")
    district, year = truth["district_id"], DEFAULT.years[-1]
    scores = full["assessments"].query("district_id == @district and subject == 'MATH' and school_year == @year")
    el = full["program_participation"].query("program_code == 'EL' and school_year == @year")["student_id"]
    is_el = scores["student_id"].isin(el)
    gap = scores.loc[is_el, "scale_score"].mean() - scores.loc[~is_el, "scale_score"].mean()
    assert abs(gap - truth["value"]) <= 5
    assert is_el.sum() > 500


def test_planted_closing_gap_narrows_each_year(full_truths):
    truth = _truth(full_truths, "closing_ecodis_gap")
    math = {row["school_year"]: row["raw_mean_gap"] for row in truth["realised"] if row["subject"] == "MATH"}
    steps = np.diff([math[year] for year in DEFAULT.years])
    assert np.all(np.abs(steps - truth["value"]) < 3)


def test_planted_spending_truths(full, full_truths):
    inefficient = _truth(full_truths, "inefficient_district")
    assert all(abs(row["spending_ratio"] - inefficient["value"]) < 0.1 for row in inefficient["realised"])
    # Its excess buys nothing: the points forgone are what the model's rate gives for the excess.
    rate = full_truths["model"]["scores"]["spending_per_log_dollar"]
    assert inefficient["productive_multiplier"] == 1.0
    assert inefficient["points_not_bought"] == pytest.approx(rate * np.log(inefficient["value"]), abs=0.01)
    assert all(abs(row["points_not_bought"] - inefficient["points_not_bought"]) < 1.5 for row in inefficient["realised"])
    efficient = _truth(full_truths, "efficient_district")
    assert all(abs(row["spending_ratio"] - 1) < 0.1 for row in efficient["realised"])
    assert all(abs(row["points_not_bought"]) < 1.5 for row in efficient["realised"])
    # Ordinary districts spend well above or below what needs predict, and all of it buys results.
    ordinary = [d for d in full_truths["districts"] if d["district_id"] != inefficient["district_id"]]
    ratios = [year["spending_ratio"] for d in ordinary for year in d["per_year"]]
    assert min(ratios) < 0.9 and 1.1 < max(ratios) < inefficient["value"] - 0.1
    inflation, reference = full_truths["model"]["spending"]["inflation"], full_truths["model"]["scores"]["spending_reference"]
    for d in ordinary:
        for year in d["per_year"]:
            real = year["predicted_per_pupil"] / (1 + inflation) ** (year["school_year"] - DEFAULT.years[0])
            bought = rate * np.log(real * d["spending_multiplier"] / reference)
            assert year["spending_effect_points"] == pytest.approx(bought, abs=0.02)
    mean_math = full["assessments"].query("subject == 'MATH'").groupby("district_id")["scale_score"].mean()
    assert mean_math.idxmax() == efficient["district_id"]


def test_planted_tiny_subgroup_cells_are_in_the_data(full, full_truths):
    truth = _truth(full_truths, "tiny_subgroup")
    race = truth["subgroup"].removeprefix("RACE_")
    scores = full["assessments"][full["assessments"]["district_id"] == truth["district_id"]]
    scores = scores.merge(full["students"], on="student_id")
    counts = scores[scores["race_ethnicity"] == race].groupby(["school_year", "grade", "subject"]).size()
    assert truth["cells"]
    for cell in truth["cells"]:
        assert 0 < cell["n"] < 10
        assert counts[(cell["school_year"], cell["grade"], cell["subject"])] == cell["n"]


def test_planted_bus_decline(full_truths):
    truth = _truth(full_truths, "bus_on_time_decline")
    values = [truth["realised"][str(year)] for year in DEFAULT.years]
    assert np.all(np.abs(np.diff(values) - truth["value"]) < 2.5)


def test_monthly_operations_cover_every_school_month(full):
    kpis = full["operations_kpis"]
    monthly = kpis[kpis["month"].notna()]
    months = synthetic.school_months(DEFAULT.years)
    assert months[:5] == ["2021-09", "2021-10", "2021-11", "2021-12", "2022-01"] and months[-1] == "2024-06" and len(months) == 30
    per_series = monthly.groupby(["district_id", "kpi_code"])["month"].apply(list)
    assert len(per_series) == 3 * len(full["districts"]) and all(sorted(m) == months for m in per_series)
    year, month = monthly["month"].str[:4].astype(int), monthly["month"].str[5:].astype(int)
    assert (monthly["school_year"] == year + (month >= 7)).all()  # a month belongs to the school year it falls in
    counts = monthly[monthly["unit"] == "count"]["value"]
    assert (counts == counts.round()).all() and (counts >= 0).all()
    assert monthly[monthly["unit"] == "percent"]["value"].between(0, 100).all()


def test_monthly_bus_on_time_averages_to_the_yearly_figure(full):
    kpis = full["operations_kpis"]
    bus = kpis[kpis["kpi_code"] == "BUS_ON_TIME_PCT"]
    yearly = bus[bus["month"].isna()].set_index(["school_year", "district_id"])["value"]
    mean_of_months = bus[bus["month"].notna()].groupby(["school_year", "district_id"])["value"].mean()
    pd.testing.assert_series_equal(mean_of_months.round(6), yearly.sort_index(), check_names=False)


def test_planted_processes_name_their_signals(full_truths):
    months = synthetic.school_months(DEFAULT.years)
    expected = {
        "work_orders_shift": [("beyond", "below", "2023-01", "2024-06"), ("run", "below", "2023-01", "2024-06")],
        "substitute_fill_trend": [("trend", "rising", "2024-01", "2024-06"), ("beyond", "above", "2024-02", "2024-06")],
        "substitute_fill_outlier": [("beyond", "below", "2023-02", "2023-02")],
        "work_orders_stable": [],
    }
    for truth_id, signals in expected.items():
        truth = _truth(full_truths, truth_id)
        assert [tuple(s.values()) for s in truth["expected_signals"]] == signals, truth_id
        assert list(truth["realised"]) == months and truth["baseline_months"] == months[:12]
    shift = _truth(full_truths, "work_orders_shift")["realised"]
    assert np.mean([shift[m] for m in months[14:]]) < 0.6 * np.mean([shift[m] for m in months[:14]])


# ---------------------------------------------------------------------------------------------
# The spec
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", [{"n_districts": 11}, {"years": (2022, 2024)}, {"scale": 0}, {"students": -5}]
)
def test_spec_rejects_impossible_consortia(bad):
    with pytest.raises(ValueError):
        ConsortiumSpec(**bad)


def test_no_machine_paths_in_truths(small_dir):
    text = (small_dir / TRUTHS_FILE).read_text(encoding="utf-8")
    assert not re.search(r"/(tmp|home|work|root)/", text)
