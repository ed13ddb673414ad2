"""Fill-in templates are the contracts said to a data steward: every column's rules, and an example row that passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from districtstat.data.contracts import load_contracts, read_raw, validate_dataset
from districtstat.data.contracts.models import Contract
from districtstat.scaffold.data_templates import EXAMPLE_MARK, TemplateError, example_rows, example_text, template_csv

CONTRACTS_DIR = Path(__file__).parents[2] / "data_contracts"


@pytest.fixture(scope="module")
def contracts():
    return load_contracts(CONTRACTS_DIR)


def uncommented_example(template: str) -> str:
    """The template with its example row made a row: what a steward does first."""
    lines = template.splitlines()
    return "\n".join([*lines, lines[lines.index(EXAMPLE_MARK) + 1].removeprefix("# ")]) + "\n"


def test_every_contracts_example_row_passes_and_the_examples_fit_together_by_their_keys(contracts, tmp_path):
    examples = example_rows(contracts)
    for name, contract in contracts.items():
        (tmp_path / f"{name}.csv").write_text(uncommented_example(template_csv(contract, examples)), encoding="utf-8")
    report = validate_dataset(tmp_path, contracts)
    assert report.lines() == [f"no problems in {len(contracts)} files"]
    assert all(summary["rows"] == 1 for summary in report.files.values())
    assert {examples[name]["district_id"] for name in contracts if "district_id" in examples[name]} == {"D1"}


def test_a_template_says_each_columns_rules_as_the_contract_has_them(contracts):
    template = template_csv(contracts["finance"], example_rows(contracts))
    lines = template.splitlines()
    assert lines[0] == ",".join(contracts["finance"].field_names)
    assert all(line.startswith("#") for line in lines[1:])
    column = {line.split(":")[0].strip("# "): line for line in lines if line.startswith("#   ")}
    assert list(column) == contracts["finance"].field_names
    assert column["function_code"].endswith(
        "(required; text; one of 1000, 2100, 2200, 2300, 2400, 2500, 2600, 2700, 2900, 3100 (code set nces_function, version 2014))"
    )
    assert column["fiscal_year"] == "#   fiscal_year: (required; whole number; from 1980 to 2100)"
    assert column["school_id"] == "#   school_id: (optional; text; must be a school_id of schools.csv)"
    assert column["amount"] == "#   amount: Dollars spent. (required; number; at least 0)"
    attendance = template_csv(contracts["attendance"], example_rows(contracts))
    assert "# Every row: A student cannot be present on more days than enrolled. (days_present <= days_enrolled)" in attendance
    assert "# No two rows may have the same school_year, student_id (the table's key)." in attendance


def test_a_template_read_back_is_an_empty_table_of_the_contracts_columns(contracts, tmp_path):
    path = tmp_path / "districts.csv"
    path.write_text(template_csv(contracts["districts"], example_rows(contracts)), encoding="utf-8")
    raw = read_raw(path)
    assert list(raw.columns) == contracts["districts"].field_names and raw.empty


def test_a_change_to_a_contract_shows_in_its_template(contracts):
    """Nothing is written per file: a new code, bound or description reaches the template as it is."""
    changed = contracts["districts"].model_dump(by_alias=True)
    changed["fields"][3]["constraints"]["enum"].append("frontier")
    changed["fields"][2]["description"] = "The state's planning region."
    template = template_csv(Contract.model_validate(changed), example_rows(contracts))
    assert "one of city, suburb, town, rural, frontier" in template
    assert "#   region: The state's planning region. (" in template


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"^[A-Z0-9_]+$", "A"),
        (r"(mean_score_ela|mean_score_math|gap\.[A-Z_]+\.(ELA|MATH))", "mean_score_ela"),
        (r"\d{4}-(0[1-9]|1[0-2])", "1111-01"),
        (r"[^a-z]+", None),  # a negated set is beyond it: no example rather than a wrong one
    ],
)
def test_example_text_spells_the_first_alternative_of_a_pattern(pattern, expected):
    made = example_text(pattern)
    assert made == expected
    assert made is None or re.fullmatch(pattern, made)


def test_a_required_pattern_without_an_example_is_named(contracts):
    broken = contracts["schools"].model_dump(by_alias=True)
    broken["fields"][0]["constraints"]["pattern"] = "[^a-z]{3}"
    with pytest.raises(TemplateError, match=r"^schools\.school_id: cannot make an example matching the pattern \[\^a-z\]\{3\}$"):
        example_rows({"schools": Contract.model_validate(broken)})
