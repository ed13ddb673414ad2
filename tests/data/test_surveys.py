"""Topic surveys (StatNet): the declaration, the fill-in files, the answers validated like every input, the compiled
table, disclosure control of a count of students, what changed between releases, and the topic page."""

import csv
import io
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from districtstat.data import surveys
from districtstat.analyses import topics
from districtstat.site.charts import svg_markup
from districtstat.cli import main
from districtstat.config import ParamsError, Survey, load_project, parse_settings
from districtstat.privacy.disclosure import SUPPRESSED, Relation, attacker_bounds, count_key, read_student_counts
from districtstat.pipeline import fingerprint, prepare, validate
from districtstat.report import Release
from helpers import ROOT, make_project

ANSWERS = "data/synthetic/surveys/transportation"
TEMPLATE = """question_id,question,answer_type,allowed_answers,required,answer
bus_riders,How many students ride district buses on a typical school day?,whole number (students),"0 to 100,000",yes,
late_routes,What share of your bus routes ran late at least once a week this school year?,number (%),0 to 100,yes,
gps_tracking,Does every bus have GPS tracking that dispatch can see live?,yes or no,"yes, no",yes,
route_planning,"How do you mainly plan bus routes: by hand, with routing software, or through a contractor?",one code from the list,"manual, software, contractor",yes,
what_helped,What has done most to reduce late arrivals in your district?,short text,one or two sentences,no,
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("surveys")
    return root, make_project(root, students=3000)


@pytest.fixture
def copy(project, tmp_path):
    """The module's project copied, to change its answers."""
    root, _ = project
    shutil.copytree(root, tmp_path / "p", ignore=shutil.ignore_patterns("build", "site", "templates"))
    return tmp_path / "p", tmp_path / "p" / "params" / "test.yml"


@pytest.fixture(scope="module")
def release(project):
    _, params = project
    built = load_project(params)
    prepare(built)
    return Release(built)


def set_answer(path, question_id: str, answer: str) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows:
        if row[0] == question_id:
            row[-1] = answer
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def question(topic_id: str, question_id: str):
    survey = next(t for t in load_project(ROOT / "params" / "synthetic.yml").settings.topics if t.id == topic_id).survey
    return next(q for q in survey.questions if q.id == question_id)


# ------------------------------------------------------------------ the declaration

SURVEY = "title: T\ndataset: synthetic\ndata_dir: d\nrelease: r1\ntopics:\n  - id: buses\n    title: Buses\n    indicators: [BUS_ON_TIME_PCT]\n    survey:\n      questions:\n"
WHERE = "params/x.yml: topics.0.survey.questions"


@pytest.mark.parametrize(
    "questions, message",
    [
        ("- {id: Late-Routes, text: x, type: text}", f"{WHERE}.0.id: Value error, must be lower-case letters, digits and '_', starting with a letter, such as late_routes (got 'Late-Routes')"),
        ("- {id: riders, text: x, type: number}", f"{WHERE}.0.unit: Value error, a number question needs its unit, such as students, routes or % (got None)"),
        ("- {id: gps, text: x, type: yes_no, unit: buses}", f"{WHERE}.0.unit: Value error, only for number questions, and this question's type is yes_no (got 'buses')"),
        ("- {id: plan, text: x, type: code}", f"{WHERE}.0.codes: Value error, a code question needs its codes, the answers allowed, such as [manual, software, contractor] (got None)"),
        ("- {id: plan, text: x, type: text, codes: [a, b]}", f"{WHERE}.0.codes: Value error, only for code questions, and this question's type is text (got ['a', 'b'])"),
        ("- {id: plan, text: x, type: code, codes: [a, a]}", f"{WHERE}.0.codes: Value error, code(s) a listed more than once (got ['a', 'a'])"),
        ("- {id: plan, text: x, type: code, codes: [a, 'b, c']}", f"{WHERE}.0.codes: Value error, a code may not be empty, hold a comma, or start or end with a space: ['b, c'] (got ['a', 'b, c'])"),
        ("- {id: late, text: x, type: number, unit: '%', minimum: 50, maximum: 10}", f"{WHERE}.0.maximum: Value error, must not be below the minimum (50) (got 10)"),
        ("- {id: riders, text: x, type: text, counts_students: true}", f"{WHERE}.0.counts_students: Value error, only for number questions, and this question's type is text (got True)"),
        ("- {id: riders, text: x, type: number, unit: students, maximum: 99.5, counts_students: true}", f"{WHERE}.0.counts_students: Value error, a count of students is a whole number of 0 or more, but the question has maximum 99.5 (got True)"),
        ("- {id: gps, text: x, type: yes_no, better: higher}", f"{WHERE}.0.better: Value error, only for number questions, and this question's type is yes_no (got 'higher')"),
        ("- {id: gps, text: x, type: boolean}", f"{WHERE}.0.type: Input should be 'number', 'yes_no', 'code' or 'text' (got 'boolean')"),
        ("- {id: gps, text: x, type: yes_no, optional: true}", f"{WHERE}.0.optional: unknown key"),
        ("- {id: gps, text: x, type: yes_no}\n        - {id: gps, text: y, type: text}", f"{WHERE}: Value error, question id(s) gps used more than once (got [{{'id': 'gps', 'text': 'x', 'type': 'yes_no'}}, {{'id': 'gps', 'text': 'y', 'type': 'text'}}])"),
    ],
    ids=lambda value: value[:40],
)
def test_a_survey_declaration_is_checked_and_each_mistake_named_by_its_key(questions, message):
    with pytest.raises(ParamsError) as caught:
        parse_settings(SURVEY + "        " + questions + "\n", "params/x.yml")
    assert str(caught.value) == message


def test_the_example_consortium_declares_the_survey_its_example_answers_answer():
    settings = load_project(ROOT / "params" / "synthetic.yml").settings
    (topic,) = surveys.surveyed(settings)
    assert topic.id == surveys.EXAMPLE_TOPIC and topic.survey == Survey.model_validate(surveys.example_survey())
    assert str(topic.survey) == "5 questions: bus_riders (students), late_routes (%), gps_tracking (yes or no), route_planning (one of a set of codes), what_helped (short text)"


def test_the_generated_contract_has_a_field_per_question_with_its_type_range_and_codes():
    topic = next(t for t in load_project(ROOT / "params" / "synthetic.yml").settings.topics if t.survey)
    contract = surveys.survey_contract(topic)
    fields = {field.name: field for field in contract.fields}
    assert list(fields) == ["district_id", "bus_riders", "late_routes", "gps_tracking", "route_planning", "what_helped"]
    assert (fields["bus_riders"].type, fields["bus_riders"].constraints.minimum, fields["bus_riders"].constraints.maximum) == ("integer", 0, 100000)
    assert (fields["late_routes"].type, fields["late_routes"].constraints.maximum) == ("number", 100)
    assert fields["gps_tracking"].constraints.enum == ["yes", "no"] and fields["route_planning"].constraints.enum == ["manual", "software", "contractor"]
    assert [name for name, field in fields.items() if field.constraints.required] == ["district_id", "bus_riders", "late_routes", "gps_tracking", "route_planning"]
    assert contract.foreign_keys[0].reference.resource == "districts"


# ------------------------------------------------------------------ fill-in files


def test_survey_template_writes_a_csv_and_an_xlsx_per_district(project, tmp_path, capsys):
    _, params = project
    assert main(["survey", "template", "transportation", "--params", str(params), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "wrote 14 fill-in files for 'Transportation' (5 questions), each as CSV and XLSX" in err
    assert "data/synthetic/surveys/transportation/ (one per district)" in err and "D01.csv or D01.xlsx" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f"D{n:02d}.{suffix}" for n in range(1, 15) for suffix in ("csv", "xlsx"))
    assert (tmp_path / "out" / "D03.csv").read_text(encoding="utf-8") == TEMPLATE
    book = load_workbook(tmp_path / "out" / "D03.xlsx")
    sheet = book["Answers"]
    assert [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)] == list(csv.reader(io.StringIO(TEMPLATE)))
    checks = {str(check.sqref): (check.type, check.operator, check.formula1, check.formula2) for check in sheet.data_validations.dataValidation}
    assert checks == {
        "F2": ("whole", "between", "0", "100000"),
        "F3": ("decimal", "between", "0", "100"),
        "F4": ("list", None, '"yes,no"', None),
        "F5": ("list", None, '"manual,software,contractor"', None),
    }
    assert "District: Riverbend City Schools (D03)" in [cell.value for cell in book["How to fill in"]["A"]]


def test_survey_template_defaults_to_the_answer_folder_and_says_what_it_cannot_do(copy, capsys):
    root, params = copy
    assert main(["survey", "template", "transportation", "--params", str(params), "--district", "D05", "D09"]) == 0
    assert sorted(p.name for p in (root / ANSWERS / "templates").iterdir()) == ["D05.csv", "D05.xlsx", "D09.csv", "D09.xlsx"]
    assert validate(load_project(params)).ok, "the templates folder is not an answer"
    capsys.readouterr()
    assert main(["survey", "template", "buses", "--params", str(params)]) == 2
    assert main(["survey", "template", "transportation", "--params", str(params), "--district", "D99"]) == 2
    err = capsys.readouterr().err
    assert "no topic 'buses' in params/test.yml; its topics are: transportation" in err
    assert "no district D99 in data/synthetic/districts.csv" in err


def test_a_returned_xlsx_is_read_like_a_csv_percentages_and_codes_as_written(copy):
    root, params = copy
    surveys.write_templates(load_project(params), load_project(params).settings.topics[0], root / "t", ["D05"])
    book = load_workbook(root / "t" / "D05.xlsx")
    sheet = book["Answers"]
    for line, answer in zip(range(2, 7), [1250, 0.125, True, "Software", "GPS alerts to parents"]):
        sheet.cell(line, 6).value = answer
    sheet.cell(3, 6).number_format = "0.0%"  # a spreadsheet keeps 12.5% as 0.125
    book.save(root / ANSWERS / "D05.xlsx")
    report = validate(load_project(params))
    assert report.ok, report.lines()
    answers = report.tables["survey_answers"]
    mine = answers[answers["district_id"] == "D05"].set_index("question_id")
    assert mine["answer"].tolist() == ["1250", "12.5", "yes", "software", "GPS alerts to parents"]
    assert mine.loc["late_routes", "value"] == 12.5


# ------------------------------------------------------------------ validation


def test_one_invalid_answer_stops_validate_and_build_with_its_file_line_column_and_rule(copy, capsys, monkeypatch):
    root, _ = copy
    set_answer(root / ANSWERS / "D04.csv", "late_routes", "140")
    monkeypatch.chdir(root)
    assert main(["validate", "--params", "params/test.yml"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "data/synthetic/surveys/transportation/D04.csv:3: answer[late_routes]: maximum 100 (140)",
        "1 problem in 1 file",
    ]
    assert main(["build", "--params", "params/test.yml", "--quiet", "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert "data/synthetic/surveys/transportation/D04.csv:3: answer[late_routes]: maximum 100 (140)" in err
    assert "build stopped: the data fail their contracts; nothing was published" in err


def test_every_kind_of_answer_problem_is_named_by_file_line_column_and_rule(copy):
    root, params = copy
    folder = root / ANSWERS
    set_answer(folder / "D01.csv", "bus_riders", "lots")
    set_answer(folder / "D01.csv", "gps_tracking", "Maybe")
    set_answer(folder / "D02.csv", "route_planning", " Software ")  # spaces and case are forgiven
    set_answer(folder / "D02.csv", "bus_riders", "1,204")  # and a thousands separator
    set_answer(folder / "D07.csv", "gps_tracking", "")
    set_answer(folder / "D03.csv", "what_helped", "x")
    (folder / "D03.csv").write_text((folder / "D03.csv").read_text().replace("what_helped,", "what_helps,"))
    lines = (folder / "D10.csv").read_text().splitlines()
    (folder / "D10.csv").write_text("\n".join([*lines, lines[2]]) + "\n")
    lines = (folder / "D11.csv").read_text().splitlines()
    (folder / "D11.csv").write_text("\n".join([lines[0], *lines[2:]]) + "\n")
    (folder / "D12.csv").write_text((folder / "D12.csv").read_text().replace(",answer\n", ",reply\n"))
    shutil.copy(folder / "D14.csv", folder / "D99.csv")
    shutil.copy(folder / "D14.csv", folder / "D14 (1).csv")
    shutil.copy(folder / "D14.csv", folder / "D14.xlsx")
    (folder / "D05.xls").write_bytes(b"x")
    (folder / "D09.xlsx").write_bytes(b"not a workbook")
    (folder / "D08.csv").write_bytes((folder / "D08.csv").read_bytes().replace(b"yes,", b"y\xe9s,", 1))
    (folder / ".~lock.D04.csv#").write_text("ignored")
    shown = [line.removeprefix(ANSWERS + "/") for line in validate(load_project(params)).lines(cap=10)]
    assert shown == [
        "D01.csv:2: answer[bus_riders]: type (integer) (lots)",
        "D01.csv:4: answer[gps_tracking]: not one of yes, no (Maybe)",
        "D03.csv:6: question_id: not one of bus_riders, late_routes, gps_tracking, route_planning, what_helped (what_helps)",
        "D05.xls: not an answer file: save each district's answers as <district_id>.csv or <district_id>.xlsx",
        "D07.csv:4: answer[gps_tracking]: required",
        "D08.csv:2: not UTF-8 (byte 0xE9)",
        "D09.xlsx: cannot read as XLSX (File is not a zip file)",
        "D10.csv:7: question_id: listed twice, first on line 3 (late_routes)",
        "D11.csv: question_id: missing required question (bus_riders)",
        "D12.csv:1: answer: missing required column",
        "D12.csv:1: reply: unknown column",
        "D14 (1).csv: file name is not a district id: name each file by its district, such as D01.csv",
        "D14.xlsx: second file for district 'D14' (data/synthetic/surveys/transportation/D14.csv)",
        "D99.csv: district_id: foreign key -> districts.district_id (D99)",
        "14 problems in 12 files",
    ]


def test_no_answer_folder_means_nobody_answered_yet(copy, capsys):
    root, params = copy
    shutil.rmtree(root / ANSWERS)
    report = validate(load_project(params))
    assert report.ok and report.tables["survey_answers"].empty
    assert main(["validate", "--params", str(params)]) == 0
    assert "survey transportation: 0 of 14 districts answered; not answered yet: D01, D02" in capsys.readouterr().err


def test_a_changed_answer_changes_the_data_hash_and_a_template_does_not(copy):
    root, params = copy
    before = fingerprint(load_project(params)).data
    (root / ANSWERS / "templates").mkdir()
    (root / ANSWERS / "templates" / "D05.csv").write_text(TEMPLATE)
    assert fingerprint(load_project(params)).data == before
    set_answer(root / ANSWERS / "D04.csv", "late_routes", "21.0")
    assert fingerprint(load_project(params)).data != before


# ------------------------------------------------------------------ the compiled table


def test_the_answers_are_one_table_a_row_per_answering_district_and_question(release):
    answers = release.table("survey_answers")
    assert list(answers.columns) == ["topic_id", "district_id", "question_id", "answer", "value", "kept_hidden"]
    assert sorted(answers["district_id"].unique()) == ["D01", "D02", "D03", "D04", "D06", "D07", "D08", "D10", "D11", "D12", "D14"]
    assert len(answers) == 11 * 5 and (answers["topic_id"] == "transportation").all()
    by = answers.set_index(["district_id", "question_id"])
    assert by.loc[("D06", "bus_riders"), "value"] == 7 and by.loc[("D06", "bus_riders"), "answer"] == "7"
    assert pd.isna(by.loc[("D02", "what_helped"), "answer"]), "the blank optional answer is kept as blank"
    assert by.loc[("D01", "gps_tracking"), "answer"] in ("yes", "no") and pd.isna(by.loc[("D01", "gps_tracking"), "value"])
    numbers = answers[answers["question_id"].isin(["bus_riders", "late_routes"])]
    assert numbers["value"].notna().all() and (numbers["answer"].astype(float) == numbers["value"]).all()


# ------------------------------------------------------------------ disclosure


def riders_measure(release):
    (chosen,) = [m for m in topics.survey_measures(topics.topic(release, "transportation")) if m.question.id == "bus_riders"]
    return chosen


def test_a_count_of_students_under_min_n_is_hidden_everywhere_the_page_could_show_it(release):
    chosen = riders_measure(release)
    table = topics.topic_table(release, chosen)
    shown = table.display_frame()
    row = shown.iloc[table.districts.index("D06")]
    assert row[["value", "share", "rank"]].tolist() == [SUPPRESSED] * 3 and row["enrollment"] >= release.min_n
    assert table.districts[-1] == "D06", "a hidden count comes last, so its place in the order tells nothing"
    ranks = shown["rank"][shown["rank"] != SUPPRESSED].astype(float)
    assert sorted(ranks) == list(range(1, len(ranks) + 1)), "no gap in the ranks where it would sit"
    assert table.published_keys(topics.table_labels(chosen))["Students riding district buses"][-1] == count_key("survey:transportation:bus_riders", "D06", release.latest_year)
    markup = svg_markup(*topics.topic_chart(release, chosen))
    assert 'id="topic-survey-transportation-bus_riders-D06"' not in markup and ": 7 students<" not in markup
    others = release.table("survey_answers").query("question_id == 'bus_riders' and district_id != 'D06'")["value"]
    assert f"median is {others.median():,.0f} students" in markup, "the median is of the shown answers only"
    published = surveys.published_answers(release).set_index(["district_id", "question_id"])["answer_shown"]
    assert published[("D06", "bus_riders")] == SUPPRESSED and published[("D06", "late_routes")] != SUPPRESSED


def test_an_attacker_who_reads_the_page_cannot_narrow_the_hidden_count(release):
    """What the page shows about D06's students: its enrollment, and that riders and other students make all of them.
    The hidden count can lie anywhere from 0 to the enrollment, far wider than the protection margin."""
    table = topics.topic_table(release, riders_measure(release))
    row = table.display_frame().iloc[table.districts.index("D06")]
    shown = {"enrolled": float(row["enrollment"])}
    low, high = attacker_bounds(shown, ["riders"], [Relation("enrolled", ("riders", "others"))])["riders"]
    assert (low, high) == (0, row["enrollment"]) and high - low >= release.project.settings.margin


def test_a_count_is_hidden_when_the_districts_other_students_are_few_or_the_last_release_says_so(release):
    topic = topics.topic(release, "transportation")
    riders = next(q for q in topic.survey.questions if q.id == "bus_riders")
    enrolled = release.latest_indicators.set_index("district_id")["enrollment"]
    answers = pd.DataFrame(
        {
            "district_id": ["D01", "D02", "D03", "D04"],
            "value": [enrolled["D01"] - 4, enrolled["D02"] - 10, 0, 500],
            "kept_hidden": [False, False, False, True],
        }
    )
    assert surveys.hidden_student_counts(release, topic, riders, answers).tolist() == [True, False, False, True]
    previous = {count_key("survey:transportation:bus_riders", "D01", 2024): 500.0, count_key("survey:transportation:bus_riders", "D02", 2024): None}
    table = pd.DataFrame({"topic_id": "transportation", "district_id": ["D01", "D02", "D03", "D01"], "question_id": ["bus_riders"] * 3 + ["late_routes"], "value": [503.0, 900.0, 512.0, 12.0], "kept_hidden": False})
    marked = surveys.mark_kept_hidden(table, release.project.settings, 2024, previous, 10)
    assert marked["kept_hidden"].tolist() == [True, True, False, False], "moved by 3 students; hidden last time; not published before; not a count"


def test_the_built_release_lists_the_survey_count_with_every_student_count(built):
    root, _ = built
    counts = read_student_counts(root / "site" / "r1" / "downloads" / "student_counts.csv")
    riders = {key.split("/")[1]: value for key, value in counts.items() if key.startswith("survey:transportation:bus_riders/")}
    assert riders["D06"] is None and len(riders) == 11
    assert all(value is None or value >= 10 for value in riders.values())


# ------------------------------------------------------------------ what changed


def test_answer_changes_lists_new_changed_and_withdrawn_answers_and_compares_only_what_both_published():
    def published(rows):
        frame = pd.DataFrame(rows, columns=["district_id", "question_id", "answer_shown"])
        names = {"D01": "Harbor City", "D02": "Cedar Falls", "D03": "Riverbend", "D10": "Pine Hollow"}
        questions = {"bus_riders": "Students riding district buses", "gps_tracking": "GPS on every bus", "seat_belts": "Seat belts"}
        return frame.assign(topic_id="transportation", district_name=frame["district_id"].map(names), question=frame["question_id"].map(questions))

    before = published(
        [
            ["D01", "bus_riders", "1,269 students"],
            ["D01", "gps_tracking", "yes"],
            ["D02", "bus_riders", SUPPRESSED],
            ["D02", "gps_tracking", "no"],
            ["D03", "gps_tracking", "no"],
            ["D10", "gps_tracking", ""],
        ]
    )
    after = published(
        [
            ["D01", "bus_riders", "1,301 students"],
            ["D01", "gps_tracking", "yes"],
            ["D02", "bus_riders", "14 students"],
            ["D02", "gps_tracking", "yes"],
            ["D10", "gps_tracking", "no"],
            ["D10", "seat_belts", "yes"],
        ]
    )
    changes = surveys.answer_changes(before, after)
    assert list(changes.columns) == ["topic_id", "district_id", "district_name", "question_id", "question", "before", "after", "change"]
    assert changes[["district_id", "question_id", "before", "after", "change"]].values.tolist() == [
        ["D01", "bus_riders", "1,269 students", "1,301 students", "changed"],
        ["D02", "gps_tracking", "no", "yes", "changed"],
        ["D03", "gps_tracking", "no", "", "no longer published"],
        ["D10", "gps_tracking", "", "no", "new answer"],
    ]
    assert changes.loc[0, "district_name"] == "Harbor City" and changes.loc[0, "question"] == "Students riding district buses"
    assert surveys.answer_changes(after, after).empty


# ------------------------------------------------------------------ the topic page


def test_the_topic_page_compiles_the_answers_beside_the_shared_data(built):
    root, params = built
    html = (root / "site" / "r1" / "topics" / "transportation.html").read_text(encoding="utf-8")
    assert "Survey: Transportation" in html and "11 of 14 districts answered" in html
    assert "Not answered yet</strong> (3): Granite Ridge Unified, Eastport School District and Lakeshore Heights Public Schools." in html
    assert "not checked against" in html
    for district in ("D01", "D14"):
        assert f'id="topic-survey-transportation-late_routes-{district}"' in html and f'id="topic-survey-transportation-bus_riders-{district}"' in html
    assert "Routes late at least once a week: each district&#x27;s answer, as reported" in html or "Routes late at least once a week: each district's answer, as reported" in html
    assert "Districts per answer, of the 11 districts that answered (districts, not students)" in html
    shown = surveys.published_answers(Release(load_project(params)))
    gps = shown.loc[shown["question_id"] == "gps_tracking", "answer_shown"]
    yes, no = int((gps == "yes").sum()), int((gps == "no").sum())
    assert yes + no == 11 and f"yes: {yes} district{'' if yes == 1 else 's'}; no: {no} district{'' if no == 1 else 's'}." in html
    assert "“Staggered bell times at the two middle schools freed four buses for the elementary runs.”" in html
    assert "Left blank by Cedar Falls Unified." in html
    published = surveys.published_answers(Release(load_project(params)))
    assert len(published) == 55 and list(published.columns) == ["topic_id", "district_id", "district_name", "question_id", "question", "answer_shown"]
    assert published.set_index(["district_id", "question_id"]).loc[("D02", "what_helped"), "answer_shown"] == ""


def test_the_data_quality_page_lists_who_answered_each_survey(built):
    root, _ = built
    page = (root / "site" / "r1" / "data-quality.html").read_text(encoding="utf-8")
    section = page[page.rindex("Survey answers"):]
    row = next(row for row in section.split("<tr") if "transportation" in row)
    assert ">11<" in row and "D05, D09, D13" in row


def test_two_releases_without_answers_have_no_answer_changes():
    nothing = pd.DataFrame(columns=surveys.PUBLISHED_COLUMNS)
    moves = surveys.answer_changes(nothing, nothing)
    assert moves.empty and {"district_id", "question", "before", "after", "change"} <= set(moves.columns)

