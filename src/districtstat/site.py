"""Generate a release's Quarto project from the executed notebooks, and publish the rendered site atomically.

The same generated project renders with Quarto when it is installed and with smalldocs (pure Python)
otherwise (see `render`). A release renders into `site/<release>/` and never touches another release's files.

Each page carries its own provenance: a notebook page the release, data hash, code commit and parameters
hash recorded when its notebook ran; a generated page those of this build. A page whose notebook did not
run again is therefore byte-identical to the published one, and the renderer need not lay it out again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from importlib import resources
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from .aggregate import latest_rows
from .config import Project
from . import methods, versions
from .disclosure import protect
from .pages import front_matter
from .provenance import Provenance, hash_json
from .files import write_atomic, write_json_atomic
from .runner import Task, scope_hash

# Renderers read source modification times (listings sort on them); a fixed time keeps output byte-stable.
SOURCE_TIME = 315532800  # 1980-01-01, the epoch reproducible builds use


PAGE_TITLES = {"scorecard": "scorecard", "outcome_gaps": "outcome gaps by student group", "efficiency": "spending and results", "peers": "peer districts"}


def page_title(notebook: str) -> str:
    return PAGE_TITLES.get(notebook, notebook.replace("_", " "))


def size_band(enrollment: float) -> str:
    if enrollment < 1000:
        return "Small (under 1,000)"
    if enrollment < 10000:
        return "Medium (1,000–9,999)"
    return "Large (10,000 or more)"


def quarto_config(project: Project) -> str:
    """The project's `_quarto.yml`, with the release's title and footer: the same for every build of a release."""
    config = yaml.safe_load(project.quarto_config.read_text(encoding="utf-8"))
    website = config.setdefault("website", {})
    website["title"] = f"{project.settings.title} · {project.release}"
    website.setdefault("page-footer", {})["center"] = f"districtstat · release {project.release} · provenance at the foot of each page"
    html_format = config.setdefault("format", {}).setdefault("html", {})
    html_format["include-after-body"] = [{"text": versions.switcher_include()}]
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def release_date(project: Project) -> str | None:
    """The publication date the params declare: a build never stamps its own date, so rebuilds stay byte-identical."""
    return project.settings.release_date.isoformat() if project.settings.release_date else None


def provenance_html(provenance: Provenance) -> str:
    return f'<p class="provenance">{provenance.line()}</p>'


def notebook_provenance(notebook: nbformat.NotebookNode) -> Provenance:
    recorded = notebook.metadata.get("districtstat", {}).get("provenance", {})
    return Provenance(recorded.get("release", "?"), recorded.get("data_hash", "?"), recorded.get("code_commit", "?"), recorded.get("params_hash", "?"))


def with_title(notebook_path: Path, title: str) -> str:
    """An executed notebook with a front-matter raw cell giving its page title, and its provenance at the foot."""
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_raw_cell(front_matter({"title": title}).rstrip("\n")))
    notebook.cells.append(nbformat.v4.new_markdown_cell(provenance_html(notebook_provenance(notebook))))
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i}"
    return nbformat.writes(notebook) + "\n"


def reported(value: object, template: str) -> str:
    return "not reported" if value is None or pd.isna(value) else template.format(value)


def district_page(district: pd.Series, notebooks: list[str]) -> str:
    front = {
        "title": str(district["district_name"]),
        "subtitle": str(district["district_id"]),
        "description": " · ".join(str(part) for part in [f"{int(district['enrollment']):,} students", district["region"], district.get("locale")] if pd.notna(part) and part != ""),
        "categories": [str(district["region"]), size_band(float(district["enrollment"]))],
    }
    figures = protect(
        pd.DataFrame(
            {
                "Figure": ["Students", "Economically disadvantaged", "English learners", "Students with disabilities", "Spending per pupil"],
                "Value": [
                    f"{int(district['enrollment']):,}",
                    *(reported(district.get(column), "{:.1f}%") for column in ("pct_ecodis", "pct_el", "pct_swd")),
                    reported(district.get("per_pupil_spending"), "${:,.0f}"),
                ],
            }
        ),
        counts={},
    )
    rows = "\n".join(f"| {row['Figure']} | {row['Value']} |" for _, row in figures.display_frame().iterrows())
    links = "\n".join(f"- [{page_title(name).capitalize()}]({name}.ipynb)" for name in notebooks)
    return f"{front_matter(front)}\n## At a glance\n\n| Figure | Value |\n|---|---|\n{rows}\n\n: Key figures for the latest school year\n\n## Reports\n\n{links}\n"


def listing_page(settings_title: str) -> str:
    front = {
        "title": "Districts",
        "listing": {
            "contents": "districts/*/index.qmd",
            "type": "table",
            "fields": ["title", "subtitle", "description", "categories"],
            "field-display-names": {"title": "District", "subtitle": "Id", "description": "Profile", "categories": "Region and size"},
            "sort": "title",
            "filter-ui": True,
            "sort-ui": True,
            "categories": True,
            "page-size": 100,
        },
    }
    return f"{front_matter(front)}\nEvery district in {settings_title}. Type in the filter box to find a district by name, or choose a region or size on the right.\n"


class ProjectWriter:
    """Writes the generated project's files, leaving alone those whose content (or, for an executed
    notebook, whose source file and title) has not changed, so an unchanged page is not even read."""

    SOURCES = "project-sources.json"

    def __init__(self, target: Path, record: Path):
        self.target, self.record = target, record
        self.old = json.loads(record.read_text()) if record.is_file() else {}
        self.new: dict[str, str] = {}

    def text(self, relative: str, content: str) -> None:
        path = self.target / relative
        self.new[relative] = hash_json(content)
        if self.old.get(relative) != self.new[relative] or not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")

    def notebook(self, relative: str, executed: Path, title: str) -> None:
        path = self.target / relative
        stat = executed.stat()
        signature = hash_json([executed.name, stat.st_size, stat.st_mtime_ns, title])
        self.new[relative] = signature
        if self.old.get(relative) != signature or not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(with_title(executed, title), encoding="utf-8")

    def finish(self) -> None:
        """Remove what this build did not write (the rendered output aside) and fix every modification time."""
        for path in sorted(self.target.rglob("*"), reverse=True):
            relative = path.relative_to(self.target).as_posix()
            if relative == "_site" or relative.startswith("_site/"):
                continue
            if path.is_file() and relative not in self.new:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        for relative in self.new:
            os.utime(self.target / relative, (SOURCE_TIME, SOURCE_TIME))
        write_json_atomic(self.record, self.new)


def write_project(project: Project, tasks: list[Task], provenance: Provenance) -> Path:
    """Lay out the release's Quarto project: config, home, listing, district pages, methods, data quality."""
    target = project.project_dir
    target.mkdir(parents=True, exist_ok=True)
    writer = ProjectWriter(target, project.build_dir / ProjectWriter.SOURCES)
    writer.text("_quarto.yml", quarto_config(project))
    writer.text("styles.css", resources.files("districtstat").joinpath("templates/styles.css").read_text(encoding="utf-8"))
    indicators = pd.read_parquet(project.tables_dir / "district_indicators.parquet")
    latest = latest_rows(indicators).set_index("district_id")
    executed = project.executed_dir
    writer.notebook("index.ipynb", executed / f"{project.settings.overview_notebook}.ipynb", project.settings.title)
    for district_id in sorted({t.district_id for t in tasks if t.district_id}):
        row = latest.loc[district_id].copy()
        row["district_id"] = district_id
        scoped = dataclasses.replace(provenance, params_hash=scope_hash(project, district_id))
        writer.text(f"districts/{district_id}/index.qmd", district_page(row, project.settings.district_notebooks) + "\n" + provenance_html(scoped) + "\n")
        for notebook in project.settings.district_notebooks:
            title = f"{row['district_name']}: {page_title(notebook)}"
            writer.notebook(f"districts/{district_id}/{notebook}.ipynb", executed / district_id / f"{notebook}.ipynb", title)
    footer = "\n" + provenance_html(provenance) + "\n"
    writer.text("districts.qmd", listing_page(project.settings.title) + footer)
    writer.text("methods.qmd", methods.methods_page(project, provenance) + footer)
    writer.text("data-quality.qmd", methods.data_quality_page(project) + footer)
    writer.finish()
    return target


def project_signature(project: Project, renderer: str) -> str:
    """One hash of everything the generated project holds (from the writer's record) and the renderer."""
    from .render import renderer_fingerprint

    record = project.build_dir / ProjectWriter.SOURCES
    return hash_json({"sources": record.read_text() if record.is_file() else None, "renderer": renderer, "code": renderer_fingerprint()})


def publish(project: Project, rendered: Path, provenance: Provenance) -> Path:
    """Move the rendered release into `site/<release>/` by renames, then update the version list and home."""
    site = project.site_dir
    site.mkdir(parents=True, exist_ok=True)
    staging = site / f".staging-{project.release}"
    shutil.rmtree(staging, ignore_errors=True)
    rendered.rename(staging)
    target = project.release_site_dir
    previous = site / f".previous-{project.release}"
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)
    versions.write_versions(site, provenance, release_date(project))
    return target
