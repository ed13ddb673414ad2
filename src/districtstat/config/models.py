"""The strict models of the settings that are not topics: the efficiency and peer models, gaps, per-district goals
and peers, and the subjects tested."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def repeated(names: list[str]) -> list[str]:
    """The names given more than once, sorted: what a list of ids or codes must not have."""
    return sorted({name for name in names if names.count(name) > 1})


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
    confidence: float = Field(0.90, gt=0, lt=1)  # 90%, as every other interval of the site


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


