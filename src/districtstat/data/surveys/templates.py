"""The fill-in files: one per district (CSV, and XLSX with drop-downs and range checks), one row per question, the
district filling in the `answer` column."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from districtstat.config import Project, Question, Topic
from districtstat.data.contracts import read_raw
from districtstat.data.surveys.layout import ANSWERS_SHEET, TEMPLATE_COLUMNS, YES_NO, answers_folder


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
