"""The one configuration object: a params file parsed into strict models, and every path derived from it.

Paths never come from the working directory: the project root is the folder above the params file
that holds `_quarto.yml`, and every other location is computed from it and the release name.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

RELEASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ParamsError(ValueError):
    """A params file that cannot be used, said in the words of the file."""


class UsageError(ValueError):
    """A command asked for something that cannot be done as asked (an option that does not apply, say)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlternativeModel(Strict):
    """Another specification fitted beside the main one, so readers see how much the choice matters."""

    name: str
    spending: str
    controls: list[str] = Field(default_factory=list)


class EfficiencyModel(Strict):
    """The cross-district regression, declared rather than hard-coded in a notebook."""

    outcome: str = "mean_score_math"
    spending: str = "np.log(per_pupil_spending)"
    controls: list[str] = Field(default_factory=lambda: ["pct_ecodis", "pct_el", "pct_swd", "np.log(enrollment)"])
    folds: int = Field(5, ge=2)
    seed: int = 0
    min_cv_r2: float = Field(
        0.0, ge=-1, lt=1, description="ranks and percentiles of residuals are shown only when the cross-validated R² is above this"
    )
    alternatives: list[AlternativeModel] = Field(default_factory=list, description="other specifications compared with this one")


class PeerModel(Strict):
    """How peers are chosen: on demographics and size, never on outcomes."""

    numeric: list[str] = Field(default_factory=lambda: ["log(enrollment)", "pct_ecodis", "pct_el", "pct_swd"])
    indicators: list[str] = Field(default_factory=lambda: ["locale"])
    k: int = Field(5, ge=1)
    missing: Literal["zero", "mean", "exclude"] = "zero"
    weights: dict[str, float] = Field(
        default_factory=dict, description="how many features' worth a feature's squared difference counts (default 1 each)"
    )

    @field_validator("numeric")
    @classmethod
    def _numeric_are_columns_or_transforms(cls, features: list[str]) -> list[str]:
        for feature in features:
            if not re.fullmatch(r"(?:(?:log|log10|log2|sqrt)\(\w+\)|\w+)", feature):
                raise ValueError(f"{feature!r} is neither a column nor log(column), log10(column), log2(column) or sqrt(column)")
        return features

    @field_validator("indicators")
    @classmethod
    def _indicators_are_columns_or_tests(cls, features: list[str]) -> list[str]:
        for feature in features:
            if not re.fullmatch(r"\w+(?:\s*==\s*\S.*)?", feature):
                raise ValueError(f"{feature!r} is neither a column nor 'column == value' (one 0/1 indicator)")
        return features

    @field_validator("weights")
    @classmethod
    def _weights_name_features(cls, weights: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        """A weight's key is a feature exactly as written in numeric or indicators, e.g. `log(enrollment): 3`."""
        if "numeric" in info.data and "indicators" in info.data:
            features = [*info.data["numeric"], *info.data["indicators"]]
            unknown = [key for key in weights if key not in features]
            if unknown:
                raise ValueError(
                    f"weights name {', '.join(unknown)}, not a feature in peers.numeric or peers.indicators "
                    f"(write a feature as it is declared: {', '.join(features) or 'none declared'})"
                )
        below = [f"{key} ({weight:g})" for key, weight in weights.items() if not weight > 0]
        if below:
            raise ValueError(f"every peer weight must be above 0: {', '.join(below)}")
        return weights


class GapSettings(Strict):
    """Which crossings of student groups to report beside the single groups (e.g. EL × ECODIS)."""

    intersections: list[list[str]] = Field(default_factory=lambda: [["EL", "ECODIS"]])
    confidence: float = Field(0.95, gt=0, lt=1)


GOAL_KEY = re.compile(r"^(gap\.[A-Z0-9_]+\.[A-Z][A-Z0-9_]*|[A-Za-z0-9_]+)$")


class DistrictSettings(Strict):
    """Per-district overrides: goals for the scorecard and, optionally, a fixed peer list.

    A goal is `indicator: target` (an indicator code such as `mean_score_math`, reached when the value is at
    or beyond the target in the indicator's better direction) or `gap.GROUP.SUBJECT: target` (reached when the
    gap is no wider than the target, e.g. `gap.ECODIS.MATH: -15`).
    """

    goals: dict[str, float] = Field(default_factory=dict)
    peers: list[str] | None = None

    @field_validator("goals")
    @classmethod
    def _goal_keys_are_indicators_or_gaps(cls, goals: dict[str, float]) -> dict[str, float]:
        from districtstat.analyses.indicators import INDICATORS
        from districtstat.data.subjects import subject_of_indicator

        rankable = sorted(code for code, indicator in INDICATORS.items() if indicator.better != "neither")
        for key in goals:
            known = key.startswith("gap.") or key in rankable or subject_of_indicator(key) is not None  # subjects: checked by Settings
            if not GOAL_KEY.match(key) or not known:
                raise ValueError(f"goal {key!r} is neither an indicator with a better direction ({', '.join(rankable)}) nor gap.GROUP.SUBJECT such as gap.EL.MATH")
        return goals


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
        ids = [q.id for q in questions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"question id(s) {', '.join(repeated)} used more than once")
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


class Subject(Strict):
    """A tested subject as the consortium's files code it, with the words its pages use.

    A composite (a total of several subjects' scores) is its own subject, so its pages never call it math."""

    code: str = Field(description="as in the subject column of subgroup_outcomes or assessments, e.g. ELA, MATH, SCI, COMPOSITE")
    name: str = Field(description="as a heading, e.g. Science")
    short: str = Field(description="inside a sentence, e.g. science")
    composite: bool = Field(False, description="a total or average of several subjects' scores")

    @field_validator("code")
    @classmethod
    def _code_is_a_code(cls, value: str) -> str:
        from districtstat.data.subjects import SUBJECT_CODE

        if not SUBJECT_CODE.match(value):
            raise ValueError("must be upper-case letters, digits and '_', starting with a letter, such as SCI or COMPOSITE")
        return value

    @model_validator(mode="after")
    def _fixed_words_stay(self) -> "Subject":
        from districtstat.data.subjects import DEFAULT_SUBJECTS

        for fixed in DEFAULT_SUBJECTS:
            if self.code == fixed.code and (self.name, self.short, self.composite) != (fixed.name, fixed.short, False):
                raise ValueError(f"{fixed.code} is always {fixed.name!r} ({fixed.short!r} in a sentence); declare another code for another subject")
        return self


def _default_subjects() -> list[Subject]:
    from districtstat.data.subjects import DEFAULT_SUBJECTS

    return [Subject(code=s.code, name=s.name, short=s.short) for s in DEFAULT_SUBJECTS]


class Settings(Strict):
    """What a params file says: the dataset, the release, the models and the disclosure threshold."""

    title: str
    dataset: str = Field(description="an example dataset name (generated when absent) or 'custom'")
    data_dir: Path
    site_dir: Path = Field(Path("site"), description="where releases are published, relative to the project root")
    release: str
    release_date: date | None = Field(None, description="the date the release is published, as readers see it")
    min_n: int = Field(10, ge=1)
    subjects: list[Subject] = Field(default_factory=_default_subjects, description="the subjects tested, a code set: ELA and MATH unless declared")
    protection_margin: int | None = Field(
        None, ge=1, description="the narrowest range, in students, an attacker may place a hidden count in (default: half of min_n)"
    )
    overview_notebook: str = "overview"
    topic_notebook: str = "topic"
    actions_notebook: str = Field("actions", description="the consortium's page of every district's actions, by indicator")
    district_notebooks: list[str] = Field(default_factory=lambda: ["scorecard", "outcome_gaps", "efficiency", "peers", "operations"])
    consortium_notebooks: list[str] = Field(default_factory=list, description="more consortium pages, each a notebook run once for the whole consortium")
    efficiency: EfficiencyModel | None = Field(default_factory=EfficiencyModel, description="null when the data have no spending")
    peers: PeerModel = Field(default_factory=PeerModel)
    gaps: GapSettings = Field(default_factory=GapSettings)
    topics: list[Topic] = Field(default_factory=list, description="topics of the quarter, each a page comparing every district")
    districts: dict[str, DistrictSettings] = Field(default_factory=dict)

    @field_validator("districts", mode="before")
    @classmethod
    def _district_ids_are_text(cls, value: object) -> object:
        """District ids such as NCES's 0612345 or 67819 are codes: YAML would read an unquoted one as a number."""
        if isinstance(value, dict):
            return {str(key) if isinstance(key, int) and not isinstance(key, bool) else key: item for key, item in value.items()}
        return value

    @field_validator("topics")
    @classmethod
    def _topic_ids_are_unique(cls, topics: list[Topic]) -> list[Topic]:
        ids = [t.id for t in topics]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"topic id(s) {', '.join(repeated)} used more than once")
        return topics

    @field_validator("subjects")
    @classmethod
    def _subjects_are_distinct(cls, subjects: list[Subject]) -> list[Subject]:
        codes = [subject.code for subject in subjects]
        if not subjects or len(set(codes)) < len(codes):
            raise ValueError("declare at least one subject, each code once")
        return subjects

    @model_validator(mode="after")
    def _subject_indicators_are_declared(self) -> "Settings":
        """Goals, topics and the efficiency model may name a subject's indicator only for a declared subject."""
        from districtstat.data.subjects import subject_of_indicator

        declared = {subject.code for subject in self.subjects}
        named = [("topics", code) for topic in self.topics for code in topic.indicators]
        named += [(f"districts.{district}.goals", key) for district, settings in self.districts.items() for key in settings.goals]
        if self.efficiency is not None:
            named.append(("efficiency.outcome", self.efficiency.outcome))
        for where, code in named:
            subject = code.split(".")[2] if code.startswith("gap.") else subject_of_indicator(code)
            if subject is not None and subject not in declared:
                raise ValueError(f"{where}: {code} is about subject {subject}, which is not among the declared subjects ({', '.join(sorted(declared))})")
        return self

    @property
    def margin(self) -> int:
        """The protection margin in students: the attacker's interval for a hidden count must be at least this wide."""
        return self.protection_margin or max(1, self.min_n // 2)

    @field_validator("release")
    @classmethod
    def _release_is_a_folder_name(cls, value: str) -> str:
        if not RELEASE_NAME.match(value):
            raise ValueError("must be letters, digits, '.', '_' or '-', starting with a letter or digit")
        return value


class Project:
    """A params file resolved against its project: the settings plus every path a build reads or writes."""

    def __init__(self, params_file: Path, settings: Settings, root: Path, release: str | None = None):
        self.params_file = params_file
        self.settings = settings
        self.root = root
        self.release = release or settings.release
        if not RELEASE_NAME.match(self.release):
            raise ParamsError(f"release {self.release!r}: must be letters, digits, '.', '_' or '-'")

    @property
    def data_dir(self) -> Path:
        return self.root / self.settings.data_dir

    @property
    def contracts_dir(self) -> Path:
        return self.root / "data_contracts"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def quarto_config(self) -> Path:
        return self.root / "_quarto.yml"

    @property
    def build_dir(self) -> Path:
        return self.root / "build" / self.release

    @property
    def tables_dir(self) -> Path:
        return self.build_dir / "tables"

    @property
    def executed_dir(self) -> Path:
        return self.build_dir / "districts"

    @property
    def project_dir(self) -> Path:
        """The generated Quarto project that the renderer reads."""
        return self.build_dir / "project"

    @property
    def site_dir(self) -> Path:
        return self.root / self.settings.site_dir

    @property
    def release_site_dir(self) -> Path:
        return self.site_dir / self.release

    def district_settings(self, district_id: str) -> DistrictSettings:
        return self.settings.districts.get(district_id, DistrictSettings())

    def relative(self, path: Path) -> str:
        """A path as shown to people: relative to the project root, never this machine's absolute path."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `_quarto.yml`: the project a params file belongs to."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / "_quarto.yml").is_file():
            return folder
    raise ParamsError(f"{start}: no _quarto.yml here or above; a params file lives inside a districtstat project")


def _describe(error: ValidationError, source: str) -> str:
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        if problem["type"] == "extra_forbidden":
            lines.append(f"{source}: {where}: unknown key")
        elif problem["type"] == "missing":
            lines.append(f"{source}: {where}: required key is missing")
        else:
            lines.append(f"{source}: {where}: {problem['msg']} (got {problem.get('input')!r})")
    return "\n".join(lines)


def parse_settings(text: str, source: str) -> Settings:
    """Parse params YAML into `Settings`, turning every problem into a line naming the file and key."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ParamsError(f"{source}{line}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: expected a mapping of settings, got {type(raw).__name__}")
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        raise ParamsError(_describe(error, source)) from None
    from districtstat.data.subjects import register_subjects

    register_subjects(settings.subjects)
    return settings


def load_project(params_file: Path | str, release: str | None = None) -> Project:
    """Read a params file and resolve it against the project that holds it."""
    params_file = Path(params_file)
    if not params_file.is_file():
        raise ParamsError(f"{params_file}: no such params file")
    root = find_root(params_file.parent)
    shown = params_file.resolve().relative_to(root).as_posix()
    settings = parse_settings(params_file.read_text(encoding="utf-8"), shown)
    return Project(params_file.resolve(), settings, root, release)
