"""This release's key figures, actions and survey answers as downloads, and, after the first release, the What
changed page that compares them with the previous release's."""

from __future__ import annotations

from pathlib import PurePosixPath

import pandas as pd

from districtstat.analyses import actions
from districtstat.site import changes, downloads, versions
from districtstat.data import surveys
from districtstat.config import Project
from districtstat.files import write_atomic
from districtstat.pipeline import read_manifest
from districtstat.provenance import Provenance, hash_json, package_fingerprint
from districtstat.report import Release
from districtstat.execution.runner import scope_hash
from districtstat.site.project.navigation import WHAT_CHANGED
from districtstat.site.project.writer import ProjectWriter


def comparable_release(project: Project) -> str | None:
    """The release published before this one, when it published key figures to compare with."""
    previous = versions.previous_release(project.site_dir, project.release)
    return previous if previous is not None and (project.site_dir / previous / changes.KEY_FIGURES_FILE).is_file() else None


KEY_FIGURES_ABOUT = {
    "caption": "Key figures of every district, latest year",
    "how_to_read": "One row per district and figure (indicators, equity gaps, efficiency residual, peer ranks): what the next release's What changed page compares with.",
}


ACTIONS_ABOUT = {
    "caption": "Every district's actions",
    "how_to_read": "One row per action a district recorded: the indicator it targets, what it does, the role that owns it, its start "
    "and review dates (YYYY-MM-DD), its status, and whether its review date had passed on the release date: what the next release's What changed page compares with.",
}


SURVEY_ANSWERS_ABOUT = {
    "caption": "Every survey answer of the topics of the quarter",
    "how_to_read": "One row per district and question it answered, as the topic pages show the answer (a number with its unit, "
    "* where a count of students is hidden, empty where left blank): what the districts reported, not checked against other data. "
    "The next release's What changed page compares with it.",
}


def write_changes(writer: ProjectWriter, project: Project, provenance: Provenance, previous: str | None, names: dict[str, str], footer: str) -> list[downloads.PublishedTable]:
    """This release's key figures and parameters as downloads, and, after the first release, what changed since the last."""
    after = key_figures(project)
    record = changes.parameters_record(project, provenance)
    figures = changes.write_key_figures(after)
    writer.text(changes.KEY_FIGURES_FILE, figures)
    writer.text(changes.PARAMETERS_FILE, changes.write_parameters(record))
    release = Release(project)
    recorded = actions.published_actions(release).to_csv(index=False, lineterminator="\n")
    writer.text(changes.ACTIONS_FILE, recorded)
    asked = bool(surveys.surveyed(project.settings))
    answered = surveys.published_answers(release)
    answered.insert(3, "school_year", str(release.latest_year))
    answers = answered.to_csv(index=False, lineterminator="\n")
    if asked:
        writer.text(changes.SURVEY_ANSWERS_FILE, answers)
    if previous is not None:
        before = changes.read_published(project.site_dir / previous / changes.ACTIONS_FILE)
        moved = actions.action_changes(before, changes.published_text(recorded)) if before is not None else None
        routines = [changes.action_section(moved, previous, set(names))]
        if asked:
            earlier = changes.read_published(project.site_dir / previous / changes.SURVEY_ANSWERS_FILE)
            changed = surveys.answer_changes(earlier, changes.published_text(answers)) if earlier is not None else None
            routines.append(changes.answer_section(changed, previous, set(names)))
        movement = changes.usual_movements(release.history, after["figure"])
        page = changes.what_changed_since(project.site_dir / previous, project.release, after, record, names, routines, movement)
        writer.text(WHAT_CHANGED, page + footer)
    published = [downloads.published_table(PurePosixPath(path), PurePosixPath("downloads.qmd"), text, about) for path, text, about in [
        (changes.KEY_FIGURES_FILE, figures, KEY_FIGURES_ABOUT),
        (changes.ACTIONS_FILE, recorded, ACTIONS_ABOUT),
        *([(changes.SURVEY_ANSWERS_FILE, answers, SURVEY_ANSWERS_ABOUT)] if asked else []),
    ]]
    return published


def key_figures(project: Project) -> pd.DataFrame:
    """The release's key figures as published, computed again only when the tables or settings change (seconds on large consortia)."""
    key = hash_json({"tables": read_manifest(project).get("tables_hash"), "settings": scope_hash(project, None), "code": package_fingerprint()})
    cache = project.build_dir / "key-figures.csv"
    recorded = project.build_dir / "key-figures.key"
    if not (cache.is_file() and recorded.is_file() and recorded.read_text() == key):
        write_atomic(cache, changes.write_key_figures(changes.key_figures(Release(project))))
        write_atomic(recorded, key)
    return changes.read_key_figures(cache)  # as published, rounded: a fresh build and a rebuild compare the same numbers
