"""Topic surveys (StatNet): the questions a topic asks every district, their fill-in files, and the answers.

A topic in params may declare a survey (`config.Survey`). `districtstat survey template TOPIC` writes one fill-in
file per district (CSV, and XLSX with drop-downs); each district returns its file, named by its district id, into
`<data_dir>/surveys/<topic>/`: one row per question, the district filling in the `answer` column.

The answers are checked like every input. The survey declaration becomes a data contract (`survey_contract`: a
field per question, with its type, range, codes and whether it is required), and each answer cell is checked
against its question's field by the contracts module's own typing and pandera checks, so a problem reads as any
other input's: `data/synthetic/surveys/transportation/D04.csv:3: answer[late_routes]: maximum 100 (140)`. The
column is the file's `answer` column, with the question in brackets.

Answers become the table `survey_answers` (topic_id, district_id, question_id, answer, value). A number that counts
students is published only where it passes the rules for every student count (`hidden_student_counts`).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from districtstat.config import Project, Question, Settings, Topic
from districtstat.data.contracts import Contract, DataFileError, Failure, ValidationReport, read_raw

SURVEYS_FOLDER = "surveys"
TEMPLATES_FOLDER = "templates"
ANSWER_SUFFIXES = (".csv", ".xlsx")
ANSWERS_SHEET = "Answers"
TEMPLATE_COLUMNS = ["question_id", "question", "answer_type", "allowed_answers", "required", "answer"]
REQUIRED_COLUMNS = ("question_id", "answer")
DISTRICT_ID = re.compile(r"^[A-Za-z0-9_-]{1,20}$")  # the districts contract's pattern
TABLE_COLUMNS = ["topic_id", "district_id", "question_id", "answer", "value", "kept_hidden"]
FAILURE_COLUMNS = ["file", "line", "column", "rule", "value"]
YES_NO = ["yes", "no"]


def surveyed(settings: Settings) -> list[Topic]:
    """The topics that ask districts a survey."""
    return [topic for topic in settings.topics if topic.survey is not None]


def answers_folder(project: Project, topic_id: str) -> Path:
    return project.data_dir / SURVEYS_FOLDER / topic_id


def answer_files(project: Project) -> list[Path]:
    """Every file in the answer folders of the topics with a survey: what the answers' data hash covers."""
    found = []
    for topic in surveyed(project.settings):
        folder = answers_folder(project, topic.id)
        if folder.is_dir():
            found += [path for path in folder.iterdir() if path.is_file() and not skipped(path)]
    return sorted(found)


def skipped(path: Path) -> bool:
    """Hidden files and the lock files a spreadsheet program leaves beside an open file."""
    return path.name.startswith((".", "~$"))


def answer_column(question: Question | str) -> str:
    """How a failure names an answer: the file's `answer` column, with the question it answers."""
    return f"answer[{question if isinstance(question, str) else question.id}]"


# ------------------------------------------------------------------ the contract


def question_field(question: Question) -> dict:
    """One question as a Table Schema field (as YAML would write it)."""
    constraints: dict = {"required": question.required}
    if question.type == "number":
        kind = "integer" if question.counts_students else "number"
        minimum = 0 if question.counts_students and question.minimum is None else question.minimum
        constraints |= {key: value for key, value in (("minimum", minimum), ("maximum", question.maximum)) if value is not None}
    elif question.type == "yes_no":
        kind, constraints["enum"] = "string", YES_NO
    elif question.type == "code":
        kind, constraints["enum"] = "string", list(question.codes or [])
    else:
        kind = "string"
    return {"name": question.id, "title": question.name, "description": question.text, "type": kind, "constraints": constraints}


def survey_contract(topic: Topic) -> Contract:
    """The survey as a data contract: one row per district, one field per question."""
    district = {"name": "district_id", "type": "string", "constraints": {"required": True, "pattern": DISTRICT_ID.pattern[1:-1]}}
    return Contract.model_validate(
        {
            "name": f"survey_{topic.id.replace('-', '_')}",
            "title": f"Survey: {topic.title}",
            "description": "Each district's answers, one file per district, one row per question (see data_contracts/README.md).",
            "fields": [district, *(question_field(q) for q in topic.survey.questions)],
            "primaryKey": ["district_id"],
            "foreignKeys": [{"fields": ["district_id"], "reference": {"resource": "districts", "fields": ["district_id"]}}],
            "missingValues": [""],
        }
    )


# ------------------------------------------------------------------ fill-in files


def number_text(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def answer_type(question: Question) -> str:
    if question.type == "number":
        whole = "whole number" if question.counts_students else "number"
        return f"{whole} ({question.unit})"
    return {"yes_no": "yes or no", "code": "one code from the list", "text": "short text"}[question.type]


def allowed_answers(question: Question) -> str:
    if question.type == "number":
        low = 0 if question.counts_students and question.minimum is None else question.minimum
        high = question.maximum
        if low is not None and high is not None:
            return f"{number_text(low)} to {number_text(high)}"
        if low is not None:
            return f"{number_text(low)} or more"
        return f"up to {number_text(high)}" if high is not None else "any number"
    if question.type == "yes_no":
        return ", ".join(YES_NO)
    if question.type == "code":
        return ", ".join(question.codes or [])
    return "one or two sentences"


def template_rows(topic: Topic) -> list[list[str]]:
    return [
        [q.id, q.text, answer_type(q), allowed_answers(q), "yes" if q.required else "no", ""]
        for q in topic.survey.questions
    ]


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv_template(path: Path, topic: Topic) -> Path:
    path.write_text(csv_text(template_rows(topic)), encoding="utf-8")
    return path


def write_xlsx_template(path: Path, topic: Topic, district_id: str, district_name: str, return_to: str) -> Path:
    """The same file as a workbook: an Answers sheet (the one read back) with a drop-down or a range check on each
    answer cell, and a sheet saying what to do."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = ANSWERS_SHEET
    sheet.append(TEMPLATE_COLUMNS)
    for row in template_rows(topic):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEF", (18, 60, 24, 34, 10, 40)):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        row[-1].fill = PatternFill("solid", fgColor="FFF2CC")
    sheet.freeze_panes = "A2"
    for line, question in enumerate(topic.survey.questions, start=2):
        check = answer_check(question)
        if check is not None:
            sheet.add_data_validation(check)
            check.add(f"F{line}")
    about = book.create_sheet("How to fill in")
    for text in (
        f"Survey: {topic.title}",
        f"District: {district_name} ({district_id})",
        "",
        "Write each answer in the yellow answer column of the Answers sheet; leave the other columns as they are.",
        "Questions marked required must be answered; you may leave the others blank.",
        f"Return this file as {district_id}.xlsx (or saved as {district_id}.csv) to be placed in {return_to}.",
    ):
        about.append([text])
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 110
    book.properties.creator = "districtstat"
    book.save(path)
    return path


def answer_check(question: Question):
    """The spreadsheet's own check of an answer cell: a drop-down of the allowed answers, or the number's range."""
    from openpyxl.worksheet.datavalidation import DataValidation

    if question.type in ("yes_no", "code"):
        choices = YES_NO if question.type == "yes_no" else question.codes
        return DataValidation(
            type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True, showErrorMessage=True, showInputMessage=True,
            errorTitle="Not an allowed answer", error=f"Choose one of: {', '.join(choices)}", prompt=f"Choose one of: {', '.join(choices)}",
        )
    if question.type != "number":
        return None
    low = 0 if question.counts_students and question.minimum is None else question.minimum
    high = question.maximum
    if low is None and high is None:
        return None
    operator, first, second = ("between", low, high) if low is not None and high is not None else ("greaterThanOrEqual", low, None) if low is not None else ("lessThanOrEqual", high, None)
    return DataValidation(
        type="whole" if question.counts_students else "decimal", operator=operator, formula1=str(first), formula2=None if second is None else str(second),
        allow_blank=True, showErrorMessage=True, showInputMessage=True, errorTitle="Out of range", error=allowed_answers(question), prompt=f"{answer_type(question)}: {allowed_answers(question)}",
    )


def district_names(project: Project) -> dict[str, str]:
    """The consortium's districts, id to name, as its districts file lists them."""
    for suffix in (".csv", ".parquet"):
        path = project.data_dir / f"districts{suffix}"
        if path.is_file():
            frame = read_raw(path, display=project.relative(path))
            return dict(zip(frame["district_id"], frame["district_name"]))
    raise FileNotFoundError(f"{project.relative(project.data_dir)}: no districts.csv, so no district to write a fill-in file for")


def write_templates(project: Project, topic: Topic, out: Path, only: Iterable[str] | None = None, xlsx: bool = True) -> list[Path]:
    """One fill-in file per district (CSV, and XLSX), into `out`; `only` restricts them to some districts."""
    names = district_names(project)
    chosen = list(only) if only else sorted(names)
    unknown = [district for district in chosen if district not in names]
    if unknown:
        from districtstat.config import UsageError

        raise UsageError(f"no district {', '.join(unknown)} in {project.relative(project.data_dir)}/districts.csv")
    out.mkdir(parents=True, exist_ok=True)
    return_to = project.relative(answers_folder(project, topic.id)) + "/"
    written = []
    for district in chosen:
        written.append(write_csv_template(out / f"{district}.csv", topic))
        if xlsx:
            written.append(write_xlsx_template(out / f"{district}.xlsx", topic, district, names[district], return_to))
    return written


# ------------------------------------------------------------------ reading an answer file


def cell_text(value: object, number_format: str | None = None) -> str:
    """A spreadsheet cell as the text a CSV would hold; a number shown as a percentage (a spreadsheet stores 12.5% as
    0.125) as the percentage."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and "%" in (number_format or ""):
        return f"{value * 100:.10g}"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 and getattr(value, "minute", 0) == 0 else value.isoformat()
    return str(value)


def read_xlsx(path: Path, shown: str) -> pd.DataFrame:
    """The Answers sheet (else the first) as text, indexed by its row number: the line a failure names."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as error:
        raise DataFileError([Failure(shown, None, None, "cannot read as XLSX", str(error).splitlines()[0] if str(error) else type(error).__name__)]) from None
    try:
        sheet = book[ANSWERS_SHEET] if ANSWERS_SHEET in book.sheetnames else book.worksheets[0]
        rows = [[cell_text(cell.value, getattr(cell, "number_format", None)) for cell in row] for row in sheet.iter_rows()]
    finally:
        book.close()
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise DataFileError([Failure(shown, None, None, "file is empty", None)])
    header = rows[0]
    while header and not header[-1]:
        header = header[:-1]
    failures = [Failure(shown, 1, None, "column without a name", f"column {n}") for n, name in enumerate(header, 1) if not name.strip()]
    failures += [Failure(shown, 1, name, "duplicate column", None) for name in sorted({n for n in header if n.strip() and header.count(n) > 1})]
    if failures:
        raise DataFileError(failures)
    body = [(line, (row + [""] * len(header))[: len(header)]) for line, row in enumerate(rows[1:], start=2)]
    body = [(line, row) for line, row in body if any(row)]
    frame = pd.DataFrame([row for _, row in body], columns=header, dtype="str")
    frame.index = pd.Index([line for line, _ in body], dtype=np.int64, name="line")
    return frame


def read_answers(path: Path, shown: str) -> pd.DataFrame:
    return read_xlsx(path, shown) if path.suffix.lower() == ".xlsx" else read_raw(path, display=shown)


# ------------------------------------------------------------------ checking the answers


def normalised(question: Question, text: str) -> str:
    """An answer as the check reads it: without surrounding spaces; yes/no and codes in any case; a number may have
    thousands separators (1,250) and a percentage its sign."""
    text = text.strip()
    if question.type == "yes_no" and text.lower() in YES_NO:
        return text.lower()
    if question.type == "code":
        matching = [code for code in question.codes or [] if code.lower() == text.lower()]
        return matching[0] if matching else text
    if question.type == "number":
        if question.unit == "%" and text.endswith("%"):
            text = text[:-1].strip()
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
            text = text.replace(",", "")
    return text


def check_cells(cells: pd.Series, field: dict, shown: str) -> tuple[list[pd.DataFrame], pd.Series]:
    """Check one question's answer cells (text, indexed by line) with the contracts module's typing and pandera
    checks; returns the failure frames and the typed values."""
    from districtstat.data import contracts

    contract = Contract.model_validate({"name": "answers", "fields": [field], "missingValues": [""]})
    checked = contracts._DataFile("answers", shown, contract, 1)
    checked.raw = cells.to_frame(field["name"])
    checked.typed, checked.unparsed = contracts._typed(checked.raw, contract)
    contracts._check_types(checked)
    contracts._check_values(checked)
    return checked.found, checked.typed[field["name"]]


def failure_frame(failures: list[Failure]) -> pd.DataFrame:
    return pd.DataFrame([vars(failure) for failure in failures], columns=FAILURE_COLUMNS)


def check_answer_file(path: Path, shown: str, topic: Topic) -> tuple[list[pd.DataFrame], list[dict]]:
    """Every problem of one district's answer file, and its answers (question_id, answer, value) when readable."""
    try:
        raw = read_answers(path, shown)
    except DataFileError as error:
        return [failure_frame(error.failures)], []
    failures = [Failure(shown, 1, name, "missing required column", None) for name in REQUIRED_COLUMNS if name not in raw.columns]
    failures += [Failure(shown, 1, name, "unknown column", None) for name in raw.columns if name not in TEMPLATE_COLUMNS]
    if any(name not in raw.columns for name in REQUIRED_COLUMNS):
        return [failure_frame(failures)], []
    questions = {q.id: q for q in topic.survey.questions}
    ids = raw["question_id"].str.strip()
    seen: dict[str, int] = {}
    for line, question_id in ids.items():
        if not question_id:
            failures.append(Failure(shown, int(line), "question_id", "required", None))
        elif question_id not in questions:
            failures.append(Failure(shown, int(line), "question_id", "not one of " + ", ".join(questions), raw.at[line, "question_id"]))
        elif question_id in seen:
            failures.append(Failure(shown, int(line), "question_id", f"listed twice, first on line {seen[question_id]}", question_id))
        else:
            seen[question_id] = int(line)
    frames = []
    answers = []
    for question in topic.survey.questions:
        if question.id not in seen:
            if question.required:
                failures.append(Failure(shown, None, "question_id", "missing required question", question.id))
            answers.append({"question_id": question.id, "answer": None, "value": np.nan})
            continue
        line = seen[question.id]
        written = raw.loc[[line], "answer"]
        found, typed = check_cells(written.map(lambda text, q=question: normalised(q, text)), question_field(question), shown)
        for frame in found:
            frames.append(frame.assign(column=answer_column(question), value=written.reindex(frame["line"]).to_numpy(dtype=object)))
        answers.append(answer_record(question, typed.iloc[0], normalised(question, written.iloc[0])))
    return [failure_frame(failures), *frames], answers


def answer_record(question: Question, typed: object, text: str) -> dict:
    """The answer as the table keeps it: its text (a code as declared, yes/no in lower case) and, for a number, its value."""
    if not text or typed is None or pd.isna(typed):
        return {"question_id": question.id, "answer": None, "value": np.nan}
    value = float(typed) if question.type == "number" else np.nan
    return {"question_id": question.id, "answer": str(typed) if question.type != "number" else text, "value": value}


def display_path(path: Path, root: Path | None) -> str:
    if root is not None:
        for inside, base in ((path, Path(root)), (path.resolve(), Path(root).resolve())):
            if inside.is_relative_to(base):
                return inside.relative_to(base).as_posix()
    return path.as_posix()


def check_topic(project: Project, topic: Topic, district_ids: set[str] | None, display_root: Path | None) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """Every answer file of one topic checked: the failures, and the answers of every file as a table."""
    folder = answers_folder(project, topic.id)
    frames: list[pd.DataFrame] = []
    rows: list[dict] = []
    if not folder.is_dir():
        return frames, pd.DataFrame(columns=TABLE_COLUMNS)
    first: dict[str, str] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not skipped(p)):
        shown = display_path(path, display_root)
        district = path.stem
        problem = None
        if path.suffix.lower() not in ANSWER_SUFFIXES:
            problem = Failure(shown, None, None, "not an answer file: save each district's answers as <district_id>.csv or <district_id>.xlsx", None)
        elif not DISTRICT_ID.match(district):
            problem = Failure(shown, None, None, "file name is not a district id: name each file by its district, such as D01.csv", None)
        elif district_ids is not None and district not in district_ids:
            problem = Failure(shown, None, "district_id", "foreign key -> districts.district_id", district)
        elif district in first:
            problem = Failure(shown, None, None, f"second file for district {district!r}", first[district])
        if problem is not None:
            frames.append(failure_frame([problem]))
            continue
        first[district] = shown
        found, answers = check_answer_file(path, shown, topic)
        frames += found
        rows += [{"topic_id": topic.id, "district_id": district, **answer} for answer in answers]
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS[:-1]).assign(kept_hidden=False)
    return frames, table


def check_surveys(project: Project, report: ValidationReport, display_root: Path | None = None) -> ValidationReport:
    """The dataset's report with every survey answer's problems added, and the answers as `tables["survey_answers"]`.

    District ids come from the dataset's districts file; a topic whose answer folder is absent has no answers yet."""
    districts = report.tables.get("districts")
    district_ids = set(districts["district_id"].dropna().astype(str)) if districts is not None else None
    frames, tables = [], []
    for topic in surveyed(project.settings):
        found, table = check_topic(project, topic, district_ids, display_root)
        frames += found
        tables.append(table)
    answers = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=TABLE_COLUMNS)
    answers = answers.astype({"topic_id": "str", "district_id": "str", "question_id": "str", "answer": "str", "value": "float64", "kept_hidden": "bool"})
    merged = with_failures(report, frames)
    merged.tables["survey_answers"] = answers
    return merged


def with_failures(report: ValidationReport, frames: list[pd.DataFrame]) -> ValidationReport:
    """A report with more failures, sorted as the contracts module sorts its own."""
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return ValidationReport(files=report.files, tables=dict(report.tables), failure_table=report.failure_table, cap=report.cap)
    typed = [frame[FAILURE_COLUMNS].astype({"line": "Int64", "column": object, "value": object}) for frame in [report.failure_table, *frames] if not frame.empty]
    table = pd.concat(typed, ignore_index=True)
    table["value"] = table["value"].where(table["value"].notna() & (table["value"] != ""), None)
    table = table.sort_values(FAILURE_COLUMNS, na_position="first", kind="stable").reset_index(drop=True)
    return ValidationReport(files=report.files, tables=dict(report.tables), failure_table=table, cap=report.cap)


def summary(project: Project, answers: pd.DataFrame, district_ids: Iterable[str]) -> dict:
    """Per topic with a survey: who answered and who has not yet, for data_quality.json and the command line."""
    ids = sorted(set(district_ids))
    record = {}
    for topic in surveyed(project.settings):
        answered = sorted(set(answers.loc[answers["topic_id"] == topic.id, "district_id"]))
        record[topic.id] = {
            "folder": project.relative(answers_folder(project, topic.id)),
            "answered": answered,
            "not_answered": [district for district in ids if district not in answered],
        }
    return record


# ------------------------------------------------------------------ what a page may show


def count_measure(topic_id: str, question_id: str) -> str:
    """The measure part of a survey count's key (`disclosure.count_key`), the same on every page and release."""
    return f"survey:{topic_id}:{question_id}"


def mark_kept_hidden(answers: pd.DataFrame, settings: Settings, school_year: int, previous: dict | None, min_n: int) -> pd.DataFrame:
    """Flag the student counts the previous release hid, or that moved by fewer than `min_n` since it showed them:
    two releases side by side must not tell about a few students (see `disclosure.kept_hidden`)."""
    from districtstat.privacy.disclosure import count_key, kept_hidden

    answers = answers.copy()
    if not previous or answers.empty:
        return answers
    counting = {(topic.id, q.id) for topic in surveyed(settings) for q in topic.survey.questions if q.counts_students}
    answers["kept_hidden"] = [
        (topic, question) in counting and pd.notna(value) and kept_hidden(float(value), previous, count_key(count_measure(topic, question), district, school_year), min_n)
        for topic, district, question, value in zip(answers["topic_id"], answers["district_id"], answers["question_id"], answers["value"])
    ]
    return answers


def topic_answers(release, topic: Topic) -> pd.DataFrame:
    """The topic's answers from the districts a page may show (at least `min_n` students), with their names."""
    if not release.has_table("survey_answers"):
        return pd.DataFrame(columns=[*TABLE_COLUMNS, "district_name"])
    answers = release.table("survey_answers")
    answers = answers[(answers["topic_id"] == topic.id) & answers["district_id"].isin(release.publishable_districts)]
    names = release.latest_indicators.set_index("district_id")["district_name"]
    return answers.assign(district_name=answers["district_id"].map(names).astype(str)).reset_index(drop=True)


def hidden_student_counts(release, topic: Topic, question: Question, answers: pd.DataFrame) -> np.ndarray:
    """Which answers to a question counting students no page may show, one flag per row of `answers`.

    A count of students follows the rules of every student count (`disclosure.suppress`): hidden when it is 1 to
    `min_n` − 1 students, when the district's other students (its enrollment minus the count) are 1 to `min_n` − 1,
    or when the previous release hid it or it moved by fewer than `min_n` since."""
    from districtstat.privacy.disclosure import Relation, suppress

    if not question.counts_students:
        return np.zeros(len(answers), dtype=bool)
    enrollment = release.latest_indicators.set_index("district_id")["enrollment"].astype(float)
    enrollment_hidden = dict(zip(answers["district_id"], release.enrollment_hidden(list(answers["district_id"]))))
    flags = []
    for district, value, kept in zip(answers["district_id"], answers["value"], answers["kept_hidden"]):
        if pd.isna(value):
            flags.append(False)
            continue
        enrolled = float(enrollment.get(district, np.nan))
        counts = {"answer": float(value)} | ({"enrolled": enrolled} if pd.notna(enrolled) else {})
        relations = [Relation("enrolled", ("answer", "(the district's other students)"))] if pd.notna(enrolled) and value <= enrolled else []
        keep = {"answer"} if kept else set()
        keep |= {"enrolled"} if enrollment_hidden.get(district) else set()
        hidden = suppress(counts, relations, min_n=release.min_n, margin=release.project.settings.margin, keep_hidden=keep, last_resort=("enrolled",))
        flags.append("answer" in hidden or ("enrolled" in hidden and "enrolled" not in keep))
    return np.array(flags, dtype=bool)


def number_format(question: Question) -> str:
    """How a page writes a number answer: whole students, percentages to a tenth, dollars whole."""
    if question.counts_students:
        return "{:,.0f}"
    return {"%": "{:.1f}%", "$": "${:,.0f}"}.get(question.unit, "{:,.1f}")


def with_unit(question: Question, value: float) -> str:
    """A number answer with its unit, as a chart's tooltip and the published answers write it."""
    text = number_format(question).format(value)
    return text if question.unit in ("%", "$") else f"{text} {question.unit}"


def shown_answers(release, topic: Topic) -> pd.DataFrame:
    """Every answer of the topic as its page shows it: the number with its unit, `*` for a count of students no page
    may show, yes/no and codes as answered, text as written; a blank answer as empty text."""
    from districtstat.privacy.disclosure import SUPPRESSED

    answers = topic_answers(release, topic)
    parts = []
    for question in topic.survey.questions:
        rows = answers[answers["question_id"] == question.id].reset_index(drop=True)
        hidden = hidden_student_counts(release, topic, question, rows)
        if question.type == "number":
            shown = [SUPPRESSED if secret else "" if pd.isna(value) else with_unit(question, value) for value, secret in zip(rows["value"], hidden)]
        else:
            shown = ["" if pd.isna(answer) else str(answer) for answer in rows["answer"]]
        parts.append(rows.assign(question=question.name, answer_shown=shown, hidden=hidden))
    return pd.concat(parts, ignore_index=True) if parts else answers.assign(question="", answer_shown="", hidden=False)


PUBLISHED_COLUMNS = ["topic_id", "district_id", "district_name", "question_id", "question", "answer_shown"]
CHANGE_COLUMNS = ["topic_id", "district_id", "district_name", "question_id", "question", "before", "after", "change"]


def published_answers(release) -> pd.DataFrame:
    """Every survey answer the release's topic pages publish, after disclosure control, one row per district and
    question it answered (an answer left blank is empty): what the next release's "What changed" compares."""
    parts = [shown_answers(release, topic)[PUBLISHED_COLUMNS] for topic in surveyed(release.project.settings)]
    published = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PUBLISHED_COLUMNS)
    return published.astype(str).reset_index(drop=True)


def answer_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Answers new, changed or withdrawn between two releases' published answers (`published_answers`).

    Only questions both releases published are compared (a new topic's survey is not a change in answers), and an
    answer hidden (`*`) in either release is not compared: placing a hidden answer beside a shown one says nothing
    true. A district's answer is new when it answered now but not before (or left it blank), no longer published the other way (withdrawn, left blank, or its district no longer published)."""
    from districtstat.privacy.disclosure import SUPPRESSED

    keys = ["topic_id", "district_id", "question_id"]
    before, after = (frame[PUBLISHED_COLUMNS].astype(str) for frame in (before, after))
    asked = set(zip(before["topic_id"], before["question_id"])) & set(zip(after["topic_id"], after["question_id"]))
    merged = before.merge(after, on=keys, how="outer", suffixes=("_before", "_after"), indicator=True)
    merged = merged.loc[np.array([pair in asked for pair in zip(merged["topic_id"], merged["question_id"])], dtype=bool)]  # a list could be empty: then it would pick columns
    was, now = merged["answer_shown_before"].fillna(""), merged["answer_shown_after"].fillna("")
    change = np.select([(was == "") & (now != ""), (was != "") & (now == ""), was != now], ["new answer", "no longer published", "changed"], default="")
    secret = (was == SUPPRESSED) | (now == SUPPRESSED)
    change = np.where(secret & (was != "") & (now != ""), "", change)
    moves = merged.assign(
        district_name=merged["district_name_after"].fillna(merged["district_name_before"]),
        question=merged["question_after"].fillna(merged["question_before"]),
        before=was,
        after=now,
        change=change,
    )
    moves = moves[moves["change"] != ""]
    order = {key: n for n, key in enumerate(dict.fromkeys([*zip(after["topic_id"], after["question_id"]), *zip(before["topic_id"], before["question_id"])]))}
    moves = moves.assign(_order=[order[pair] for pair in zip(moves["topic_id"], moves["question_id"])])
    moves = moves.sort_values(["topic_id", "district_id", "_order"], key=lambda c: c.map(natural) if c.name == "district_id" else c, kind="stable")
    return moves[CHANGE_COLUMNS].reset_index(drop=True)


def natural(text: str) -> tuple:
    """D2 before D10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(text)))


# ------------------------------------------------------------------ the example consortium's answers

EXAMPLE_TOPIC = "transportation"
EXAMPLE_NOT_ANSWERED = ("D05", "D09", "D13")  # three districts have not returned their file yet
EXAMPLE_BLANK = ("D02", "what_helped")  # one district left the optional question blank
EXAMPLE_FEW_RIDERS = ("D06", 7)  # one district carries a handful of students (special-education routes only)
EXAMPLE_SEED = 15
EXAMPLE_WHAT_HELPED = [
    "Staggered bell times at the two middle schools freed four buses for the elementary runs.",
    "Routing software rebuilt our routes around the stops students actually use; late runs fell by half.",
    "Paying drivers for a full day kept enough of them to cover every route without doubling up.",
    "A text to families when a bus runs more than ten minutes late, so fewer students wait outside.",
    "Moving the bus depot closer to town cut the first leg of every route.",
    "Contracting our two longest rural routes to a local carrier with spare drivers.",
    "A weekly review of every late run with the driver and the dispatcher.",
    "Combining low-ridership stops after a review of our walk zones.",
    "Two spare drivers on call every morning, so a sick call no longer cancels a route.",
    "Shorter routes: we split the three longest runs and added one bus.",
    "Tracking every late run by cause; most were the same two railroad crossings, now avoided.",
    "Buying back the routes we had contracted out; our own drivers know the roads.",
    "Earlier pick-ups on snow days, announced the evening before.",
    "Nothing yet: we are short of drivers on most days.",
]


def example_survey() -> dict:
    """The survey params/synthetic.yml (and the tests' projects) declare for the example's transportation topic."""
    return {
        "questions": [
            {"id": "bus_riders", "text": "How many students ride district buses on a typical school day?", "label": "Students riding district buses", "type": "number", "unit": "students", "maximum": 100000, "required": True, "counts_students": True},
            {"id": "late_routes", "text": "What share of your bus routes ran late at least once a week this school year?", "label": "Routes late at least once a week", "type": "number", "unit": "%", "minimum": 0, "maximum": 100, "required": True, "better": "lower"},
            {"id": "gps_tracking", "text": "Does every bus have GPS tracking that dispatch can see live?", "label": "GPS on every bus", "type": "yes_no", "required": True},
            {"id": "route_planning", "text": "How do you mainly plan bus routes: by hand, with routing software, or through a contractor?", "label": "How routes are planned", "type": "code", "codes": ["manual", "software", "contractor"], "required": True},
            {"id": "what_helped", "text": "What has done most to reduce late arrivals in your district?", "label": "What reduced late arrivals most", "type": "text"},
        ]
    }


def latest_enrollment(data_dir: Path) -> dict[str, int]:
    """Students enrolled per district in the example's latest school year."""
    enrollments = pd.read_csv(data_dir / "enrollments.csv", dtype=str, usecols=["school_year", "district_id"])
    latest = enrollments[enrollments["school_year"] == enrollments["school_year"].max()]
    return {district: int(n) for district, n in latest.groupby("district_id").size().items()}


def write_example_answers(data_dir: Path, seed: int = EXAMPLE_SEED) -> list[Path]:
    """The example consortium's returned answer files: most districts answered, three not yet, one left the
    optional question blank, and one counts fewer riders than `min_n` (10), so its count is hidden on the page."""
    from districtstat.config import Survey

    topic = Topic(id=EXAMPLE_TOPIC, title="Transportation", indicators=["BUS_ON_TIME_PCT"], survey=Survey.model_validate(example_survey()))
    rng = np.random.default_rng(seed)
    enrolled = latest_enrollment(data_dir)
    folder = data_dir / SURVEYS_FOLDER / EXAMPLE_TOPIC
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, district in enumerate(sorted(enrolled, key=natural)):
        students = enrolled[district]
        share, late = rng.uniform(0.35, 0.75), rng.uniform(2, 24)
        gps, planning = rng.random() < 0.55, rng.choice(["manual", "software", "contractor"], p=[0.3, 0.5, 0.2])
        if district in EXAMPLE_NOT_ANSWERED:
            continue
        riders = EXAMPLE_FEW_RIDERS[1] if district == EXAMPLE_FEW_RIDERS[0] else int(np.clip(round(students * share), 10, max(10, students - 10)))
        answers = {
            "bus_riders": str(min(riders, students)),
            "late_routes": f"{late:.1f}",
            "gps_tracking": "yes" if gps else "no",
            "route_planning": str(planning),
            "what_helped": "" if district == EXAMPLE_BLANK[0] else EXAMPLE_WHAT_HELPED[number % len(EXAMPLE_WHAT_HELPED)],
        }
        rows = [[*row[:-1], answers[row[0]]] for row in template_rows(topic)]
        path = folder / f"{district}.csv"
        path.write_text(csv_text(rows), encoding="utf-8")
        written.append(path)
    return written
