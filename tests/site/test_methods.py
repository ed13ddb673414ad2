"""The methods and data-quality pages say what this release did, in the release's own numbers and words."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import typing
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from pydantic import BaseModel, Field
from scipy import stats

from districtstat import pipeline, views
from districtstat.config import DistrictSettings, EfficiencyModel, GapSettings, PeerModel, Project, Settings, load_project
from districtstat.analyses.efficiency import plain_term
from districtstat.analyses.indicators import INDICATORS
from districtstat.site.methods import data_quality_page, methods_page
from districtstat.provenance import Provenance

from helpers import make_project

PROVENANCE = Provenance("r9", "d" * 64, "abc123", "p" * 64)


def project_with(tmp_path: Path, **overrides) -> Project:
    """A project whose settings differ from every default, so the page can only show them by reading them."""
    fields = dict(
        title="Lakeside Consortium",
        dataset="custom",
        data_dir=Path("data/lakeside"),
        release="r9",
        min_n=17,
        efficiency=EfficiencyModel(outcome="mean_score_ela", spending="np.log(per_pupil_spending)", controls=["pct_ecodis", "pct_swd"], folds=4, seed=11),
        peers=PeerModel(numeric=["pct_ecodis", "median_household_income"], indicators=["grade_span"], k=7, missing="mean"),
        gaps=GapSettings(intersections=[["EL", "SWD"]], confidence=0.9),
        districts={"D03": DistrictSettings(goals={"mean_score_math": 500}), "D05": DistrictSettings(goals={"gap.EL.MATH": -10}), "D07": DistrictSettings(peers=["D01", "D02"])},
    )
    return Project(tmp_path / "params" / "lakeside.yml", Settings(**(fields | overrides)), tmp_path)


def section(page: str, heading: str) -> str:
    """The text under one `## heading`, up to the next."""
    return page.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def table_rows(text: str) -> dict[str, list[str]]:
    """A markdown table's body rows, keyed by their first cell (backticks removed)."""
    lines = text.splitlines()
    body = lines[next(i for i, line in enumerate(lines) if line.startswith("|---")) + 1 :]
    rows = {}
    for line in body:
        if not line.startswith("| "):
            break
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def settings_keys(settings: BaseModel, prefix: str = "") -> set[str]:
    """Every setting these settings hold, walked from the models' own fields: nested models, each district's
    section (always listed, as counts) and lists of models (listed field by field when not empty)."""
    keys = set()
    for name, field in type(settings).model_fields.items():
        key, value = f"{prefix}{name}", getattr(settings, name)
        per_entry = [arg for arg in typing.get_args(field.annotation) if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if isinstance(value, BaseModel):
            keys |= settings_keys(value, f"{key}.")
        elif isinstance(value, dict) and per_entry:
            keys |= {f"{key}.{sub}" for sub in per_entry[0].model_fields}
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            keys |= {f"{key}.{sub}" for sub in type(value[0]).model_fields}
        else:
            keys.add(key)
    return keys


# ------------------------------------------------------------------ methods page


def test_methods_page_states_the_releases_own_settings(tmp_path):
    project = project_with(tmp_path)
    page = methods_page(project, PROVENANCE)
    assert "fewer than **17 students**" in page
    assert "peers = the 7 districts with the smallest d" in page
    assert "(rule `mean`)" in page and "consortium average" in page
    assert "Cross-validated R² (4-fold)" in page and "(seed 11) into 4 folds" in page
    assert "90% confidence interval of a gap" in page and "95th percentile of Student's t" in page
    assert f"g ± {stats.norm.ppf(0.95):.2f} ×" in page
    assert "English learners × Students with disabilities" in page
    assert "in this release 2 districts set their own" in page
    assert "1 district named its own peers" in page
    assert PROVENANCE.line() in page
    assert str(tmp_path) not in page


def test_the_model_is_written_in_plain_words_with_the_formula_beside_it(tmp_path):
    page = methods_page(project_with(tmp_path), PROVENANCE)
    model = next(line for line in page.splitlines() if line.startswith("`mean ELA scale score = b₀"))
    assert "b₁ × (log of spending per pupil)" in model
    assert "b₂ × (% economically disadvantaged)" in model
    assert "b₃ × (% students with disabilities)" in model
    assert "np." not in model and "_" not in model
    assert "`mean_score_ela ~ np.log(per_pupil_spending) + pct_ecodis + pct_swd`" in page


@pytest.mark.parametrize(
    "name",
    [
        "Mean scale score", "Percent proficient", "Chronic absence", "**Gap**", "(Welch)", "Hedges' g", "confidence interval of g",
        "(Wald interval)", "Gap trend", "(HC1)", "**Residual**", "Size-adjusted residual and percentile", "Prediction interval and verdict", "What the model can and cannot support", "Cross-validated R²",
        "Spending per pupil", "Spending by NCES function", "School allocation", "z-scores", "Distance and the nearest districts",
        "Why these peers", "Rank and percentile among peers", "Status against a goal", "Trend words", "Primary suppression",
        "Complementary suppression",
    ],
)
def test_every_method_is_named(tmp_path, name):
    assert name in methods_page(project_with(tmp_path), PROVENANCE)


@pytest.mark.parametrize(
    "formula",
    [
        "(1 − 3 / (4(n₁ + n₂) − 9))",
        "df = (s₁²/n₁ + s₂²/n₂)² / [ (s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1) ]",
        "p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂",
        "residual = observed − predicted",
        "n / (n − p) × (XᵀX)⁻¹",
        "R²_cv = 1 − Σ (yᵢ − ŷ₍₋ᵢ₎)² / Σ (yᵢ − ȳ)²",
        "z = (x − x̄) / s",
        "≥ 0.5 SD",
        "≥ 1 SD",
        "days present / days enrolled < 0.90",
        "otherwise shown as *",
    ],
)
def test_every_method_states_its_formula(tmp_path, formula):
    assert formula in methods_page(project_with(tmp_path), PROVENANCE)


def test_parameters_table_lists_every_setting(tmp_path):
    project = project_with(tmp_path)
    rows = table_rows(section(methods_page(project, PROVENANCE), "Parameters of this release"))
    missing = settings_keys(project.settings) - set(rows)
    assert not missing, f"settings missing from the parameters table: {sorted(missing)}"
    assert all(value and meaning for value, meaning in rows.values())
    assert rows["min_n"][0] == "17"
    assert rows["peers.k"][0] == "7"
    assert rows["efficiency.folds"][0] == "4" and rows["efficiency.seed"][0] == "11"
    assert rows["gaps.intersections"][0] == "EL × SWD"
    assert rows["data_dir"][0] == "data/lakeside"
    assert rows["districts.goals"][0].startswith("2 districts") and "D03" in rows["districts.goals"][0]
    assert rows["districts.peers"][0].startswith("1 district ")
    assert "log of spending per pupil" in rows["efficiency.spending"][0]


class Visit(BaseModel):
    school: str
    day: str = Field(description="the day of the week")


def test_settings_added_later_appear_with_their_descriptions(tmp_path):
    class Extended(Settings):
        board_meeting: str = Field("second Tuesday", description="when the board reviews the scorecard")
        visits: list[Visit] = Field(default_factory=list, description="school visits of the quarter")

    base = project_with(tmp_path)
    project = Project(base.params_file, Extended(**dict(base.settings)), tmp_path)
    rows = table_rows(section(methods_page(project, PROVENANCE), "Parameters of this release"))
    assert rows["board_meeting"] == ["second Tuesday", "When the board reviews the scorecard."]
    assert rows["visits"] == ["none", "School visits of the quarter."]
    assert not settings_keys(project.settings) - set(rows)

    visits = [Visit(school="Harbor Elementary", day="Monday"), Visit(school="Cedar Middle", day="Thursday")]
    project = Project(base.params_file, Extended(**dict(base.settings), visits=visits), tmp_path)
    rows = table_rows(section(methods_page(project, PROVENANCE), "Parameters of this release"))
    assert rows["visits.school"][0] == "(1) Harbor Elementary (2) Cedar Middle"
    assert rows["visits.day"] == ["(1) Monday (2) Thursday", "The day of the week."]
    assert not settings_keys(project.settings) - set(rows)


def test_without_spending_the_page_says_no_efficiency_model(tmp_path):
    page = methods_page(project_with(tmp_path, efficiency=None), PROVENANCE)
    assert "no efficiency model is fitted" in page
    rows = table_rows(section(page, "Parameters of this release"))
    assert rows["efficiency"][0] == "none" and "efficiency.outcome" not in rows


def test_glossary_is_a_definition_list_of_every_term(tmp_path):
    glossary = section(methods_page(project_with(tmp_path), PROVENANCE), "Glossary")
    terms = [line for line, following in zip(glossary.splitlines(), glossary.splitlines()[1:]) if following.startswith(":   ")]
    expected = [
        "Scale score", "Proficient", "Chronically absent", "Economically disadvantaged", "English learner", "Students with disabilities",
        "Subgroup", "Gap", "Standardized gap", "Confidence interval", "Residual", "Percentile", "Peer district", "Per-pupil spending",
        "NCES function", "Out-of-district placement", "Suppressed (`*`)", "Release", "Data hash", "Parameters hash", "Code commit",
    ]
    assert terms == expected


def test_no_row_level_field_name_is_published(tmp_path):
    """The publish audit fails a build whose pages name a student-level field."""
    page = methods_page(project_with(tmp_path), PROVENANCE)
    assert "student_id" not in page and "birth_date" not in page


# ------------------------------------------------------------------ plain terms


@pytest.mark.parametrize(
    ("term", "plain"),
    [
        ("np.log(per_pupil_spending)", "log of spending per pupil"),
        ("pct_ecodis", "% economically disadvantaged"),
        ("np.log(enrollment)", "log of enrollment"),
        ("Intercept", "Intercept (baseline)"),
        ("mean_score_math", "mean math scale score"),
        ("mean_score_ela", "mean ELA scale score"),
        ("pct_chronic_absent", "% chronically absent"),
        ("C(locale)[T.rural]", "locale: rural"),
        ("grade_span[T.K-8]", "grade span: K-8"),
        ("pct_ecodis:pct_el", "% economically disadvantaged × % English learners"),
        ("np.sqrt(students_per_teacher)", "square root of students per teacher"),
        ("np.log(tax_base_per_pupil)", "log of tax base per pupil"),
        ("pct_homeless", "% homeless"),
        ("I(pct_el + pct_swd)", "pct el + pct swd"),
    ],
)
def test_plain_term(term, plain):
    assert plain_term(term) == plain


@pytest.mark.parametrize("code", sorted(INDICATORS))
def test_no_indicator_reads_as_code(code):
    assert not re.search(r"_|np\.|\(", plain_term(code)), plain_term(code)


def test_efficiency_page_names_terms_in_words():
    coefficients = pd.DataFrame({"term": ["Intercept", "np.log(per_pupil_spending)", "pct_ecodis"], "estimate": [1.0, 2.0, 3.0]})
    release = SimpleNamespace(table=lambda name: coefficients, min_n=10, latest_year=2024)
    shown = views.coefficient_table(release).display_frame()
    assert shown["term"].tolist() == ["Intercept (baseline)", "log of spending per pupil", "% economically disadvantaged"]
    assert coefficients["term"].iloc[1] == "np.log(per_pupil_spending)"  # the release's table keeps the formula


# ------------------------------------------------------------------ data quality page


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Project:
    """A small synthetic project whose data stage has run: data_quality.json written."""
    project = load_project(make_project(tmp_path_factory.mktemp("quality"), students=2500))
    pipeline.prepare(project)
    return project


def quality_table(page: str) -> dict[str, list[str]]:
    return table_rows(section(page, "Validation results"))


def school_year(spring: int) -> str:
    return f"{spring - 1}–{spring % 100:02d}"


def test_data_quality_page_shows_each_input_with_hash_and_latest_period(built):
    page = data_quality_page(built)
    rows = quality_table(page)
    files = sorted(p for p in built.data_dir.iterdir() if p.suffix == ".csv")
    assert sorted(rows) == [p.name for p in files]
    for path in files:
        problems, latest, digest = rows[path.name]
        frame = pd.read_csv(path, dtype=str)
        assert problems == "0"
        assert digest == f"`{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}`"
        if "school_year" in frame:
            assert latest == school_year(int(frame["school_year"].astype(int).max()))
        elif "fiscal_year" in frame:
            assert latest == f"FY {frame['fiscal_year'].astype(int).max()}"
        else:
            assert latest == "—"
    assert "passed their data contracts" in page and "## Problems found" not in page


def test_data_quality_page_shows_no_files_row_count_nor_their_total(built):
    """Rows of enrollments.csv or assessments.csv are students: one release's count minus another's would give a
    hidden district's change in enrollment. The page keeps each file's name, hash and period, never its rows."""
    page = data_quality_page(built)
    record = json.loads((built.build_dir / "data_quality.json").read_text())
    counts = {entity: entry["rows"] for entity, entry in record["files"].items() if entry.get("rows")}
    assert counts["enrollments"] > 1000 and counts["assessments"] > 1000, "the record keeps them (it is not published)"
    for number in [*counts.values(), sum(counts.values())]:
        if number < 100:
            continue  # a file of a few rows (districts, actions) counts no students, and its count is any small number
        for written in (f"{number}", f"{number:,}"):
            assert not re.search(rf"(?<![\w,.]){re.escape(written)}(?![\w,])", page), written
    assert "| Rows |" not in page and "rows)" not in page


def test_freshness_and_hashes_do_not_depend_on_file_dates(built):
    report = pipeline.validate(built)
    before = pipeline.quality_record(built, report)
    for path in built.data_dir.iterdir():
        os.utime(path, (0, 0))
    assert pipeline.quality_record(built, pipeline.validate(built)) == before


def corrupt(path: Path, edits: dict[int, dict[str, str]]) -> None:
    """Set values by (file line → column → text); line 1 is the header, as in the problem lines."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for line, values in edits.items():
        for column, text in values.items():
            frame.loc[line - 2, column] = text
    frame.to_csv(path, index=False)


@pytest.fixture
def broken(built, tmp_path) -> Project:
    shutil.copytree(built.root, tmp_path / "broken", ignore=shutil.ignore_patterns("build", "site"))
    return load_project(tmp_path / "broken" / built.params_file.relative_to(built.root))


def test_data_quality_page_lists_the_problems_to_fix(broken):
    finance = broken.data_dir / "finance.csv"
    corrupt(finance, {4: {"amount": "lots"}})
    with pytest.raises(pipeline.DataInvalid):
        pipeline.prepare(broken)
    page = data_quality_page(broken)
    assert quality_table(page)["finance.csv"][0] == "1"
    assert quality_table(page)["districts.csv"][0] == "0"
    assert "failed their contracts" in page and "1 of" in page
    problems = section(page, "Problems found")
    assert re.search(r"finance\.csv:4: amount: .*\(lots\)", problems)


def test_at_most_five_problem_lines_per_file(broken):
    operations = broken.data_dir / "operations_kpis.csv"
    frame = pd.read_csv(operations, dtype=str)
    columns = [c for c in frame.columns if c not in ("school_year", "district_id")][:3]
    corrupt(operations, {line: {column: "§" for column in columns} for line in range(2, 6)})
    with pytest.raises(pipeline.DataInvalid):
        pipeline.prepare(broken)
    record = json.loads((broken.build_dir / "data_quality.json").read_text())
    entry = record["files"]["operations_kpis"]
    assert entry["problems"] >= 6 and len(entry["problem_lines"]) == 5
    assert all(line.startswith(entry["file"] + ":") for line in entry["problem_lines"])
    assert section(data_quality_page(broken), "Problems found").count("operations_kpis.csv:") == 5


def write_old_record(project: Project, ok: bool) -> None:
    """data_quality.json as releases before content hashes and freshness wrote it."""
    files = {
        "districts": {"file": "data/synthetic/districts.csv", "rows": 14, "failures": 0, "checks": []},
        "finance": {"file": "data/synthetic/finance.csv", "rows": 1996, "failures": 0 if ok else 3, "checks": []},
    }
    record = {"ok": ok, "problems": 0 if ok else 3, "files": files, "dataset": []}
    project.build_dir.mkdir(parents=True, exist_ok=True)
    (project.build_dir / "data_quality.json").write_text(json.dumps(record))


@pytest.mark.parametrize("ok", [True, False])
def test_an_older_record_still_makes_a_page(tmp_path, ok):
    project = project_with(tmp_path)
    write_old_record(project, ok)
    page = data_quality_page(project)
    rows = quality_table(page)
    assert rows["districts.csv"] == ["0", "—", "—"]
    assert rows["finance.csv"] == ["0" if ok else "3", "—", "—"]
    assert "1,996" not in page and "2,010" not in page, "no file's rows, nor their total"
    assert ("passed" in page) is ok and ("3 problems" in page) is not ok
