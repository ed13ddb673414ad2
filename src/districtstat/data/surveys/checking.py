"""Reading and checking the answer files like every input: the survey as a data contract, each answer cell checked by
the contracts module's own typing and pandera checks, the answers as the table `survey_answers`, and who has
answered (for data_quality.json)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from districtstat.config import Project, Question, Topic
from districtstat.data.contracts import Contract, DataFileError, Failure, ValidationReport, read_raw
from districtstat.data.spool import as_frame
from districtstat.data.surveys.layout import (
    ANSWER_SUFFIXES,
    ANSWERS_SHEET,
    DISTRICT_ID,
    FAILURE_COLUMNS,
    REQUIRED_COLUMNS,
    TABLE_COLUMNS,
    TEMPLATE_COLUMNS,
    YES_NO,
    answers_folder,
    skipped,
    surveyed,
)


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
    header = raw.attrs.get("header_line", 1)  # a CSV may have # comment lines above its header
    failures = [Failure(shown, header, name, "missing required column", None) for name in REQUIRED_COLUMNS if name not in raw.columns]
    failures += [Failure(shown, header, name, "unknown column", None) for name in raw.columns if name not in TEMPLATE_COLUMNS]
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
    districts = as_frame(report.tables.get("districts"), ["district_id"])
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
