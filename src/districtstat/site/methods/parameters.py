"""The Parameters of this release section: one row per setting, walked from the settings models themselves, so a
field added to Settings appears on the page without touching it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel

from districtstat.config import Project
from districtstat.analyses.efficiency import column_label, plain_term
from districtstat.analyses.indicators import INDICATORS
from districtstat.site.pages import markdown_table
from districtstat.provenance import Provenance, package_versions
from districtstat.site.methods.writing import NONE


SETTING_NOTES = {
    "title": "The name of the report site.",
    "dataset": "The data this release reads: an example dataset, or 'custom'.",
    "data_dir": "The folder of input files, in the project.",
    "site_dir": "Where releases are published, in the project.",
    "release": "The name of this release; a published release is never rewritten.",
    "min_n": "The fewest students a published figure may rest on.",
    "protection_margin": "The narrowest range, in students, anyone may be able to place a hidden count in (unset: half of min_n).",
    "overview_notebook": "The notebook behind the consortium overview.",
    "district_notebooks": "The pages each district gets.",
    "topic_notebook": "The notebook behind each topic-of-the-quarter page.",
    "efficiency": "No spending data: no efficiency model is fitted.",
    "efficiency.outcome": "The result the efficiency model explains.",
    "efficiency.spending": "How spending enters the model.",
    "efficiency.controls": "Student needs and size the model holds equal.",
    "efficiency.folds": "Folds (k) of the cross-validated R².",
    "efficiency.seed": "Seed of the random split into folds, so the R² can be reproduced.",
    "efficiency.min_cv_r2": "The cross-validated R² the model must exceed before any page ranks districts on its residual.",
    "efficiency.alternatives.name": "Other specifications, fitted on the same districts and shown beside the declared one.",
    "efficiency.alternatives.spending": "How spending enters each other specification.",
    "efficiency.alternatives.controls": "The needs each other specification allows for.",
    "peers.numeric": "Characteristics peers are matched on, standardized.",
    "peers.indicators": "Categories peers are matched on, as 0/1 indicators.",
    "peers.k": "Peers per district.",
    "peers.missing": "What a missing characteristic counts as.",
    "peers.weights": "How many times a characteristic's squared difference counts in the distance.",
    "gaps.intersections": "Crossings of student groups reported beside the single groups.",
    "gaps.confidence": "Confidence level of the gap intervals.",
    "topics.title": "The heading of each topic page.",
    "topics.why": "Why the consortium looks at the topic this quarter.",
    "topics.indicators": "The indicators every district is compared on.",
    "topics.questions": "Questions for the districts to discuss.",
    "districts.goals": "Districts that set their own scorecard goals.",
    "districts.peers": "Districts that name their own peers instead of the computed ones.",
}
MODEL_TERMS = {"efficiency.outcome", "efficiency.spending", "efficiency.controls", "efficiency.alternatives.spending", "efficiency.alternatives.controls", "peers.numeric", "peers.indicators"}


def shown_list(values: list) -> str:
    """Indicator codes with their labels, sentences one after another, crossings as 'EL × ECODIS', else joined by commas."""
    texts = [item for item in values if isinstance(item, str)]
    if values and len(texts) == len(values) and all(text in INDICATORS for text in texts):
        return ", ".join(f"{column_label(code)} (`{code}`)" for code in texts)
    if values and len(texts) == len(values) and all(text.rstrip().endswith((".", "?", "!")) for text in texts):
        return " ".join(texts)
    return ", ".join(" × ".join(map(str, item)) if isinstance(item, list) else str(item) for item in values) or "none"


def shown_value(project: Project, key: str, value: object) -> str:
    """A setting as a reader can read it: words for model terms, paths inside the project, lists joined."""
    if key in MODEL_TERMS:
        terms = value if isinstance(value, list) else [value]
        return ", ".join(f"{plain_term(term)} (`{term}`)" for term in terms) or "none"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return project.relative(project.root / value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return shown_list(value)
    if isinstance(value, dict):
        return ", ".join(f"{name}: {item}" for name, item in value.items()) or "none"
    return str(value)


def note(key: str, model: type[BaseModel], name: str) -> str:
    """What a setting means: this page's words, else the field's own description as a sentence."""
    if key in SETTING_NOTES:
        return SETTING_NOTES[key]
    description = (model.model_fields[name].description or "").strip()
    return description[:1].upper() + description[1:].rstrip(".") + "." if description else NONE


def entries_setting(key: str, entries: dict[str, BaseModel], model: type[BaseModel]) -> list[list[str]]:
    """Per-entry settings (each district's section) summed up per field: how many entries set it, and which."""
    rows = []
    for name in model.model_fields:
        setting = f"{key}.{name}"
        which = sorted(entry for entry, item in entries.items() if getattr(item, name))
        noun = key[:-1] if len(which) == 1 and key.endswith("s") else key
        listed = f" ({', '.join(which[:10])}{', …' if len(which) > 10 else ''})" if which else ""
        rows.append([f"`{setting}`", f"{len(which)} {noun}{listed}", note(setting, model, name)])
    return rows


def numbered(values: list[str]) -> str:
    """Values of several entries in one cell, numbered so each lines up with the same entry in the other rows."""
    return values[0] if len(values) == 1 else " ".join(f"({i}) {value}" for i, value in enumerate(values, start=1))


def listed_setting(project: Project, key: str, items: list[BaseModel]) -> list[list[str]]:
    """A list of settings models (topics of the quarter, say): one row per field, the entries' values in order."""
    model = type(items[0])
    return [
        [f"`{key}.{name}`", numbered([shown_value(project, f"{key}.{name}", getattr(item, name)) for item in items]), note(f"{key}.{name}", model, name)]
        for name in model.model_fields
    ]


def entry_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The settings model of each entry of a `dict[str, Model]` field, if that is what the field holds."""
    for argument in getattr(model.model_fields[name].annotation, "__args__", ()):
        if isinstance(argument, type) and issubclass(argument, BaseModel):
            return argument
    return None


def setting_rows(project: Project, settings: BaseModel, prefix: str = "") -> list[list[str]]:
    """One row per setting, walking nested models, so a field added to Settings appears without touching this page."""
    rows = []
    model = type(settings)
    for name in model.model_fields:
        key, value = f"{prefix}{name}", getattr(settings, name)
        entries = entry_model(model, name)
        if isinstance(value, BaseModel):
            rows += setting_rows(project, value, f"{key}.")
        elif isinstance(value, dict) and entries is not None:
            rows += entries_setting(key, value, entries)
        elif isinstance(value, list) and value and all(isinstance(item, BaseModel) for item in value):
            rows += listed_setting(project, key, value)
        else:
            rows.append([f"`{key}`", shown_value(project, key, value), note(key, model, name)])
    return rows


def parameters_section(project: Project, provenance: Provenance) -> str:
    settings = project.settings.model_copy(update={"release": project.release})  # a --release given at build time wins
    table = markdown_table(["Setting", "Value", "What it means"], setting_rows(project, settings), f"Every setting of release {project.release}, from {project.relative(project.params_file)}")
    return f"""## Parameters of this release

The settings every figure of this release was computed with, as the params file states them.

{table}
{provenance.line()}

The parameters hash on this page covers every setting above. A district's or topic's page shows the hash of
the settings its notebook reads: these without the topics and the release date, plus that district's own
section or that topic.

Built with: {", ".join(f"{name} {version}" for name, version in package_versions().items())}.
"""
