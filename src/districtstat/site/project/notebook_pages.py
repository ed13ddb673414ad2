"""An executed notebook as a page of the site: its title, district names linked to their homes, a download link
under each table, and at its foot the provenance recorded when it ran (the footer every page carries)."""

from __future__ import annotations

import html
import re
from pathlib import Path, PurePosixPath

import nbformat

from districtstat.site import downloads
from districtstat.site.charts import DISTRICT_LINK
from districtstat.site.pages import front_matter
from districtstat.provenance import Provenance

DISTRICT_HREF = re.compile(r'href="' + DISTRICT_LINK + r'([^"]*)"')


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
    notebook = nbformat.convert(nbformat.reader.reads(notebook_path.read_text(encoding="utf-8")), 4)
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
    # Written as `nbformat.writes` would, without checking it against the schema again: the build wrote and checked
    # each executed notebook, and a check only logs (a fifth of writing California's pages, twice over).
    return nbformat.versions[4].writes_json(notebook) + "\n", [(path, csv, about) for _, path, csv, about in found]
