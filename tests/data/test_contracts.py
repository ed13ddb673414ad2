"""Tests for districtstat.contracts: each malformed file gets the exact message a data steward reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest
import yaml

from districtstat.data.contracts import (
    Contract,
    ContractError,
    DataFileError,
    Failure,
    load_contract,
    load_contracts,
    read_raw,
    read_typed,
    to_pandera,
    validate_dataset,
)

CONTRACTS_DIR = Path(__file__).parents[2] / "data_contracts"
VALID = Path(__file__).parents[1] / "fixtures" / "contracts" / "valid"


@pytest.fixture(scope="module")
def contracts() -> dict[str, Contract]:
    return load_contracts(CONTRACTS_DIR)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A copy of the small valid dataset, to corrupt one thing in."""
    data = tmp_path / "data"
    shutil.copytree(VALID, data)
    return data


def check(data: Path, contracts: dict[str, Contract], cap: int = 5) -> list[str]:
    return validate_dataset(data, contracts, cap=cap, display_root=data.parent).lines()


def set_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def add_lines(path: Path, *texts: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write("".join(f"{text}\n" for text in texts))


# --- Loading contracts ---------------------------------------------------------------------------


def test_every_contract_loads_keyed_by_name(contracts):
    assert list(contracts) == sorted(path.stem for path in CONTRACTS_DIR.glob("*.yaml"))
    assert contracts["attendance"].primary_key == ["school_year", "student_id"]
    race = next(field for field in contracts["students"].fields if field.name == "race_ethnicity")
    assert (race.code_set.name, race.code_set.version) == ("federal_race_ethnicity_7", "2007")
    assert contracts["subgroup_outcomes"].missing_values == ["", "NA"]


def write_contract(folder: Path, edit) -> Path:
    """schools.yaml with one edit, saved under folder/data_contracts/."""
    document = yaml.safe_load((CONTRACTS_DIR / "schools.yaml").read_text(encoding="utf-8"))
    edit(document)
    path = folder / "data_contracts" / "schools.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_unknown_key_in_a_contract_is_named_plainly(tmp_path, monkeypatch):
    def misspell(doc):
        doc["fields"][2]["constrains"] = doc["fields"][2].pop("constraints")

    write_contract(tmp_path, misspell)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ContractError) as raised:
        load_contract(Path("data_contracts/schools.yaml"))
    assert str(raised.value) == "data_contracts/schools.yaml: fields[2]: unknown key 'constrains'"


def test_bad_field_type_in_a_contract_is_named_plainly(tmp_path, monkeypatch):
    write_contract(tmp_path, lambda doc: doc["fields"][3].update(type="float"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ContractError) as raised:
        load_contracts(Path("data_contracts"))
    assert str(raised.value) == (
        "data_contracts/schools.yaml: fields[3].type: "
        "'float' is not one of 'string', 'integer', 'number', 'date' or 'boolean'"
    )


def test_key_fields_may_be_written_as_one_name(tmp_path):
    path = write_contract(tmp_path, lambda doc: doc.update(primaryKey="school_id"))
    assert load_contract(path).primary_key == ["school_id"]


# --- A valid dataset -----------------------------------------------------------------------------


def test_valid_dataset_passes(dataset, contracts):
    report = validate_dataset(dataset, contracts, display_root=dataset.parent)
    assert report.ok
    assert report.failures == []
    assert report.lines() == ["no problems in 9 files"]
    assert report.files["students"] == {"file": "data/students.csv", "rows": 5, "failures": 0}


def test_typed_tables_have_the_contract_types(dataset, contracts):
    tables = validate_dataset(dataset, contracts).tables
    assert set(tables) == {path.stem for path in VALID.glob("*.csv")}
    assert str(tables["attendance"]["days_present"].dtype) == "Int64"
    assert tables["assessments"]["scale_score"].dtype == "float64"
    assert str(tables["students"]["birth_date"].dtype).startswith("datetime64")
    assert isinstance(tables["students"]["sex"].dtype, pd.StringDtype)
    assert tables["finance"]["school_id"].isna().tolist() == [False, True, True, False, True]
    assert tables["enrollments"]["grade"].tolist() == ["05", "05", "06", "05", "05"]
    assert tables["students"].index.tolist() == [2, 3, 4, 5, 6]


def test_header_only_file_is_valid(dataset, contracts):
    (dataset / "program_participation.csv").write_text("school_year,student_id,program_code\n")
    report = validate_dataset(dataset, contracts)
    assert report.ok
    assert report.files["program_participation"]["rows"] == 0


# --- Files that are not tables -------------------------------------------------------------------


def test_empty_file(dataset, contracts):
    (dataset / "students.csv").write_bytes(b"")
    assert check(dataset, contracts) == ["data/students.csv: file is empty", "1 problem in 1 file"]


def test_not_utf8(dataset, contracts):
    text = (dataset / "districts.csv").read_text(encoding="utf-8").replace("Hillcrest", "Hillcr\u00e9st")
    (dataset / "districts.csv").write_bytes(text.encode("latin-1"))
    assert check(dataset, contracts) == ["data/districts.csv:3: not UTF-8 (byte 0xE9)", "1 problem in 1 file"]


@pytest.mark.parametrize(("delimiter", "shown"), [(";", "';'"), ("\t", "'\\t'")])
def test_wrong_delimiter(dataset, contracts, delimiter, shown):
    path = dataset / "districts.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", delimiter), encoding="utf-8")
    assert check(dataset, contracts) == [
        f"data/districts.csv:1: wrong delimiter: found {shown}, expected ','",
        "1 problem in 1 file",
    ]


def test_rows_with_the_wrong_number_of_fields(dataset, contracts):
    set_line(dataset / "schools.csv", 3, "S002,D001,Riverside Middle,middle,extra")
    set_line(dataset / "schools.csv", 4, "S003,D002")
    assert check(dataset, contracts) == [
        "data/schools.csv:3: wrong number of fields, expected 4 (found 5)",
        "data/schools.csv:4: wrong number of fields, expected 4 (found 2)",
        "2 problems in 1 file",
    ]


def test_missing_required_column(dataset, contracts):
    enrollments = pd.read_csv(VALID / "enrollments.csv", dtype=str).drop(columns="grade")
    enrollments.to_csv(dataset / "enrollments.csv", index=False)
    assert check(dataset, contracts) == [
        "data/enrollments.csv:1: grade: missing required column",
        "1 problem in 1 file",
    ]


def test_extra_unknown_column(dataset, contracts):
    students = pd.read_csv(VALID / "students.csv", dtype=str).assign(gender="F")
    students.to_csv(dataset / "students.csv", index=False)
    assert check(dataset, contracts) == ["data/students.csv:1: gender: unknown column", "1 problem in 1 file"]


def test_file_without_a_contract(dataset, contracts):
    (dataset / "notes.csv").write_text("note\nhello\n")
    report = validate_dataset(dataset, contracts, display_root=dataset.parent)
    assert report.lines() == ["data/notes.csv: no contract for 'notes.csv'", "1 problem in 1 file"]
    assert report.to_dict()["dataset"] == [
        {"file": "data/notes.csv", "line": None, "column": None, "rule": "no contract for 'notes.csv'", "value": None}
    ]


def test_empty_dataset_folder(tmp_path, contracts):
    (tmp_path / "data").mkdir()
    report = validate_dataset(tmp_path / "data", contracts, display_root=tmp_path)
    assert not report.ok
    assert report.lines() == ["data: dataset has no .csv or .parquet files", "1 problem in 1 file"]


def test_read_raw_raises_for_a_file_that_is_not_a_table(tmp_path):
    (tmp_path / "districts.csv").write_bytes(b"")
    with pytest.raises(DataFileError) as raised:
        read_raw(tmp_path / "districts.csv", display="districts.csv")
    assert raised.value.failures == [Failure("districts.csv", None, None, "file is empty", None)]


# --- Values --------------------------------------------------------------------------------------


def test_wrong_type(dataset, contracts):
    set_line(dataset / "attendance.csv", 3, "2024,ST0002,D001,180,15O")
    assert check(dataset, contracts) == [
        "data/attendance.csv:3: days_present: type (integer) (15O)",
        "1 problem in 1 file",
    ]


def test_missing_required_value(dataset, contracts):
    set_line(dataset / "enrollments.csv", 2, "2024,ST0001,D001,S001,")
    assert check(dataset, contracts) == ["data/enrollments.csv:2: grade: required", "1 problem in 1 file"]


def test_code_outside_its_code_set(dataset, contracts):
    set_line(dataset / "students.csv", 4, "ST0003,F,XX,2012-01-05")
    assert check(dataset, contracts) == [
        "data/students.csv:4: race_ethnicity: not in code set federal_race_ethnicity_7@2007 (XX)",
        "1 problem in 1 file",
    ]


def test_duplicate_primary_key(dataset, contracts):
    add_lines(dataset / "enrollments.csv", "2024,ST0001,D001,S002,05")
    assert check(dataset, contracts) == [
        "data/enrollments.csv:7: duplicate primary key (school_year, student_id) (2024, ST0001)",
        "1 problem in 1 file",
    ]


# --- Monthly operations KPIs: an optional part of the primary key ------------------------------------

MONTHLY_HEADER = "school_year,month,district_id,kpi_code,value,unit"


def write_operations(data: Path, *rows: str) -> None:
    (data / "operations_kpis.csv").write_text("\n".join([MONTHLY_HEADER, *rows]) + "\n", encoding="utf-8")


def test_a_key_part_is_required_unless_the_contract_says_otherwise(contracts):
    operations = contracts["operations_kpis"]
    fields = {field.name: field for field in operations.fields}
    assert operations.primary_key == ["school_year", "month", "district_id", "kpi_code"]
    assert not operations.is_required(fields["month"])  # `required: false`, said explicitly
    assert operations.required_key == ["school_year", "district_id", "kpi_code"]
    enrollments = contracts["enrollments"]  # its key fields say nothing about required: Table Schema's rule holds
    assert enrollments.required_key == enrollments.primary_key


def test_monthly_and_whole_year_values_validate_together(dataset, contracts):
    write_operations(
        dataset,
        "2024,,D001,BUS_ON_TIME_PCT,94.5,percent",
        "2024,2023-09,D001,BUS_ON_TIME_PCT,93.0,percent",
        "2024,2023-10,D001,BUS_ON_TIME_PCT,96.0,percent",
        "2024,2023-09,D001,WORK_ORDERS_CLOSED,120,count",
    )
    assert check(dataset, contracts) == ["no problems in 9 files"]


def test_a_month_that_is_not_a_calendar_month(dataset, contracts):
    write_operations(dataset, "2024,2023-13,D001,WORK_ORDERS_CLOSED,120,count", "2024,Jan 2024,D001,WORK_ORDERS_CLOSED,120,count")
    assert check(dataset, contracts) == [
        r"data/operations_kpis.csv:2: month: pattern \d{4}-(0[1-9]|1[0-2]) (2023-13)",
        r"data/operations_kpis.csv:3: month: pattern \d{4}-(0[1-9]|1[0-2]) (Jan 2024)",
        "2 problems in 1 file",
    ]


def test_a_duplicate_monthly_key(dataset, contracts):
    write_operations(dataset, "2024,2023-09,D001,WORK_ORDERS_CLOSED,120,count", "2024,2023-10,D001,WORK_ORDERS_CLOSED,118,count",
                     "2024,2023-09,D001,WORK_ORDERS_CLOSED,121,count")
    assert check(dataset, contracts) == [
        "data/operations_kpis.csv:4: duplicate primary key (school_year, month, district_id, kpi_code) "
        "(2024, 2023-09, D001, WORK_ORDERS_CLOSED)",
        "1 problem in 1 file",
    ]


def test_two_whole_year_values_of_one_kpi_are_duplicates_with_the_month_empty(dataset, contracts):
    write_operations(dataset, "2024,,D001,BUS_ON_TIME_PCT,94.5,percent", "2024,2023-09,D001,BUS_ON_TIME_PCT,93.0,percent",
                     "2024,,D001,BUS_ON_TIME_PCT,95.0,percent")
    assert check(dataset, contracts) == [
        "data/operations_kpis.csv:4: duplicate primary key (school_year, month, district_id, kpi_code) (2024, , D001, BUS_ON_TIME_PCT)",
        "1 problem in 1 file",
    ]


def test_whole_year_files_without_a_month_column_still_validate(dataset, contracts):
    assert "month" not in (dataset / "operations_kpis.csv").read_text(encoding="utf-8").splitlines()[0]
    assert check(dataset, contracts) == ["no problems in 9 files"]
    add_lines(dataset / "operations_kpis.csv", "2024,D001,BUS_ON_TIME_PCT,93.0,percent")
    assert check(dataset, contracts) == [
        "data/operations_kpis.csv:6: duplicate primary key (school_year, district_id, kpi_code) (2024, D001, BUS_ON_TIME_PCT)",
        "1 problem in 1 file",
    ]


def test_a_missing_required_key_part_is_not_a_duplicate(dataset, contracts):
    write_operations(dataset, ",2023-09,D001,WORK_ORDERS_CLOSED,120,count", ",2023-09,D001,WORK_ORDERS_CLOSED,120,count")
    assert check(dataset, contracts) == [
        "data/operations_kpis.csv:2: school_year: required",
        "data/operations_kpis.csv:3: school_year: required",
        "2 problems in 1 file",
    ]


def test_foreign_key_without_a_parent(dataset, contracts):
    set_line(dataset / "enrollments.csv", 6, "2024,ST0009,D002,S003,05")
    assert check(dataset, contracts) == [
        "data/enrollments.csv:6: student_id: foreign key -> students.student_id (ST0009)",
        "1 problem in 1 file",
    ]


def test_negative_count(tmp_path, contracts):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(VALID / "districts.csv", data)
    (data / "subgroup_outcomes.csv").write_text(
        "school_year,district_id,subject,grade,subgroup,n,mean_score,sd_score,pct_proficient\n"
        "2024,D001,ELA,ALL,ALL,412,505.2,61.0,48.5\n"
        "2024,D001,ELA,ALL,EL,-3,NA,NA,NA\n"
    )
    assert check(data, contracts) == [
        "data/subgroup_outcomes.csv:3: n: minimum 0 (-3)",
        "1 problem in 1 file",
    ]


def test_scale_score_out_of_range(dataset, contracts):
    set_line(dataset / "assessments.csv", 2, "2024,ST0001,D001,S001,ELA,05,950,3")
    assert check(dataset, contracts) == [
        "data/assessments.csv:2: scale_score: maximum 900 (950)",
        "1 problem in 1 file",
    ]


def test_row_rule(dataset, contracts):
    set_line(dataset / "attendance.csv", 2, "2024,ST0001,D001,180,181")
    assert check(dataset, contracts) == [
        "data/attendance.csv:2: row rule present_within_enrolled (days_present <= days_enrolled)"
        " (days_present=181, days_enrolled=180)",
        "1 problem in 1 file",
    ]


def test_line_numbers_count_breaks_inside_quoted_values(dataset, contracts):
    path = dataset / "schools.csv"
    path.write_text(
        "school_id,district_id,school_name,school_level\n"
        'S001,D001,"Riverside Elementary\n(North Campus)",elementary\n'
        "\n"
        "S002,D001,Riverside Middle,junior\n"
        "S003,D002,Hillcrest School,elementary\n"
    )
    assert check(dataset, contracts) == [
        "data/schools.csv:5: school_level: not one of elementary, middle, high, other (junior)",
        "1 problem in 1 file",
    ]


def test_comment_lines_are_skipped_and_every_error_keeps_the_files_own_line_number(dataset, contracts):
    """Lines starting with # (the fill-in templates' notes) are no rows; a problem below them is named by the line the
    steward sees in an editor, a problem in the header by the header's own line."""
    path = dataset / "schools.csv"
    path.write_text(
        "# Schools: one row per school.\n"
        "school_id,district_id,school_name,school_level\n"
        "# school_level: one of elementary, middle, high, other\n"
        "#\n"
        "S001,D001,Riverside Elementary,elementary\n"
        "# a note between rows\n"
        "S002,D001,Riverside Middle,junior\n"
        "S003,D002\n"
        "S004,D009,Hillcrest School,elementary\n"
    )
    assert check(dataset, contracts) == ["data/schools.csv:8: wrong number of fields, expected 4 (found 2)", "1 problem in 1 file"]
    set_line(path, 8, "S003,D002,Hillcrest School,elementary")
    assert check(dataset, contracts) == [
        "data/schools.csv:7: school_level: not one of elementary, middle, high, other (junior)",
        "data/schools.csv:9: district_id: foreign key -> districts.district_id (D009)",
        "2 problems in 1 file",
    ]
    assert read_raw(path).index.tolist() == [5, 7, 8, 9]
    path.write_text("# Schools\nschool_id,district_id,school_name\n# no level\n")
    assert [line for line in check(dataset, contracts) if line.startswith("data/schools")] == ["data/schools.csv:2: school_level: missing required column"]


def test_only_a_hash_at_the_start_of_a_line_outside_quotes_makes_a_comment(dataset, contracts):
    path = dataset / "schools.csv"
    path.write_text(
        "school_id,district_id,school_name,school_level\n"
        'S001,D001,"Riverside Elementary\n# North Campus",elementary\n'
        "S002,D001,#2 Middle,middle\n"
        "S003,D002,Hillcrest School,elementary\n"
        " #S4,D002,Hillcrest Annex,elementary\n"
        '"#S5",D002,Hillcrest Annex,elementary\n'
        "S006,D002,Hillcrest High,senior\n"
    )
    assert check(dataset, contracts) == [
        "data/schools.csv:6: school_id: pattern ^[A-Za-z0-9_-]{1,24}$ ( #S4)",
        "data/schools.csv:7: school_id: pattern ^[A-Za-z0-9_-]{1,24}$ (#S5)",
        "data/schools.csv:8: school_level: not one of elementary, middle, high, other (senior)",
        "3 problems in 1 file",
    ]
    assert read_raw(path)["school_name"].tolist()[:2] == ["Riverside Elementary\n# North Campus", "#2 Middle"]


def test_a_header_with_comments_and_no_rows_is_an_empty_valid_file_as_a_header_alone_is(dataset, contracts):
    (dataset / "program_participation.csv").write_text("school_year,student_id,program_code\n# program_code: EL, SWD, ...\n# 2024,S1,EL\n")
    report = validate_dataset(dataset, contracts)
    assert report.ok and report.files["program_participation"]["rows"] == 0
    (dataset / "students.csv").write_text("# student_id,sex,race_ethnicity,birth_date\n")
    assert check(dataset, contracts) == ["data/students.csv: no header row, only # comment lines", "1 problem in 1 file"]


def test_parquet_rows_are_numbered_from_one(dataset, contracts):
    students = pd.read_csv(VALID / "students.csv", dtype=str, keep_default_na=False)
    students.loc[2, "race_ethnicity"] = "XX"
    students.to_parquet(dataset / "students.parquet")
    (dataset / "students.csv").unlink()
    assert check(dataset, contracts) == [
        "data/students.parquet:3: race_ethnicity: not in code set federal_race_ethnicity_7@2007 (XX)",
        "1 problem in 1 file",
    ]


# --- The report ----------------------------------------------------------------------------------


@pytest.fixture
def eight_bad_codes(dataset) -> Path:
    add_lines(dataset / "students.csv", *(f"ST00{number:02d},F,ZZ,2013-01-01" for number in range(6, 14)))
    return dataset


def test_groups_are_capped_with_a_count(eight_bad_codes, contracts):
    report = validate_dataset(eight_bad_codes, contracts, cap=5, display_root=eight_bad_codes.parent)
    assert len(report.failures) == 8
    assert report.lines() == [
        *(
            f"data/students.csv:{line}: race_ethnicity: not in code set federal_race_ethnicity_7@2007 (ZZ)"
            for line in range(7, 12)
        ),
        "data/students.csv: race_ethnicity: 8 rows not in code set federal_race_ethnicity_7@2007",
        "8 problems in 1 file",
    ]
    assert report.lines(cap=8)[-2].startswith("data/students.csv:14: ")


def test_to_dict_is_json_ready(eight_bad_codes, contracts):
    report = validate_dataset(eight_bad_codes, contracts, cap=2, display_root=eight_bad_codes.parent)
    summary = report.to_dict()
    assert json.loads(json.dumps(summary)) == summary
    assert (summary["ok"], summary["problems"], summary["dataset"]) == (False, 8, [])
    students = summary["files"]["students"]
    assert (students["file"], students["rows"], students["failures"]) == ("data/students.csv", 13, 8)
    assert summary["files"]["districts"]["checks"] == []
    assert students["checks"] == [
        {
            "column": "race_ethnicity",
            "rule": "not in code set federal_race_ethnicity_7@2007",
            "count": 8,
            "examples": [{"line": 7, "value": "ZZ"}, {"line": 8, "value": "ZZ"}],
        }
    ]


def test_failure_format_leaves_out_what_is_unknown():
    assert Failure("data/x.csv", None, None, "file is empty", None).format() == "data/x.csv: file is empty"
    assert Failure("data/x.csv", 4, "n", "required", "").format() == "data/x.csv:4: n: required"


# --- For the next stages -------------------------------------------------------------------------


def test_read_typed_gives_contract_types_by_line(contracts):
    finance = read_typed(VALID / "finance.csv", contracts["finance"])
    assert finance.index.name == "line"
    assert finance.loc[3, "amount"] == 310000.5
    assert pd.isna(finance.loc[3, "school_id"])
    assert str(finance["fiscal_year"].dtype) == "Int64"


def test_to_pandera_checks_a_typed_table(contracts):
    schema = to_pandera(contracts["attendance"])
    attendance = read_typed(VALID / "attendance.csv", contracts["attendance"])
    schema.validate(attendance)
    attendance.loc[4, "days_present"] = 400
    with pytest.raises(pa.errors.SchemaErrors) as raised:
        schema.validate(attendance.reset_index(drop=True), lazy=True)
    assert set(raised.value.failure_cases["check"]) == {
        "maximum 366",
        "row rule present_within_enrolled (days_present <= days_enrolled)",
    }
