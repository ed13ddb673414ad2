"""The settings a release was built with, as it publishes them (`downloads/parameters.json`), and the plain
sentences that say which settings, code or libraries changed between two releases."""

from __future__ import annotations

import json
from pathlib import Path

from districtstat.config import Project
from districtstat.provenance import Provenance, package_versions

SETTING_WORDS = {
    "min_n": "the smallest group whose figures are published",
    "protection_margin": "the narrowest range a hidden count may be placed in",
    "efficiency.outcome": "the result the efficiency model explains",
    "efficiency.spending": "how spending enters the efficiency model",
    "efficiency.controls": "the student needs the efficiency model allows for",
    "peers.numeric": "the characteristics peers are chosen on",
    "peers.indicators": "the categories peers are matched on",
    "peers.k": "how many peers each district has",
    "peers.missing": "how a missing characteristic is treated when choosing peers",
    "gaps.confidence": "the confidence level of gap intervals",
}
# Keys that differ between releases without changing any figure: names, dates, folders, the topics of the quarter.
NOT_A_SETTING = {"release", "release_date", "title", "data_dir", "site_dir", "topics", "topic_notebook", "overview_notebook", "params_hash", "data_hash"}


def parameters_record(project: Project, provenance: Provenance) -> dict:
    """What a release publishes as `downloads/parameters.json`: every setting (goals are public) and what it was built with."""
    record = project.settings.model_dump(mode="json")
    record["release"] = project.release
    return record | {
        "code_commit": provenance.code_commit,
        "data_hash": provenance.data_hash,
        "params_hash": provenance.params_hash,
        "package_versions": package_versions(),
    }


def write_parameters(record: dict) -> str:
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_parameters(path: str | Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def flatten(settings: dict, prefix: str = "") -> dict[str, object]:
    """Nested settings as dotted keys; a list is one value, and an unset (null) setting is no setting."""
    flat: dict[str, object] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif value is not None:
            flat[name] = value
    return flat


def shown_setting(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return format(value, ".12g")
    if isinstance(value, list):
        return "[" + ", ".join(shown_setting(item) for item in value) + "]"
    return str(value)


def setting_sentence(key: str, old: object, new: object) -> str:
    if old is None:
        sentence = f"`{key}`: added ({shown_setting(new)})"
    elif new is None:
        sentence = f"`{key}`: removed (was {shown_setting(old)})"
    else:
        sentence = f"`{key}`: {shown_setting(old)} → {shown_setting(new)}"
    return sentence + (f" — {SETTING_WORDS[key]}" if key in SETTING_WORDS else "")


def method_sentences(before: dict, after: dict) -> list[str]:
    """The code and the libraries it ran on: a change there can move figures although no setting changed."""
    notes = []
    if before.get("code_commit") != after.get("code_commit"):
        notes.append(f"Analysis code changed: commit {before.get('code_commit') or 'unknown'} → {after.get('code_commit') or 'unknown'}")
    old, new = before.get("package_versions") or {}, after.get("package_versions") or {}
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            notes.append(f"{name} {old.get(name, 'not used')} → {new.get(name, 'not used')}")
    return notes


def settings_changes(before: dict, after: dict) -> list[str]:
    """One plain sentence per changed setting between two releases' parameters, then any change of code or libraries."""
    methods = {"code_commit", "package_versions"}
    old = flatten({k: v for k, v in before.items() if k not in NOT_A_SETTING | methods})
    new = flatten({k: v for k, v in after.items() if k not in NOT_A_SETTING | methods})
    sentences = [setting_sentence(key, old.get(key), new.get(key)) for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
    return sentences + method_sentences(before, after)
