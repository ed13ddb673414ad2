"""Generate a release's Quarto project from the executed notebooks, and publish the rendered site atomically.

The same generated project renders with Quarto when it is installed and with smalldocs (pure Python)
otherwise (see `render`). A release renders into `site/<release>/` and never touches another release's files.

Each page carries its own provenance: a notebook page the release, data hash, code commit and parameters
hash recorded when its notebook ran; a generated page those of this build. A page whose notebook did not
run again is therefore byte-identical to the published one, and the renderer need not lay it out again.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path, PurePosixPath

import nbformat
import pandas as pd
import yaml

from districtstat.analyses import actions
from districtstat.privacy import audit, disclosure
from districtstat.site import brief, changes, downloads, methods, versions
from districtstat.data import surveys
from districtstat.site import publish as publishing
from districtstat.data.aggregate import latest_rows
from districtstat.config import Project
from districtstat.privacy.disclosure import protect
from districtstat.site.charts import DISTRICT_LINK
from districtstat.files import read_json, write_atomic, write_json_atomic
from districtstat.site.pages import front_matter, page_script
from districtstat.pipeline import read_manifest
from districtstat.provenance import Provenance, file_sha256, hash_json, package_fingerprint
from districtstat.site.render import renderer_fingerprint
from districtstat.report import Release
from districtstat.execution.runner import Task, scope_hash

# Renderers read source modification times (listings sort on them); a fixed time keeps output byte-stable.
SOURCE_TIME = 315532800  # 1980-01-01, the epoch reproducible builds use


WHAT_CHANGED = "what-changed.qmd"
ACTIONS_PAGE = "actions.ipynb"
# The overview's table of every district needs the page's whole width; its two sections need no contents beside them.
OVERVIEW_META = {"toc": False}
DISTRICT_HREF = re.compile(r'href="' + DISTRICT_LINK + r'([^"]*)"')
# The executed notebooks the release's pages were made from, by path under `build/<release>/districts/`:
# what `verify` re-executes must be these, not a later build's that was never published.
NOTEBOOKS_FILE = "downloads/notebooks.json"
PAGE_TITLES = {"scorecard": "scorecard", "outcome_gaps": "outcome gaps by student group", "efficiency": "spending and results", "peers": "peer districts", "operations": "support services month by month"}


def page_title(notebook: str) -> str:
    return PAGE_TITLES.get(notebook, notebook.replace("_", " "))


def size_band(enrollment: float) -> str:
    if enrollment < 1000:
        return "Small (under 1,000)"
    if enrollment < 10000:
        return "Medium (1,000–9,999)"
    return "Large (10,000 or more)"


def quarto_config(project: Project, previous: str | None) -> str:
    """The project's `_quarto.yml`, with the release's title, footer and generated menus (topics, what changed)."""
    config = yaml.safe_load(project.quarto_config.read_text(encoding="utf-8"))
    website = config.setdefault("website", {})
    generated = []
    if project.settings.topics:
        generated.append({"text": "Topics", "menu": [{"href": f"topics/{t.id}.ipynb", "text": t.title} for t in project.settings.topics]})
    generated.append({"href": ACTIONS_PAGE, "text": "Actions"})
    if previous is not None:
        generated.append({"href": WHAT_CHANGED, "text": "What changed"})
    left = website.setdefault("navbar", {}).setdefault("left", [])
    after_districts = next((i + 1 for i, item in enumerate(left) if isinstance(item, dict) and item.get("href") == "districts.qmd"), len(left))
    left[after_districts:after_districts] = generated
    website["title"] = f"{project.settings.title} · {project.release}"
    website.setdefault("page-footer", {})["center"] = f"districtstat · release {project.release} · provenance at the foot of each page"
    html_format = config.setdefault("format", {}).setdefault("html", {})
    html_format["page-layout"] = "full"  # wide tables use the page's width beside the contents, in Quarto as in smalldocs
    html_format["include-after-body"] = [{"text": page_script(name)} for name in ("release-switcher.js", "district-finder.js", "reading-aids.js")]
    resources = config.setdefault("project", {}).get("resources") or []
    config["project"]["resources"] = [*([resources] if isinstance(resources, str) else resources), "downloads/**", "datapackage.json"]
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def release_date(project: Project) -> str | None:
    """The publication date the params declare: a build never stamps its own date, so rebuilds stay byte-identical."""
    return project.settings.release_date.isoformat() if project.settings.release_date else None


def provenance_html(provenance: Provenance) -> str:
    return f'<p class="provenance">{provenance.line()}</p>'


def notebook_provenance(notebook: nbformat.NotebookNode) -> Provenance:
    recorded = notebook.metadata.get("districtstat", {}).get("provenance", {})
    return Provenance(recorded.get("release", "?"), recorded.get("data_hash", "?"), recorded.get("code_commit", "?"), recorded.get("params_hash", "?"))


def district_links(notebook: nbformat.NotebookNode, page: PurePosixPath, homes: frozenset[str]) -> None:
    """Point each district name and chart mark (`charts.DISTRICT_LINK`) at the district's home, relative to the page;
    a district without a home in this release keeps its name, unlinked."""

    def link(found: re.Match) -> str:
        district_id = html.unescape(found.group(1))
        return f'href="{downloads.link_from(page, PurePosixPath("districts", district_id, "index.html"))}"' if district_id in homes else ""

    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            markup = output.get("data", {}).get("text/html")
            if markup and DISTRICT_LINK in (markup if isinstance(markup, str) else "".join(markup)):
                output["data"]["text/html"] = DISTRICT_HREF.sub(link, markup if isinstance(markup, str) else "".join(markup))


def with_title(notebook_path: Path, title: str, page: PurePosixPath, homes: frozenset[str] = frozenset(), meta: dict | None = None) -> tuple[str, list[tuple[PurePosixPath, str, dict]]]:
    """An executed notebook as a page: a front-matter cell with its title, district names linked to their homes, a
    download link under each table, and its provenance at the foot. Also returns each table's download path, CSV and caption."""
    notebook = nbformat.read(notebook_path, as_version=4)
    district_links(notebook, page, homes)
    used: set[str] = set()
    found = []
    for index, csv, about in downloads.page_tables(notebook):
        path = downloads.download_path(page, str(about.get("caption", "table")), used)
        found.append((index, path, csv, about))
    for index, path, _, about in reversed(found):
        link = f"[Download “{about.get('caption', 'this table')}” (CSV)]({downloads.link_from(page, path)}){{.table-download}}"
        notebook.cells.insert(index + 1, nbformat.v4.new_markdown_cell(link))
    notebook.cells.insert(0, nbformat.v4.new_raw_cell(front_matter({"title": title, **(meta or {})}).rstrip("\n")))
    notebook.cells.append(nbformat.v4.new_markdown_cell(provenance_html(notebook_provenance(notebook))))
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i}"
    return nbformat.writes(notebook) + "\n", [(path, csv, about) for _, path, csv, about in found]


def reported(value: object, template: str) -> str:
    return "not reported" if value is None or pd.isna(value) else template.format(value)


def markdown_text(text: str) -> str:
    """Text whose symbols Markdown would read as markup (the `*` that opens the privacy footnote is no bullet)."""
    return text.replace("*", "\\*")


def district_page(district: pd.Series, notebooks: list[str], topics: list, has_changes: bool, min_n: int = 10) -> str:
    """A district's home: its figures at a glance (all hidden when it has fewer than `min_n` students) and its pages."""
    enrollment = float(district["enrollment"])
    hidden = bool(district.get("enrollment_hidden", False))  # for the previous release's sake (`disclosure.hidden_enrollments`)
    small = 0 < enrollment < min_n or hidden
    front = {
        "title": str(district["district_name"]),
        "subtitle": str(district["district_id"]),
        "description": " · ".join(
            str(part) for part in [None if small else f"{int(enrollment):,} students", district["region"], district.get("locale")] if part is not None and pd.notna(part) and part != ""
        ),
        "categories": [str(district["region"]), size_band(enrollment)],
    }
    shares = ("pct_ecodis", "pct_el", "pct_swd")
    glance = pd.DataFrame(
        {
            "Figure": ["Students", "Economically disadvantaged", "English learners", "Students with disabilities", "Spending per pupil"],
            "students": enrollment,
            "share": [None, *(district.get(column) for column in shares), None],
            "Value": [f"{int(enrollment):,}", *(reported(district.get(column), "{:.1f}%") for column in shares), reported(district.get("per_pupil_spending"), "${:,.0f}")],
        }
    )
    figures = protect(glance, counts={"students": ["Value", "share"]}, min_n=min_n, hidden={"students": [hidden] * len(glance)}, shares={"share": "students"})
    shown = figures.display_frame()
    rounded = figures.frame["share"].notna().to_numpy() & ~figures.suppressed["share"].to_numpy()
    shown.loc[rounded, "Value"] = [f"{value:.0f}%" for value in figures.frame.loc[rounded, "share"]]
    withheld = shown["share"].isin([disclosure.SUPPRESSED, *disclosure.CODED])
    shown.loc[withheld, "Value"] = [f"{code}%" if code in disclosure.CODED else code for code in shown.loc[withheld, "share"]]
    rows = "\n".join(f"| {row['Figure']} | {row['Value']} |" for _, row in shown.iterrows())
    links = "\n".join(f"- [{page_title(name).capitalize()}]({name}.ipynb)" for name in notebooks)
    links += f"\n- [One-page brief, to print or bring to a meeting]({brief.PAGE}) ([PDF]({brief.PDF}))"
    marked = f"?district={district['district_id']}"
    standing = [f"- [Among every district of the consortium: results and spending](../../index.ipynb{marked})"]
    standing += [f"- [Topic of the quarter: {topic.title}](../../topics/{topic.id}.ipynb{marked})" for topic in topics]
    if has_changes:
        standing.append("- [What changed since the previous release](../../what-changed.qmd)")
    footnote = f"{markdown_text(figures.footnote)}\n\n" if figures.footnote else ""
    return (
        f"{front_matter(front)}\n## At a glance\n\n| Figure | Value |\n|---|---|\n{rows}\n\n: Key figures for the latest school year\n\n{footnote}"
        "Shares are of the students enrolled; spending per pupil is current spending divided by enrollment. These figures describe "
        "the district's students and budget; they do not rate the district.\n\n"
        f"## Reports\n\n{links}\n\n## Where it stands\n\nThe consortium's charts, with this district and its peers marked:\n\n" + "\n".join(standing) + "\n"
    )


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
    notebook, whose source file and title) has not changed, so an unchanged page is not even read.

    The record keeps each notebook page's published tables too, so an unchanged page keeps its downloads, and the
    hash of its executed notebook, so an unchanged one is not hashed again."""

    SOURCES = "project-sources.json"

    def __init__(self, target: Path, record: Path, homes: frozenset[str] = frozenset()):
        self.target, self.record, self.homes = target, record, homes
        old = read_record(record)
        self.old, self.old_tables, self.old_sources = old.get("files", {}), old.get("tables", {}), old.get("sources", {})
        self.new: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.tables: dict[str, list[downloads.PublishedTable]] = {}
        self.district_names: dict[str, str] = {}  # what a district page's downloads carry beside its id

    def text(self, relative: str, content: str) -> None:
        path = self.target / relative
        self.new[relative] = hash_json(content)
        if self.old.get(relative) != self.new[relative] or not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")

    def binary(self, relative: str, digest: str, make: Callable[[], bytes]) -> None:
        """Write a file made by `make()` from content whose hash is `digest` (a PDF), making it only when that changed."""
        path = self.target / relative
        self.new[relative] = digest
        if self.old.get(relative) != digest or not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(make())

    def notebook(self, relative: str, executed: Path, title: str, meta: dict | None = None) -> str:
        """Write a notebook page; returns the SHA-256 of the executed notebook it is made from."""
        path = self.target / relative
        stat = executed.stat()
        signature = hash_json([executed.name, stat.st_size, stat.st_mtime_ns, title, meta, sorted(self.homes)])
        self.new[relative] = signature
        unchanged = self.old.get(relative) == signature
        self.sources[relative] = self.old_sources[relative] if unchanged and relative in self.old_sources else file_sha256(executed)
        kept = downloads.from_record(self.old_tables.get(relative, []))
        if unchanged and path.is_file() and all((self.target / t.path).is_file() for t in kept):
            self.tables[relative] = kept
            for table in kept:
                self.new[table.path] = self.old[table.path]
            return self.sources[relative]
        page = PurePosixPath(relative)
        content, tables = with_title(executed, title, page, self.homes, meta)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        self.tables[relative] = []
        for csv_path, csv, about in tables:
            csv = downloads.with_district(csv, page, self.district_names)
            self.text(csv_path.as_posix(), csv)
            self.tables[relative].append(downloads.published_table(csv_path, page, csv, about))
        return self.sources[relative]

    def published_tables(self) -> list[downloads.PublishedTable]:
        return [table for page in sorted(self.tables) for table in self.tables[page]]

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
        tables = {page: downloads.record(kept) for page, kept in sorted(self.tables.items())}
        write_json_atomic(self.record, {"writer": renderer_fingerprint(), "files": self.new, "tables": tables, "sources": self.sources}, indent=None)


def read_record(path: Path) -> dict:
    """The writer's record of the last build, when it was written by this code (else every page is written again)."""
    record = read_json(path)
    return record if record.get("writer") == renderer_fingerprint() else {}


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
    for topic in project.settings.topics:
        task = Task(project.settings.topic_notebook, topic=topic.id)
        sources[task.output_name] = writer.notebook(task.output_name, executed / task.output_name, f"Topic of the quarter: {topic.title}")
    writer.text(NOTEBOOKS_FILE, json.dumps(sources, indent=1, sort_keys=True) + "\n")
    footer = "\n" + provenance_html(provenance) + "\n"
    names = latest["district_name"].astype(str).to_dict()
    generated = write_changes(writer, project, provenance, previous, names, footer)
    write_downloads(writer, project, generated, names, footer)
    writer.text("districts.qmd", listing_page(project.settings.title) + footer)
    writer.text("methods.qmd", methods.methods_page(project, provenance) + footer)
    writer.text("data-quality.qmd", methods.data_quality_page(project) + footer)
    writer.finish()
    return target


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
        page = changes.what_changed_since(project.site_dir / previous, project.release, after, record, names, routines)
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


STUDENT_COUNTS_ABOUT = {
    "caption": "Every student count this release publishes",
    "how_to_read": "One row per count of students (enrolled in a district, or tested in a subject and group) that any page shows, "
    "with * where it is hidden: what the next release keeps consistent with, so that two releases side by side reveal nothing either hides.",
}


def published_tables(project: Project) -> list[downloads.PublishedTable]:
    """The tables the generated project publishes, as the writer recorded them: what the audit reads back."""
    record = read_record(project.build_dir / ProjectWriter.SOURCES)
    return [table for page in sorted(record.get("tables", {})) for table in downloads.from_record(record["tables"][page])]


FIGURES_PAGE = "downloads.qmd"


def write_figures(writer: ProjectWriter, tables: list[downloads.PublishedTable]) -> downloads.PublishedTable:
    """The long file of every published figure, read again from the tables' CSVs only when one of them changed
    (thousands of files on a large consortium); recorded with the pages' tables, so the audit reads its counts too."""
    sources = hash_json([[table.path, table.sha256] for table in tables])
    kept = downloads.from_record(writer.old_tables.get(FIGURES_PAGE, []))
    if kept and kept[0].sources == sources and downloads.FIGURES_FILE in writer.old and (writer.target / downloads.FIGURES_FILE).is_file():
        writer.new[downloads.FIGURES_FILE] = writer.old[downloads.FIGURES_FILE]
        figures = kept[0]
    else:
        text, keys = downloads.published_figures(writer.target, tables)
        writer.text(downloads.FIGURES_FILE, text)
        about = downloads.FIGURES_ABOUT | {"counts": {"n": keys}}
        figures = downloads.published_table(PurePosixPath(downloads.FIGURES_FILE), PurePosixPath(FIGURES_PAGE), text, about, downloads.FIGURE_FIELDS)
        figures = dataclasses.replace(figures, sources=sources)
    writer.tables[FIGURES_PAGE] = [figures]
    return figures


def write_downloads(writer: ProjectWriter, project: Project, generated: list[downloads.PublishedTable], district_names: dict[str, str], footer: str) -> None:
    """The Downloads page and `datapackage.json`, over every table the pages publish and the generated ones."""
    tables = [*generated, *writer.published_tables()]
    long_file = write_figures(writer, writer.published_tables())
    values, _ = audit.counts_by_key(audit.read_counts(writer.target, tables))
    counts = disclosure.student_counts_csv(values, district_names)
    writer.text(disclosure.STUDENT_COUNTS_FILE, counts)
    tables[len(generated):len(generated)] = [
        downloads.published_table(PurePosixPath(disclosure.STUDENT_COUNTS_FILE), PurePosixPath("downloads.qmd"), counts, STUDENT_COUNTS_ABOUT),
        long_file,
    ]
    consortium = [(table.caption, table.path, table.how_to_read) for table in tables if not table.page.startswith("districts/")]
    consortium.append(("Parameters of this release", changes.PARAMETERS_FILE, "The settings, code commit and package versions this release was built with (JSON)"))
    consortium.append(("Executed notebooks", NOTEBOOKS_FILE, "The SHA-256 of each executed notebook the pages were made from, which `districtstat verify` re-executes (JSON)"))
    consortium.append(("datapackage.json", "datapackage.json", "What each file holds and the type of each column, for loading them all at once"))
    title = project.settings.title
    writer.text("datapackage.json", downloads.datapackage(title, project.release, release_date(project), tables))
    writer.text("downloads.qmd", downloads.downloads_page(title, project.release, tables, consortium, district_names) + footer)


def project_signature(project: Project, renderer: str) -> str:
    """One hash of everything the generated project holds (from the writer's record) and the renderer."""
    record = project.build_dir / ProjectWriter.SOURCES
    return hash_json({"sources": record.read_text() if record.is_file() else None, "renderer": renderer, "code": renderer_fingerprint()})


def publish(project: Project, rendered: Path, provenance: Provenance, published: Callable[[], None] = lambda: None) -> Path:
    """Make the rendered release `site/<release>/`, with the version list and home updated, in one atomic swap
    of the site folder (see the `publish` module): a build stopped at any point leaves the site as it was.
    `published()` keeps the build's record of what it published, with Ctrl-C held off until it is done."""
    publishing.publish_release(
        project.site_dir,
        project.release,
        rendered,
        project.build_dir.parent,
        project.relative(project.site_dir),
        lambda folder: versions.write_versions(folder, provenance, release_date(project)),
        published,
    )
    return project.release_site_dir


def restore(project: Project) -> None:
    """Put back the site folder a build stopped while publishing left aside, before this build reads it."""
    publishing.restore(project.site_dir, project.build_dir.parent, project.relative(project.site_dir))
