"""The subjects a consortium tests, a code set declared in params rather than fixed to ELA and math.

Public files report what their state tests: science, a composite of several subjects, a writing score. Filing a
composite under math would put the wrong word on every page, so each subject is declared once with the words
pages use for it, and every indicator of a subject (its mean scale score, its percent proficient) is named from it.

The registry here only ever grows: a code keeps the words it was declared with, so a lookup gives the same
answer whatever else a process has read. Pages list the indicators of their own project's subjects
(`indicators.project_indicators`), never the registry's whole content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBJECT_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,19}$")
SUBJECT_STATISTICS = ("mean_score", "pct_proficient")
SUBJECT_INDICATOR = re.compile(r"^(mean_score|pct_proficient)_([a-z][a-z0-9_]{0,19})$")


@dataclass(frozen=True)
class SubjectWords:
    code: str
    name: str  # as a heading: "English language arts", "Math", "Composite (reading, math and science)"
    short: str  # inside a sentence: "ELA", "math", "composite"
    composite: bool = False


DEFAULT_SUBJECTS = (
    SubjectWords("ELA", "English language arts", "ELA"),
    SubjectWords("MATH", "Math", "math"),
)
FIXED_CODES = frozenset(subject.code for subject in DEFAULT_SUBJECTS)
_REGISTERED: dict[str, SubjectWords] = {subject.code: subject for subject in DEFAULT_SUBJECTS}


def register_subjects(subjects) -> None:
    """Make a project's subjects known to every lookup by code. ELA and MATH keep their fixed words (params refuses
    other words for them), so only a consortium's own codes are added or updated."""
    for subject in subjects:
        if subject.code not in FIXED_CODES:
            _REGISTERED[subject.code] = SubjectWords(subject.code, subject.name, subject.short, subject.composite)


def registered_subjects() -> list[SubjectWords]:
    return list(_REGISTERED.values())


def subject_words(code: str) -> SubjectWords:
    """The words for a subject code; an undeclared code is shown as itself rather than guessed at."""
    return _REGISTERED.get(code) or SubjectWords(code, code.replace("_", " ").capitalize(), code.replace("_", " ").lower())


def indicator_code(statistic: str, subject: str) -> str:
    return f"{statistic}_{subject.lower()}"


def subject_of_indicator(code: str) -> str | None:
    """MATH for mean_score_math: the subject whose tested students a figure rests on, or None."""
    match = SUBJECT_INDICATOR.match(code)
    return match.group(2).upper() if match else None


def statistic_of_indicator(code: str) -> str | None:
    match = SUBJECT_INDICATOR.match(code)
    return match.group(1) if match else None
