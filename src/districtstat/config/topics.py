"""Topics of the quarter and the surveys districts answer for them, as params declare them."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from districtstat.config.models import Strict, repeated


TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
QUESTION_TYPES = {"number": "a number", "yes_no": "yes or no", "code": "one of a set of codes", "text": "short text"}


def _only_for(info: ValidationInfo, wanted: str) -> None:
    """A setting that means something for one type of question only is a mistake on any other."""
    kind = info.data.get("type")
    if kind is not None and kind != wanted:
        raise ValueError(f"only for {wanted} questions, and this question's type is {kind}")


class Question(Strict):
    """One question of a topic's survey: each district answers it once, in its own answer file."""

    id: str = Field(description="the answer file's question_id: lower-case letters, digits and '_', starting with a letter")
    text: str = Field(min_length=1, description="the question as districts read it")
    label: str | None = Field(None, description="a short name for charts and table headings (default: the question)")
    type: Literal["number", "yes_no", "code", "text"]
    unit: str | None = Field(None, validate_default=True, description="number questions: what the number counts, such as students, routes or %")
    minimum: int | float | None = None
    maximum: int | float | None = None
    codes: list[str] | None = Field(None, validate_default=True, description="code questions: the answers allowed")
    required: bool = False
    counts_students: bool = Field(False, description="a number of students: published only where it passes the rules for student counts")
    better: Literal["higher", "lower", "neither"] | None = Field(None, description="number questions: which direction is better, for ranks")

    @field_validator("id")
    @classmethod
    def _id_is_an_identifier(cls, value: str) -> str:
        if not QUESTION_ID.match(value):
            raise ValueError("must be lower-case letters, digits and '_', starting with a letter, such as late_routes")
        return value

    @field_validator("unit")
    @classmethod
    def _numbers_have_units(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.data.get("type") == "number":
                raise ValueError("a number question needs its unit, such as students, routes or %")
            return value
        _only_for(info, "number")
        if not value.strip():
            raise ValueError("must name what the number counts, such as students, routes or %")
        return value

    @field_validator("minimum", "maximum")
    @classmethod
    def _bounds_are_for_numbers(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None:
            _only_for(info, "number")
            low = info.data.get("minimum")
            if info.field_name == "maximum" and low is not None and value < low:
                raise ValueError(f"must not be below the minimum ({low:g})")
        return value

    @field_validator("codes")
    @classmethod
    def _codes_for_code_questions(cls, codes: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if codes is None:
            if info.data.get("type") == "code":
                raise ValueError("a code question needs its codes, the answers allowed, such as [manual, software, contractor]")
            return codes
        _only_for(info, "code")
        if len(codes) < 2:
            raise ValueError("a code question needs at least two codes")
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"code(s) {', '.join(repeated)} listed more than once")
        unusable = [code for code in codes if not code.strip() or code != code.strip() or "," in code]
        if unusable:
            raise ValueError(f"a code may not be empty, hold a comma, or start or end with a space: {unusable!r}")
        return codes

    @field_validator("counts_students")
    @classmethod
    def _students_are_counted_whole(cls, value: bool, info: ValidationInfo) -> bool:
        if value:
            _only_for(info, "number")
            bounds = {name: info.data.get(name) for name in ("minimum", "maximum")}
            broken = [f"{name} {bound:g}" for name, bound in bounds.items() if bound is not None and (bound != int(bound) or bound < 0)]
            if broken:
                raise ValueError(f"a count of students is a whole number of 0 or more, but the question has {' and '.join(broken)}")
        return value

    @field_validator("better")
    @classmethod
    def _better_is_for_numbers(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            _only_for(info, "number")
        return value

    @property
    def name(self) -> str:
        """What charts and table headings call the question."""
        return self.label or self.text

    @property
    def direction(self) -> str:
        return self.better or "neither"


class Survey(Strict):
    """A topic's questionnaire: districts answer it in one file each, validated like every input (see `surveys`)."""

    questions: list[Question] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _question_ids_are_unique(cls, questions: list[Question]) -> list[Question]:
        twice = repeated([q.id for q in questions])
        if twice:
            raise ValueError(f"question id(s) {', '.join(twice)} used more than once")
        return questions

    def __str__(self) -> str:
        """How the methods page lists the survey among the settings."""
        kinds = ", ".join(f"{q.id} ({q.unit if q.type == 'number' else QUESTION_TYPES[q.type]})" for q in self.questions)
        return f"{len(self.questions)} question{'s' if len(self.questions) != 1 else ''}: {kinds}"


class Topic(Strict):
    """A topic of the quarter (StatNet): indicators every district is compared on, and questions to discuss."""

    id: str = Field(description="the page's file name: lower-case letters, digits and '-'")
    title: str
    why: str = ""
    indicators: list[str] = Field(min_length=1)
    questions: list[str] = Field(default_factory=list)
    survey: Survey | None = Field(None, description="the questions each district answers for the topic's page (`districtstat survey template`)")

    @field_validator("id")
    @classmethod
    def _id_is_a_file_name(cls, value: str) -> str:
        if not TOPIC_ID.match(value):
            raise ValueError("must be lower-case letters, digits and '-', such as chronic-absence")
        return value

    @field_validator("indicators")
    @classmethod
    def _indicators_are_known(cls, codes: list[str]) -> list[str]:
        from districtstat.analyses.indicators import INDICATORS
        from districtstat.data.subjects import subject_of_indicator

        unknown = [code for code in codes if code not in INDICATORS and subject_of_indicator(code) is None]  # subjects: checked by Settings
        if unknown:
            raise ValueError(f"unknown indicator(s) {', '.join(unknown)}; choose from {', '.join(INDICATORS)}")
        return codes


