"""The disclosure audit finds student identifiers and row-level field names in what is about to be published."""

from pathlib import Path

import pandas as pd
import pytest

from districtstat.privacy.audit import DisclosureAuditError, audit_release, scan_site, student_identifiers

STUDENTS_CSV = """student_id,sex,race_ethnicity,birth_date
ST0001,F,HI,2013-04-12
ST0002,M,WH,2013-09-30
S001,X,AS,2012-01-05
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def data_dir(tmp_path):
    return write(tmp_path / "data" / "students.csv", STUDENTS_CSV).parent


@pytest.fixture
def site(tmp_path):
    """A clean rendered site: aggregates only."""
    root = tmp_path / "site"
    write(root / "index.html", "<html><body><h1>Riverside Unified</h1><p>Enrollment 1,204 in 2024; 33.3% EL.</p></body></html>")
    write(root / "tables" / "outcomes.csv", "school_year,district_id,subgroup,n,mean_score\n2024,D001,ALL,120,501.5\n")
    write(root / "search.json", '{"title": "District profile", "href": "districts/D001.html"}')
    return root


def test_student_identifiers_are_the_ids_and_birth_dates_and_nothing_else(data_dir):
    assert student_identifiers(data_dir)[0] == {"ST0001", "ST0002", "S001", "2013-04-12", "2013-09-30", "2012-01-05"}


def test_student_identifiers_of_a_folder_without_students_is_empty(tmp_path):
    write(tmp_path / "enrollments.csv", "school_year,student_id\n2024,ST0001\n")
    assert student_identifiers(tmp_path)[0] == set()


def test_student_identifiers_read_from_parquet(tmp_path):
    frame = pd.DataFrame({"student_id": ["A1", "B2"], "sex": ["F", "M"], "birth_date": pd.to_datetime(["2013-04-12", "2012-01-05"])})
    frame.to_parquet(tmp_path / "students.parquet")
    assert student_identifiers(tmp_path)[0] == {"A1", "B2", "2013-04-12", "2012-01-05"}


def test_clean_site_has_no_problems(site, data_dir):
    assert scan_site(site, *student_identifiers(data_dir)) == []
    audit_release(site, data_dir)  # does not raise


def test_identifier_planted_in_html_is_found(site, data_dir):
    write(site / "districts" / "D001.html", "<table><tr><td>ST0002</td><td>512</td></tr></table>")
    problems = scan_site(site, *student_identifiers(data_dir))
    assert len(problems) == 1
    assert problems[0].startswith("districts/D001.html:")
    assert "ST0002" in problems[0]


def test_birth_date_planted_in_csv_is_found(site, data_dir):
    write(site / "tables" / "outcomes.csv", "district_id,note\nD001,born 2013-09-30\n")
    problems = scan_site(site, *student_identifiers(data_dir))
    assert problems == ["tables/outcomes.csv: 1 student identifier(s), e.g. 2013-09-30"]


def test_every_identifier_next_to_punctuation_is_counted(site, data_dir):
    write(site / "data.json", '{"rows": ["ST0001", "ST0002"], "url": "?id=S001&x=1"}')
    problems = scan_site(site, *student_identifiers(data_dir))
    assert problems == ["data.json: 3 student identifier(s), e.g. S001"]


@pytest.mark.parametrize("field", ["student_id", "birth_date"])
def test_row_level_field_name_is_found(site, data_dir, field):
    write(site / "downloads" / "extract.csv", f"{field},score\nX,500\n")
    problems = scan_site(site, *student_identifiers(data_dir))
    assert problems == [f"downloads/extract.csv: row-level field name '{field}'"]


def test_identifier_inside_a_longer_token_is_not_flagged(site, data_dir):
    # S001 is a student id; S0012, XS001 and S001A are other tokens (school codes and the like) that merely contain it
    write(site / "schools.html", "<p>Schools S0012, XS001 and S001A; ST00012 too.</p>")
    assert scan_site(site, *student_identifiers(data_dir)) == []
    write(site / "schools.html", "<p>Schools S0012 and S001.</p>")
    assert scan_site(site, *student_identifiers(data_dir)) == ["schools.html: 1 student identifier(s), e.g. S001"]


def test_files_that_are_not_text_are_not_read(site, data_dir):
    (site / "logo.png").write_bytes(b"\x89PNG ST0001 student_id")
    assert scan_site(site, *student_identifiers(data_dir)) == []


def test_audit_release_raises_naming_the_file(site, data_dir):
    write(site / "districts" / "D002.html", "<p>ST0001 scored 512.</p>")
    with pytest.raises(DisclosureAuditError, match=r"districts/D002\.html: 1 student identifier\(s\), e.g. ST0001"):
        audit_release(site, data_dir)


def test_audit_release_lists_every_offending_file(site, data_dir):
    write(site / "a.html", "ST0001")
    write(site / "b.md", "column student_id")
    with pytest.raises(DisclosureAuditError) as caught:
        audit_release(site, data_dir)
    message = str(caught.value)
    assert "a.html: 1 student identifier(s), e.g. ST0001" in message
    assert "b.md: row-level field name 'student_id'" in message
    assert "index.html" not in message


def test_a_students_full_name_is_found_but_a_surname_alone_is_a_word(tmp_path, site):
    data = write(tmp_path / "named" / "students.csv", "student_id,first_name,last_name\nST0009,Maria,White\n").parent
    tokens, names = student_identifiers(data)
    assert tokens == {"ST0009"} and names == {"maria white"}
    write(site / "groups.html", "<p>White students scored 12 points above</p>")
    assert scan_site(site, tokens, names) == []
    write(site / "leak.html", "<p>Maria   White, grade 5</p>")
    assert scan_site(site, tokens, names) == ["leak.html: 1 student name(s), e.g. maria white"]


def test_an_identifier_joined_to_a_word_is_found_in_any_text_file(site, data_dir):
    write(site / "notes" / "extract.ipynb", '{"source": ["report_ST0001 and ST0002-final"]}')
    write(site / "README", "see S001")
    assert scan_site(site, *student_identifiers(data_dir)) == [
        "README: 1 student identifier(s), e.g. S001",
        "notes/extract.ipynb: 2 student identifier(s), e.g. ST0001",
    ]


def test_missing_values_of_a_parquet_students_file_are_not_identifiers(tmp_path):
    pd.DataFrame({"student_id": ["ST1", None], "birth_date": [None, "2010-01-02"], "first_name": ["Ada", None], "last_name": ["Ng", "Li"]}).to_parquet(tmp_path / "students.parquet")
    tokens, names = student_identifiers(tmp_path)
    assert tokens == {"ST1", "2010-01-02"} and names == {"ada ng"}


def test_a_published_percentage_that_is_not_rounded_or_pins_a_few_students_stops_the_audit(tmp_path):
    from pathlib import PurePosixPath

    from districtstat.privacy.audit import percentages_giving_counts
    from districtstat.site.downloads import published_table

    text = "Group,Students tested,% proficient\nA,838,16\nB,838,15.99\nC,100,5\nD,100,<10\nE,*,*\n"
    path = PurePosixPath("downloads/results.csv")
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(text, encoding="utf-8")
    table = published_table(path, PurePosixPath("results.ipynb"), text, {"caption": "Results", "percents": {"% proficient": "Students tested"}})
    problems = percentages_giving_counts(tmp_path, [table], 10)
    assert len(problems) == 2, problems
    assert "line 3" in problems[0] and "15.99% of 838 students is not rounded" in problems[0], "15.99% of 838 is 134 students exactly"
    assert "line 4" in problems[1] and "5% of 100 students puts 2.5 to 7.5 students in its category" in problems[1]


def test_the_audit_finds_a_set_of_hidden_groups_that_lost_one_student_since_the_previous_release():
    from districtstat.privacy.audit import recoverable
    from districtstat.privacy.disclosure import count_key

    key = lambda group: count_key("tested", "D10", 2024, "MATH", "ALL", group)  # noqa: E731
    truth = {("D10", "2024", "MATH", "ALL"): {"ALL": 432.0, "RACE_WH": 386.0, "RACE_HI": 19.0, "RACE_TW": 13.0, "RACE_AS": 8.0, "RACE_BL": 6.0}}
    before = {key("ALL"): 453.0, key("RACE_WH"): 396.0, key("RACE_HI"): 29.0, key("RACE_TW"): 13.0, key("RACE_AS"): None, key("RACE_BL"): None}
    now = {key("ALL"): 432.0, key("RACE_WH"): 386.0, key("RACE_HI"): 19.0, key("RACE_TW"): 13.0, key("RACE_AS"): None, key("RACE_BL"): None}
    found = recoverable(now, truth, 5, previous=before, min_n=10)
    assert any("RACE_AS + RACE_BL changed by between -1 and -1" in how for _, how in found), found
    assert recoverable(before, {("D10", "2024", "MATH", "ALL"): {"ALL": 453.0, "RACE_WH": 396.0, "RACE_HI": 29.0, "RACE_TW": 13.0, "RACE_AS": 9.0, "RACE_BL": 6.0}}, 5, previous=before, min_n=10) == []


def test_tokens_are_what_the_token_and_word_patterns_find():
    """The audit splits texts by translation tables; the patterns they stand for are the reference."""
    import re

    from districtstat.privacy.audit import TOKEN_BYTES, WORD_BYTES, tokens

    text = "S-0012_a, 2012-05-01 é S0013é ünïcode_ok x\u00a0y\tz İstanbul K\u212a 12345\n«S0014»"
    expected = set(re.findall(r"[A-Za-z0-9_-]+", text)) | set(re.findall(r"[A-Za-z0-9]+", text))
    assert tokens(text, TOKEN_BYTES, WORD_BYTES) == {token.encode() for token in expected}
    lowered = text.lower()
    assert lowered.encode("ascii", "replace").translate(TOKEN_BYTES).split() == [word.encode() for word in re.findall(r"[A-Za-z0-9_-]+", lowered)]
