"""What every part of the surveys shares: which topics ask a survey, where their answer files go, and the columns
of the fill-in file and of the answers table."""

from __future__ import annotations

import re
from pathlib import Path

from districtstat.config import Project, Settings, Topic

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


def natural(text: str) -> tuple:
    """D2 before D10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(text)))
