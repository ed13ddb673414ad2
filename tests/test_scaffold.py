"""`districtstat new`: a consortium's params and fill-in templates, and a new page that a build publishes."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

from districtstat import views
from districtstat.analyses.indicators import INDICATORS
from districtstat.cli import main
from districtstat.config import load_project
from districtstat.data.contracts import load_contracts
from districtstat.privacy.disclosure import SUPPRESSED
from districtstat.report import Release
from districtstat.scaffold import KINDS, consortium_files, page_files
from districtstat.scaffold.data_templates import EXAMPLE_MARK
from districtstat.views.common import UNIT_CODES, value_text
from helpers import ROOT, make_project, page_tables, tree_digest


def source_checkout(root: Path) -> Path:
    """A copy of the repository's source checkout (configuration, contracts, notebooks, params, src, tests): `new notebook`
    writes into it, never into the repository running the tests."""
    bare_project(root)
    skipped = shutil.ignore_patterns("__pycache__", "*.egg-info", "fixtures")
    for folder in ("notebooks", "params", "src", "tests"):
        shutil.copytree(ROOT / folder, root / folder, ignore=skipped, dirs_exist_ok=True)
    return root


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    return source_checkout(tmp_path_factory.mktemp("checkout"))


def bare_project(root: Path) -> Path:
    """A project with the repository's configuration and contracts, and nothing of any consortium."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "_quarto.yml", root / "_quarto.yml")
    shutil.copytree(ROOT / "data_contracts", root / "data_contracts")
    return root


def new(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["new", *args])
    return code, capsys.readouterr().err


def with_example_rows(template: Path, *rows: str) -> None:
    """Make the template's example row a row, and add more below it, as a steward filling it in would."""
    lines = template.read_text(encoding="utf-8").splitlines()
    example = lines[lines.index(EXAMPLE_MARK) + 1].removeprefix("# ")
    template.write_text("\n".join([*lines, example, *rows]) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ new consortium


@pytest.mark.parametrize("kind", ["aggregate", "microdata"])
def test_a_new_consortium_has_params_that_load_and_a_template_per_contract_it_needs(tmp_path, capsys, monkeypatch, kind):
    root = bare_project(tmp_path / "project")
    monkeypatch.chdir(root)
    code, err = new(capsys, "consortium", "ohio-valley", "--kind", kind)
    assert code == 0, err
    project = load_project(root / "params" / "ohio-valley.yml")
    settings = project.settings
    assert (settings.dataset, settings.data_dir.as_posix(), settings.site_dir.as_posix(), settings.min_n) == ("custom", "data/ohio-valley", "site/ohio-valley", 10)
    assert (settings.release, settings.release_date) == ("draft", None)
    expected_pages = ["scorecard", "efficiency", "peers"] if kind == "aggregate" else ["scorecard", "outcome_gaps", "efficiency", "peers", "operations"]
    assert settings.district_notebooks == expected_pages
    assert settings.efficiency.outcome == "mean_score_math" and settings.peers.numeric == ["log(enrollment)", "pct_ecodis", "pct_el", "pct_swd"]
    contracts = load_contracts(root / "data_contracts")
    written = sorted(path.name for path in project.data_dir.iterdir())
    assert written == sorted(f"{entity}.csv" for entity in KINDS[kind])
    for name in written:
        assert (project.data_dir / name).read_text(encoding="utf-8").splitlines()[0] == ",".join(contracts[name[:-4]].field_names)
    capsys.readouterr()
    assert main(["validate", "--params", "params/ohio-valley.yml"]) == 0, "the unfilled templates are valid empty files"
    assert capsys.readouterr().err.splitlines()[-1] == f"valid: 0 rows in {len(written)} files"
    assert err.splitlines()[-3:] == [
        "  3. Check the data against the contracts, then build the site:",
        "     districtstat validate --params params/ohio-valley.yml",
        "     districtstat build --params params/ohio-valley.yml",
    ]
    files = ", ".join(f"data/ohio-valley/{name}" for name in written)
    verb = "has" if len(written) == 1 else "have"
    assert main(["build", "--params", "params/ohio-valley.yml", "--quiet"]) == 2, "a build says what is missing"
    assert capsys.readouterr().err == (
        f"districtstat build: no district has any figure to report: {files} {verb} no rows yet. Fill in one row per line below each "
        "header (the # lines may stay), check with `districtstat validate`, then build\n"
    )


def test_the_aggregate_templates_filled_with_a_few_small_districts_validate_and_name_the_files_own_lines(tmp_path, capsys, monkeypatch):
    root = bare_project(tmp_path / "project")
    monkeypatch.chdir(root)
    assert new(capsys, "consortium", "tiny", "--dir", str(root))[0] == 0
    data = root / "data" / "tiny"
    with_example_rows(data / "districts.csv", "D2,Lakeside,North,rural,K-8", "D3,Hill Valley,South,,K-6")
    with_example_rows(data / "district_profile.csv", "2024,D2,320,61.5,12,14,,11250,15.5,48000", "2024,D3,85,,,,,,,")
    with_example_rows(data / "subgroup_outcomes.csv", "2024,D2,MATH,ALL,ALL,150,498.5,40.2,45", "2024,D3,ELA,05,SWD,9,,,")
    capsys.readouterr()
    assert main(["validate", "--params", "params/tiny.yml"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "valid: 9 rows in 3 files"
    lines = (data / "subgroup_outcomes.csv").read_text(encoding="utf-8").splitlines()
    bad = len(lines) + 1  # the line it is written on, below the header, the # lines and the rows
    (data / "subgroup_outcomes.csv").write_text("\n".join([*lines, "2024,D9,MATH,ALL,ALL,-3,,,"]) + "\n", encoding="utf-8")
    assert main(["validate", "--params", "params/tiny.yml"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"data/tiny/subgroup_outcomes.csv:{bad}: district_id: foreign key -> districts.district_id (D9)",
        f"data/tiny/subgroup_outcomes.csv:{bad}: n: minimum 0 (-3)",
        "2 problems in 1 file",
    ]


def test_the_aggregate_kind_has_the_files_of_the_public_aggregate_example():
    from districtstat.data.real_data import california_tables

    assert sorted(california_tables()) == sorted(KINDS["aggregate"])


def test_a_consortium_is_written_the_same_byte_for_byte_every_time(tmp_path):
    root = bare_project(tmp_path / "project")
    first = consortium_files(root, "ohio-valley", "microdata")
    assert first == consortium_files(root, "ohio-valley", "microdata")
    assert str(tmp_path) not in "".join(first.values())


def test_new_refuses_to_write_over_any_file_and_writes_nothing(tmp_path, capsys, monkeypatch):
    root = bare_project(tmp_path / "project")
    monkeypatch.chdir(root)
    (root / "data" / "ohio").mkdir(parents=True)
    (root / "data" / "ohio" / "districts.csv").write_text("district_id\nD1\n")
    code, err = new(capsys, "consortium", "ohio")
    assert code == 2
    assert err == (
        "districtstat new: data/ohio/districts.csv already exists; nothing was written. Choose another name, or move it away to write it again\n"
    )
    assert not (root / "params" / "ohio.yml").exists() and sorted(p.name for p in (root / "data" / "ohio").iterdir()) == ["districts.csv"]
    assert new(capsys, "consortium", "valley")[0] == 0
    before = tree_digest(root)
    code, err = new(capsys, "consortium", "valley")
    assert code == 2 and tree_digest(root) == before
    assert err.startswith(
        "districtstat new: params/valley.yml, data/valley/districts.csv, data/valley/district_profile.csv, data/valley/subgroup_outcomes.csv "
        "already exist; nothing was written."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["consortium", "Ohio Valley"], "consortium name 'Ohio Valley': use lower-case letters, digits, '-' and '_', starting with a letter, at most 40 (such as ohio-valley): it names params/NAME.yml, data/NAME/ and site/NAME/"),
        (["notebook", "Attendance-Trends"], "notebook name 'Attendance-Trends': use lower-case letters, digits and '_', starting with a letter, at most 40 (a Python identifier such as attendance_trends): it names notebooks/NAME.ipynb and districtstat.views.NAME"),
        (["notebook", "lambda"], "notebook name 'lambda' is taken: it is a Python keyword; choose another name"),
        (["notebook", "consortium"], "notebook name 'consortium' is taken: the page's notebook uses that name itself; choose another name"),
        (["notebook", "brief"], "notebook name 'brief' is taken: the report site has a page or folder of that name; choose another name"),
        (["notebook", "peers"], "notebook name 'peers' is taken: there is a notebook notebooks/peers.ipynb already; choose another name"),
        (["notebook", "common"], "notebook name 'common' is taken: src/districtstat/views/common.py is a views module already; choose another name"),
        (["notebook", "pipeline"], "notebook name 'pipeline' is taken: districtstat.pipeline is a module of the package; choose another name"),
        (["notebook", "gaps"], "notebook name 'gaps' is taken: tests/analyses/test_gaps.py exists, and pytest cannot collect two test files of one name; choose another name"),
        (["notebook", "attendance", "--params", "params/none.yml"], "params/none.yml: no such params file"),
    ],
)
def test_a_name_or_file_that_cannot_be_used_gets_a_message_saying_why(checkout, capsys, monkeypatch, args, message):
    """Each refusal happens before anything is written."""
    monkeypatch.chdir(checkout)
    before = tree_digest(checkout)
    assert new(capsys, *args) == (2, f"districtstat new: {message}\n")
    assert tree_digest(checkout) == before


def test_outside_a_project_new_says_where_to_run_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = "districtstat new: .: not inside a districtstat project (no _quarto.yml here or above); run it in one, or give --dir\n"
    assert new(capsys, "consortium", "ohio") == (2, message)
    assert new(capsys, "notebook", "attendance") == (2, message)
    assert list(tmp_path.iterdir()) == []


def test_a_new_page_needs_the_source_checkout_it_adds_a_view_to(tmp_path, capsys, monkeypatch):
    root = bare_project(tmp_path / "project")
    monkeypatch.chdir(root)
    assert new(capsys, "notebook", "attendance") == (
        2,
        "districtstat new: .: no src/districtstat/views/ here. `districtstat new notebook` adds a page to a checkout of "
        "districtstat's source, where the page's logic goes; run it there, or give --dir\n",
    )


def test_new_notebook_says_what_it_wrote_and_what_to_do_next(tmp_path, capsys, monkeypatch):
    root = source_checkout(tmp_path / "checkout")
    monkeypatch.chdir(root)
    planned = page_files(root, "attendance")
    assert planned == page_files(root, "attendance") and str(tmp_path) not in "".join(planned.values()), "the same bytes every time"
    code, err = new(capsys, "notebook", "attendance", "--params", "params/synthetic.yml")
    assert code == 0, err
    assert err.splitlines() == [
        "new district page attendance: wrote",
        "  notebooks/attendance.ipynb  the page: opens the release and shows the view's table (no outputs until refreshed)",
        "  src/districtstat/views/attendance.py  what the page shows, computed from the release and protected",
        "  tests/views/test_attendance.py  its test, against the built example consortium",
        "added attendance to district_notebooks in params/synthetic.yml",
        "Next",
        "  1. Make the page what it is for: compute in src/districtstat/views/attendance.py, show in notebooks/attendance.ipynb.",
        "  2. Run its test: pytest -n 0 tests/views/test_attendance.py",
        "  3. Store the notebook's outputs, which nbval compares: districtstat notebooks refresh",
        "  4. Build the site: districtstat build --params params/synthetic.yml",
    ]
    assert load_project(root / "params" / "synthetic.yml").settings.district_notebooks[-1] == "attendance"
    code, err = new(capsys, "notebook", "summary", "--scope", "consortium")
    assert code == 0 and "added" not in err
    assert err.splitlines()[-1] == (
        "  4. List summary in consortium_notebooks of each consortium's params file that should have the page, then build: "
        "districtstat build --params params/NAME.yml"
    )
    assert load_project(root / "params" / "synthetic.yml").settings.consortium_notebooks == []


# ------------------------------------------------------------------ new notebook, built


@pytest.fixture(scope="module")
def page_project(tmp_path_factory):
    """A small consortium in a copy of the source checkout, with a new district page and a new consortium page, built.

    The build runs in its own process with the copy's src/ first on the path, as `districtstat build` does in a
    checkout: the new view module exists only in the copy. Its district pages are the new one only, to keep it cheap."""
    root = source_checkout(tmp_path_factory.mktemp("scaffold") / "checkout")
    params = make_project(root, students=3000, extra_params="district_notebooks: [peers]  # the pages each district gets\n")
    before = params.read_text(encoding="utf-8")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        assert main(["new", "notebook", "attendance", "--params", "params/test.yml"]) == 0
        assert main(["new", "notebook", "consortium_summary", "--scope", "consortium", "--params", "params/test.yml"]) == 0
    finally:
        os.chdir(cwd)
    environment = os.environ | {"PYTHONPATH": str(root / "src")}
    built = subprocess.run(
        [sys.executable, "-m", "districtstat.cli", "build", "--params", str(params), "--quiet", "--workers", "2"],
        cwd=root, env=environment, capture_output=True, text=True, timeout=1200,
    )
    assert built.returncode == 0, built.stderr
    return root, params, before


def test_new_notebook_lists_the_page_in_params_and_keeps_every_comment(page_project):
    _, params, before = page_project
    assert params.read_text(encoding="utf-8") == before.replace(
        "district_notebooks: [peers]  # the pages", "district_notebooks: [peers, attendance]  # the pages"
    ) + "consortium_notebooks: [consortium_summary]  # consortium_summary added by `districtstat new notebook`\n"


def test_the_new_notebook_is_thin_clean_and_declares_the_parameters_of_its_scope(page_project):
    root, _, _ = page_project
    for name, parameters in (("attendance", {"params_file", "release", "district_id"}), ("consortium_summary", {"params_file", "release"})):
        path = root / "notebooks" / f"{name}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(len(cell.source.splitlines()) <= 15 for cell in code)
        assert all(cell.execution_count is None and not cell.outputs for cell in code), "outputs come from `notebooks refresh`"
        assert set(papermill.inspect_notebook(str(path))) == parameters
        assert [cell.id for cell in notebook.cells] == [f"cell-{i}" for i in range(len(notebook.cells))]
        assert notebook.metadata.kernelspec == nbformat.read(ROOT / "notebooks" / "peers.ipynb", as_version=4).metadata.kernelspec
        assert str(root) not in path.read_text(encoding="utf-8")


def test_a_new_district_page_is_published_for_every_district_with_its_views_table(page_project):
    """The done-when test: `new notebook` against a params file, then a build, and the page is on the site."""
    root, params, _ = page_project
    site = root / "site" / "r1"
    release = Release(load_project(params))
    districts = sorted(p.name for p in (site / "districts").iterdir())
    assert len(districts) >= 12
    for district in districts:
        page = site / "districts" / district / "attendance.html"
        assert page.is_file(), district
        assert 'href="attendance.html"' in (site / "districts" / district / "index.html").read_text(encoding="utf-8")
    district = "D03"
    (table,) = [t for t in page_tables(site / "districts" / district / "attendance.html") if t["caption"] == "Every indicator of this district, latest school year"]
    assert table["headers"] == ["Area", "Indicator", "Unit", "This district"]
    shown = {row[1]: row[3] for row in table["rows"] if row}  # the header's row holds header cells only
    history = release.history
    own = history[(history["district_id"] == district) & (history["school_year"] == release.latest_year) & history["code"].isin(INDICATORS)]
    expected = {INDICATORS[code].label: value_text(value, INDICATORS[code].unit) for code, value in zip(own["code"], own["value"])}
    expected |= {INDICATORS[code].label: SUPPRESSED for code in release.withheld_codes(district, release.latest_year) if code in INDICATORS}
    assert len(own) >= 5 and shown == expected
    assert "Spending per pupil" in shown and shown["Spending per pupil"].startswith("$")


def test_a_new_consortium_page_is_published_once_and_linked_from_the_navbar(page_project):
    root, _, _ = page_project
    site = root / "site" / "r1"
    page = (site / "consortium_summary.html").read_text(encoding="utf-8")
    (table,) = [t for t in page_tables(site / "consortium_summary.html") if t["caption"] == "Every indicator across the consortium, latest school year"]
    assert table["headers"] == ["Area", "Indicator", "Unit", "Districts", "Median"] and len([row for row in table["rows"] if row]) >= 5
    assert 'href="consortium_summary.html"' in (site / "index.html").read_text(encoding="utf-8"), "in the navbar of every page"
    assert "Consortium summary" in page


def test_the_generated_view_tests_pass_on_the_built_release_and_fail_when_the_view_is_wrong(page_project, monkeypatch):
    """The generated tests run as the checkout would run them, given this small build as their `built` consortium."""
    root, params, _ = page_project
    monkeypatch.setattr(views, "__path__", [*views.__path__, str(root / "src" / "districtstat" / "views")])
    for name in ("attendance", "consortium_summary"):
        spec = importlib.util.spec_from_file_location(f"generated_test_{name}", root / "tests" / "views" / f"test_{name}.py")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            (test,) = [getattr(module, key) for key in dir(module) if key.startswith("test_")]
            test((root, params))
            view = getattr(views, name)
            right = view.indicator_table

            def first_row_lost(*args):
                table = right(*args)
                table.frame, table.suppressed = table.frame.iloc[1:], table.suppressed.iloc[1:]
                return table

            monkeypatch.setattr(view, "indicator_table", first_row_lost)
            with pytest.raises(AssertionError):
                test((root, params))
        finally:
            sys.modules.pop(f"districtstat.views.{name}", None)
            if hasattr(views, name):
                delattr(views, name)
