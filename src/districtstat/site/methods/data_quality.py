"""The data-quality page: each input file checked against its data contract, and each topic survey's answer files."""

from __future__ import annotations

import json
from pathlib import Path

from districtstat.config import Project
from districtstat.data.contracts import Failure
from districtstat.site.pages import front_matter, markdown_table
from districtstat.views import school_year
from districtstat.site.methods.writing import NONE


def period(column: str | None, latest: int | None) -> str:
    """The latest period a file covers: school year 2024 reads '2023–24', fiscal year 2024 'FY 2024'."""
    if column is None or latest is None:
        return NONE
    return f"FY {latest}" if column == "fiscal_year" else school_year(latest)


def input_name(entity: str, entry: dict) -> str:
    """The file's name; a record written before names were stored still has the file's path."""
    return entry.get("name") or Path(entry.get("file") or entity).name


def quality_row(entity: str, entry: dict) -> list[str]:
    """A file's name, problems, latest period and hash, never its rows: the rows of enrollments or assessments are
    students, and one release's count minus another's would give a hidden district's change in students."""
    problems = entry.get("problems", entry.get("failures"))
    return [
        input_name(entity, entry),
        f"{problems:,}" if problems is not None else NONE,
        period(entry.get("period_column"), entry.get("latest_period")),
        f"`{entry['content_hash']}`" if entry.get("content_hash") else NONE,
    ]


def quality_summary(report: dict) -> str:
    """One sentence a board member can repeat: did the data pass, and how recent is it (no total of rows: see `quality_row`)."""
    files = report["files"]
    failing = sorted(input_name(entity, entry) for entity, entry in files.items() if entry.get("problems", entry.get("failures")))
    school_years = [entry["latest_period"] for entry in files.values() if entry.get("period_column") == "school_year" and entry.get("latest_period")]
    recent = f" The most recent school year in the data is {period('school_year', max(school_years))}." if school_years else ""
    if report.get("ok"):
        return f"All {len(files)} input files passed their data contracts.{recent}"
    problems = report.get("problems", sum(entry.get("failures", 0) for entry in files.values()))
    where = [f"{len(failing)} of {len(files)} input files ({', '.join(failing)})"] if failing else []
    where += ["the dataset folder"] if report.get("dataset") else []
    return f"The data failed their contracts: {problems:,} problems in {' and '.join(where) or 'the data'}. Nothing is computed from data that fail.{recent}"


def problem_lines(report: dict) -> list[str]:
    lines = [line for _, entry in sorted(report["files"].items()) for line in entry.get("problem_lines", [])]
    return lines + [Failure(**problem).format() for problem in report.get("dataset", [])]


def survey_quality(surveys: dict) -> str:
    """Each topic survey's answer files: who answered, who has not, and the problems found in them."""
    if not surveys:
        return ""
    rows = [
        [topic, f"`{entry['folder']}`", str(len(entry["answered"])), ", ".join(entry["not_answered"]) or NONE, str(len(entry["problem_lines"]))]
        for topic, entry in sorted(surveys.items())
    ]
    table = markdown_table(["Topic", "Answer files", "Districts that answered", "Not answered yet", "Problems"], rows, "Survey answers of each topic, checked against the contract generated from its questions")
    lines = [line for entry in surveys.values() for line in entry["problem_lines"]]
    listed = "\n" + "\n".join(f"- `{line}`" for line in lines) + "\n" if lines else ""
    return f"\n## Survey answers\n\nEach district's answers to a topic survey are checked like every input file, one file per district.\n\n{table}{listed}"


def data_quality_page(project: Project) -> str:
    path = project.build_dir / "data_quality.json"
    head = front_matter({"title": "Data quality"})
    if not path.is_file():
        return f"{head}\nNo validation record exists for release {project.release}.\n"
    report = json.loads(path.read_text(encoding="utf-8"))
    header = ["Input", "Problems", "Latest period covered", "Content hash"]
    rows = [quality_row(entity, entry) for entity, entry in sorted(report["files"].items())]
    table = markdown_table(header, rows, "Validation of each input file against its data contract")
    lines = problem_lines(report)
    found = "\n## Problems found\n\nUp to five lines per file, each naming the file, line, column, rule and value to fix.\n\n" + "\n".join(f"- `{line}`" for line in lines) + "\n" if lines else ""
    found += survey_quality(report.get("surveys") or {})
    return f"""{head}
{quality_summary(report)}

## Validation results

Every input file is checked against its data contract (the columns, types, allowed codes and keys it must
have) before any figure is computed. The latest period is the last school or fiscal year the file covers;
the content hash identifies the exact file checked. Files' row counts are not shown: rows of students, compared
between releases, would tell how many students a district gained or lost where its pages hide that.

{table}{found}"""
