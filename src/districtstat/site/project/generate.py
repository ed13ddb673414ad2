"""Laying out a release's Quarto project page by page: config, home, districts and their briefs, actions, topics,
downloads, listing, methods and data quality, through one `ProjectWriter`."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path

import pandas as pd

from districtstat.site import brief, methods
from districtstat.data.aggregate import latest_rows
from districtstat.config import Project
from districtstat.provenance import Provenance
from districtstat.execution.runner import Task, scope_hash
from districtstat.site.project.district_pages import district_page
from districtstat.site.project.downloads_page import NOTEBOOKS_FILE, write_downloads
from districtstat.site.project.navigation import ACTIONS_PAGE, listing_page, page_title, quarto_config
from districtstat.site.project.notebook_pages import provenance_html
from districtstat.site.project.what_changed import comparable_release, write_changes
from districtstat.site.project.writer import ProjectWriter

# The overview's table of every district needs the page's whole width; its two sections need no contents beside them.
OVERVIEW_META = {"toc": False}


def finder_categories(latest: pd.DataFrame) -> tuple[str, str]:
    """What the district finder filters by, in words, and a note on what the data do not give it."""
    region = "region" in latest and latest["region"].notna().all()
    size = "enrollment_reported" not in latest or bool(latest["enrollment_reported"].all())
    by = " or ".join(word for word, given in (("a region", region), ("size", size)) if given)
    missing = " or ".join(word for word, given in (("regions", region), ("enrollments", size)) if not given)
    return by, f"The data do not report the districts' {missing}, so the finder cannot filter by them." if missing else ""


def write_project(project: Project, tasks: list[Task], provenance: Provenance) -> Path:
    """Lay out the release's Quarto project: config, home, listing, district pages, methods, data quality."""
    target = project.project_dir
    target.mkdir(parents=True, exist_ok=True)
    homes = frozenset(t.district_id for t in tasks if t.district_id)
    writer = ProjectWriter(target, project.build_dir / ProjectWriter.SOURCES, homes)
    previous = comparable_release(project)
    writer.text("_quarto.yml", quarto_config(project, previous))
    writer.text("styles.css", resources.files("districtstat").joinpath("templates/styles.css").read_text(encoding="utf-8"))
    indicators = pd.read_parquet(project.tables_dir / "district_indicators.parquet")
    latest = latest_rows(indicators).set_index("district_id")
    writer.district_names = latest["district_name"].astype(str).to_dict()
    executed = project.executed_dir
    overview = Task(project.settings.overview_notebook)
    sources = {overview.output_name: writer.notebook("index.ipynb", executed / overview.output_name, project.settings.title, OVERVIEW_META)}
    for district_id in sorted({t.district_id for t in tasks if t.district_id}):
        row = latest.loc[district_id].copy()
        row["district_id"] = district_id
        scoped = dataclasses.replace(provenance, params_hash=scope_hash(project, district_id))
        writer.text(f"districts/{district_id}/index.qmd", district_page(row, project.settings.district_notebooks, project.settings.topics, previous is not None, project.settings.min_n) + "\n" + provenance_html(scoped) + "\n")
        for notebook in project.settings.district_notebooks:
            title = f"{row['district_name']}: {page_title(notebook)}"
            task = Task(notebook, district_id)
            sources[task.output_name] = writer.notebook(f"districts/{district_id}/{notebook}.ipynb", executed / task.output_name, title)
    brief.write_briefs(writer, project, sorted(homes), provenance)
    actions = Task(project.settings.actions_notebook)
    sources[actions.output_name] = writer.notebook(ACTIONS_PAGE, executed / actions.output_name, "Action plans across the consortium")
    for notebook in project.settings.consortium_notebooks:
        task = Task(notebook)
        sources[task.output_name] = writer.notebook(task.output_name, executed / task.output_name, page_title(notebook).capitalize())
    for topic in project.settings.topics:
        task = Task(project.settings.topic_notebook, topic=topic.id)
        sources[task.output_name] = writer.notebook(task.output_name, executed / task.output_name, f"Topic of the quarter: {topic.title}")
    writer.text(NOTEBOOKS_FILE, json.dumps(sources, indent=1, sort_keys=True) + "\n")
    footer = "\n" + provenance_html(provenance) + "\n"
    names = latest["district_name"].astype(str).to_dict()
    generated = write_changes(writer, project, provenance, previous, names, footer)
    write_downloads(writer, project, generated, names, footer)
    writer.text("districts.qmd", listing_page(project.settings.title, *finder_categories(latest)) + footer)
    writer.text("methods.qmd", methods.methods_page(project, provenance) + footer)
    writer.text("data-quality.qmd", methods.data_quality_page(project) + footer)
    writer.finish()
    return target
