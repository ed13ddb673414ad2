"""The Downloads page and `datapackage.json`, over every table the pages publish, with the files only they publish:
every student count, the long file of every figure, and the executed notebooks the pages were made from."""

from __future__ import annotations

import dataclasses
from pathlib import PurePosixPath

from districtstat.privacy import audit, disclosure
from districtstat.site import changes, downloads
from districtstat.config import Project
from districtstat.provenance import hash_json
from districtstat.site.project.publication import release_date
from districtstat.site.project.writer import ProjectWriter

# The executed notebooks the release's pages were made from, by path under `build/<release>/districts/`:
# what `verify` re-executes must be these, not a later build's that was never published.
NOTEBOOKS_FILE = "downloads/notebooks.json"


STUDENT_COUNTS_ABOUT = {
    "caption": "Every student count this release publishes",
    "how_to_read": "One row per count of students (enrolled in a district, or tested in a subject and group) that any page shows, "
    "with * where it is hidden: what the next release keeps consistent with, so that two releases side by side reveal nothing either hides.",
}


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
