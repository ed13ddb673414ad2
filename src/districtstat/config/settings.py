"""What a params file says, as one model (`Settings`), with the checks that span several of its parts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from districtstat.config.errors import RELEASE_NAME
from districtstat.config.models import DistrictSettings, EfficiencyModel, GapSettings, PeerModel, Strict, Subject, _default_subjects, repeated
from districtstat.config.topics import Topic


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
        twice = repeated([t.id for t in topics])
        if twice:
            raise ValueError(f"topic id(s) {', '.join(twice)} used more than once")
        return topics

    @field_validator("subjects")
    @classmethod
    def _subjects_are_distinct(cls, subjects: list[Subject]) -> list[Subject]:
        if not subjects or repeated([subject.code for subject in subjects]):
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


