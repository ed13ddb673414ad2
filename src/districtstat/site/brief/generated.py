"""The briefs in the generated project: each district's brief, read again from its pages only when they, its settings
or the code changed, written as a page and a PDF; and the student counts the briefs show, for the audit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from districtstat.data.aggregate import latest_rows
from districtstat.config import Project
from districtstat.files import read_json, write_json_atomic
from districtstat.provenance import Provenance, hash_json
from districtstat.execution.runner import scope_hash
from districtstat.site.brief.content import brief, published_on
from districtstat.site.brief.layout import PAGE, PDF, brief_page
from districtstat.site.brief.reading import Page, page_path
from districtstat.site.brief.typeset import brief_pdf, code_version

CACHE = "briefs.json"


def source_key(project: Project, district_id: str, overview: Path, provenance: Provenance) -> str:
    """A brief's key: its executed pages (as the project writer knows them, by size and time), its settings and provenance."""
    paths = [overview, *(page_path(project, notebook, district_id) for notebook in project.settings.district_notebooks)]
    stats = [[path.name, path.stat().st_size, path.stat().st_mtime_ns] if path.is_file() else [path.name] for path in paths]
    settings = [project.settings.title, project.release, published_on(project), scope_hash(project, district_id)]
    return hash_json({"pages": stats, "settings": settings, "provenance": dataclasses.asdict(provenance), "code": code_version()})


def district_names(project: Project) -> dict[str, str]:
    """Each district's name in the latest year, as its home page is titled."""
    indicators = pd.read_parquet(project.tables_dir / "district_indicators.parquet", columns=["district_id", "school_year", "district_name"])
    return latest_rows(indicators).set_index("district_id")["district_name"].astype(str).to_dict()


def district_briefs(project: Project, districts: list[str], provenance: Provenance) -> dict[str, dict]:
    """Each district's brief, read again from its pages only when they, its settings or this code changed."""
    cache_file = project.build_dir / CACHE
    old = read_json(cache_file)
    overview_path = page_path(project, project.settings.overview_notebook)
    overview = names = None
    made = {}
    for district_id in districts:
        scoped = dataclasses.replace(provenance, params_hash=scope_hash(project, district_id))
        key = source_key(project, district_id, overview_path, scoped)
        if old.get(district_id, {}).get("key") == key:
            made[district_id] = old[district_id]
            continue
        if names is None:
            overview, names = Page.read(overview_path), district_names(project)
        made[district_id] = {"key": key, "brief": brief(project, district_id, names[district_id], overview, scoped)}
    if made != old:
        write_json_atomic(cache_file, made, indent=None)
    return {district_id: entry["brief"] for district_id, entry in made.items()}


def write_briefs(writer, project: Project, districts: list[str], provenance: Provenance) -> None:
    """Write each district's brief page and PDF into the generated project; a PDF whose brief is unchanged is not
    laid out again."""
    for district_id, data in district_briefs(project, districts, provenance).items():
        writer.text(f"districts/{district_id}/{PAGE}", brief_page(data))
        writer.binary(f"districts/{district_id}/{PDF}", hash_json({"brief": data, "code": code_version()}), lambda data=data: brief_pdf(data))


def shown_counts(project: Project) -> list:
    """The student counts the briefs show, as the audit reads a published table's: each must be shown as the pages show it."""
    from districtstat.privacy.audit import PublishedCount

    briefs = read_json(project.build_dir / CACHE)
    return [
        PublishedCount(count["key"], count["value"], f"districts/{district_id}/{PDF}", 1, count["column"])
        for district_id, entry in sorted(briefs.items())
        for count in entry["brief"]["counts"]
    ]
