"""A consortium started with `districtstat new consortium` and filled with a public aggregate file as such files
come: no enrollment, no region, and a composite score rather than math and ELA. The site builds, and its pages say
what was left out and why instead of showing a placeholder."""

from __future__ import annotations

import html as html_module
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from districtstat.cli import main
from districtstat.scaffold.consortium import new_consortium

ROOT = Path(__file__).parents[1]
DISTRICTS = 10
COMPOSITE = "  - {code: COMPOSITE, name: Composite of reading and math, short: composite, composite: true}\n"


def fill(template: Path, rows: list[list[object]]) -> None:
    """The template's rows appended under its header and comments, as a steward would paste them."""
    with template.open("a", encoding="utf-8") as file:
        file.writelines(",".join("" if value is None else str(value) for value in row) + "\n" for row in rows)


def header(template: Path) -> list[str]:
    return next(line for line in template.read_text(encoding="utf-8").splitlines() if not line.startswith("#")).split(",")


def public_file(data: Path) -> None:
    """Ten districts of a state's district file: spending, needs and a composite score, nothing more."""
    rng = np.random.default_rng(7)
    ids = [f"A{number:02d}" for number in range(1, DISTRICTS + 1)]
    need = rng.uniform(10, 80, DISTRICTS).round(1)
    spending = rng.uniform(9000, 16000, DISTRICTS).round(0)
    score = (700 - 0.8 * need + 0.002 * spending + rng.normal(0, 4, DISTRICTS)).round(1)
    values = {
        "districts": [{"district_id": d, "district_name": f"District {d}", "locale": ["suburb", "rural"][i % 2], "grade_span": "K-8"} for i, d in enumerate(ids)],
        "district_profile": [
            {"school_year": 2025, "district_id": d, "pct_ecodis": need[i], "pct_el": round(need[i] / 4, 1), "pct_swd": 12.0 + i % 3,
             "per_pupil_spending": spending[i], "students_per_teacher": 15.5, "median_household_income": 60000 + 1000 * i}
            for i, d in enumerate(ids)
        ],
        "subgroup_outcomes": [
            {"school_year": 2025, "district_id": d, "subject": "COMPOSITE", "grade": "ALL", "subgroup": "ALL", "n": 150 + 20 * i, "mean_score": score[i]}
            for i, d in enumerate(ids)
        ],
    }
    for entity, rows in values.items():
        template = data / f"{entity}.csv"
        columns = header(template)
        fill(template, [[row.get(column) for column in columns] for row in rows])


@pytest.fixture(scope="module")
def aggregate_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("aggregate")
    shutil.copy(ROOT / "_quarto.yml", root / "_quarto.yml")
    for folder in ("notebooks", "data_contracts"):
        shutil.copytree(ROOT / folder, root / folder)
    new_consortium(root, "state-file")
    public_file(root / "data" / "state-file")
    params = root / "params" / "state-file.yml"
    text = params.read_text(encoding="utf-8")
    text = re.sub(r"subjects:\n(  - .*\n)+", "subjects:\n" + COMPOSITE, text)
    text = text.replace("outcome: mean_score_math", "outcome: mean_score_composite").replace("release: draft", "release: '2025.1'")
    params.write_text(text, encoding="utf-8")
    assert main(["build", "--params", str(params), "--quiet"]) == 0
    return root / "site" / "state-file" / "2025.1"


def page_text(path: Path) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>|<svg.*?</svg>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return html_module.unescape(text).replace("’", "'")


def test_the_methods_page_says_what_the_data_do_not_report_and_which_settings_were_left_out(aggregate_site):
    methods = page_text(aggregate_site / "methods.html")
    assert "What the data do not report" in methods
    assert "Enrollment: not reported." in methods and "Region: not reported." in methods
    assert "Composite of reading and math (COMPOSITE, a composite of several subjects" in methods
    assert "`np.log(enrollment)`" not in methods and "np.log(enrollment) is declared for the efficiency model in params but left out" in methods
    assert "log(enrollment) is declared for peer matching in params but left out" in methods


def test_no_page_shows_a_size_or_files_the_composite_under_math(aggregate_site):
    pages = sorted(aggregate_site.rglob("*.html"))
    for page in pages:
        text = page_text(page)
        if page.name != "methods.html":  # the methods page explains every indicator a consortium may have
            assert "math" not in text.replace("Composite of reading and math", "").lower(), page
        assert not re.search(r"\d[\d,]* students ·", text), page
    overview = page_text(aggregate_site / "index.html")
    table = overview[overview.index("Districts of the consortium, latest school year"):]
    assert "Mean composite score (points)" in table and " Students " not in table[:300]
    assert "The data do not report enrollment: no page shows a district's size" in overview
    home = page_text(aggregate_site / "districts" / "A03" / "index.html")
    assert "Students not reported" in home


def test_the_district_pages_say_what_their_models_left_out(aggregate_site):
    peers = page_text(aggregate_site / "districts" / "A03" / "peers.html")
    assert "Declared in params but left out for that reason: log(enrollment)." in peers
    assert "enrollment" not in peers[peers.index("This district against its peers"):].lower().split("differences of 0.5 sd")[0], "no stand-in size among the characteristics"
    efficiency = page_text(aggregate_site / "districts" / "A03" / "efficiency.html")
    assert "mean composite scale score" in efficiency
    assert "The model leaves out np.log(enrollment), declared in params, because the data do not report enrollment" in efficiency
    finder = page_text(aggregate_site / "districts.html")
    assert "The data do not report the districts' regions or enrollments, so the finder cannot filter by them." in finder
