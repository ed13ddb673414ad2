"""Downloads: every table a page publishes, as CSV beside the page, described by the release's `datapackage.json`.

A notebook's `report.show_table` output carries the disclosure-controlled table as CSV (see `report.TABLE_CSV`);
the site writes it under `downloads/` and links it under the table. Nothing reaches a download that did not
go through `show_table`, so downloads and pages publish exactly the same cells.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd

from .disclosure import CODED, SUPPRESSED
from .pages import front_matter, markdown_table
from .report import TABLE_CSV

DOWNLOADS = PurePosixPath("downloads")
MISSING = ["", SUPPRESSED, *CODED]


@dataclass(frozen=True)
class PublishedTable:
    """One CSV download: where it lives in the release, what it is, and the fields a reader's software expects."""

    path: str
    page: str
    caption: str
    how_to_read: str
    fields: list[dict]
    sha256: str
    bytes: int
    counts: dict[str, list[str | None]] | None = None

    def resource(self, used: set[str]) -> dict:
        """Its entry in `datapackage.json` (Frictionless Tabular Data Resource)."""
        return {
            "name": unique_name(slug(PurePosixPath(self.path).with_suffix("").as_posix()), used),
            "path": self.path,
            "title": self.caption,
            "description": self.how_to_read,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": self.bytes,
            "hash": f"sha256:{self.sha256}",
            "schema": {"fields": self.fields, "missingValues": MISSING},
        }


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "table"


def unique_name(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}-{n}", n + 1
    used.add(candidate)
    return candidate


def field_type(values: pd.Series) -> str:
    """The Table Schema type of a column as published: suppressed cells (`*`) and blanks are missing values."""
    shown = values[~values.isin(MISSING) & values.notna()]
    numbers = pd.to_numeric(shown, errors="coerce")
    if shown.empty or numbers.isna().any():
        return "string"
    return "integer" if (numbers == numbers.round()).all() and not shown.str.contains(r"[.eE]").any() else "number"


def table_fields(csv: str) -> list[dict]:
    frame = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
    return [{"name": column, "type": field_type(frame[column])} for column in frame.columns]


def page_tables(notebook) -> list[tuple[int, str, dict]]:
    """(cell index, CSV, caption and how-to-read) of each table a notebook page publishes, in page order."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if TABLE_CSV in output.get("data", {}):
                about = output.get("metadata", {}).get("districtstat", {}).get("table") or {}
                found.append((index, output["data"][TABLE_CSV], about))
    return found


def download_path(page: PurePosixPath, caption: str, used: set[str]) -> PurePosixPath:
    """`downloads/<page folder>/<page>/<caption>.csv`: stable across releases, so readers' scripts keep working."""
    folder = DOWNLOADS / page.parent / page.stem
    return folder / f"{unique_name(slug(caption), used)}.csv"


def published_table(path: PurePosixPath, page: PurePosixPath, csv: str, about: dict) -> PublishedTable:
    data = csv.encode("utf-8")
    return PublishedTable(
        path=path.as_posix(),
        page=page.as_posix(),
        caption=str(about.get("caption", path.stem)),
        how_to_read=str(about.get("how_to_read", "")),
        fields=table_fields(csv),
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        counts=about.get("counts"),
    )


def link_from(page: PurePosixPath, target: PurePosixPath) -> str:
    """A relative link from a page to a file of the same release."""
    depth = len(page.parent.parts)
    return "/".join([".."] * depth + [target.as_posix()]) if depth else target.as_posix()


def datapackage(title: str, release: str, release_date: str | None, tables: list[PublishedTable]) -> str:
    """The release's `datapackage.json`: every CSV with its fields, so the data can be loaded without the site."""
    used: set[str] = set()
    package = {
        "profile": "tabular-data-package",
        "name": slug(f"{title} {release}"),
        "title": f"{title}, release {release}",
        "version": release,
        **({"created": release_date} if release_date else {}),
        "description": "Every table published on the districtstat report site of this release, after disclosure control. "
        f"A cell shown as {SUPPRESSED} was hidden to protect student privacy; {' and '.join(CODED)} are percentages of a small group "
        "shown only as at most 5% or at least 95% (read as missing by software).",
        "resources": [table.resource(used) for table in tables],
    }
    return one_resource_per_line(package)


def one_resource_per_line(package: dict) -> str:
    """JSON with one line per resource: readable, and written by the C encoder (indenting 4,000 resources takes seconds)."""
    resources = package.pop("resources")
    head = json.dumps(package, ensure_ascii=False)[:-1]
    lines = ",\n  ".join(json.dumps(resource, ensure_ascii=False) for resource in resources)
    return head + ', "resources": [\n  ' + lines + "\n]}\n"


def record(tables: list[PublishedTable]) -> list[dict]:
    """The tables as the writer's record keeps them; shallow (unlike `asdict`), as thousands are written per build."""
    return [dict(vars(table)) for table in tables]


def from_record(entries: list[dict]) -> list[PublishedTable]:
    return [PublishedTable(**entry) for entry in entries]


def downloads_page(title: str, release: str, tables: list[PublishedTable], consortium_files: list[tuple[str, str, str]], district_names: dict[str, str]) -> str:
    """The Downloads page: the consortium-wide files first, then each district's tables by page."""
    rows = [[f"[{name}]({path})", description] for name, path, description in consortium_files]
    parts = [
        front_matter({"title": "Downloads"}),
        f"Every table on this site as CSV, after disclosure control: a cell shown as `{SUPPRESSED}` was hidden to protect "
        "student privacy and is never a zero. [datapackage.json](datapackage.json) describes every file and its columns "
        "(Frictionless Data Package), so statistical software can load them all at once.\n",
        "## The consortium\n",
        markdown_table(["File", "What it holds"], rows, f"Consortium-wide downloads of release {release}"),
    ]
    by_district: dict[str, list[PublishedTable]] = {}
    for table in tables:
        parts_of_page = PurePosixPath(table.page).parts
        if len(parts_of_page) == 3 and parts_of_page[0] == "districts":
            by_district.setdefault(parts_of_page[1], []).append(table)
    if by_district:
        parts.append("## Each district\n")
        rows = []
        for district_id in sorted(by_district, key=lambda d: (district_names.get(d, d), d)):
            links = " · ".join(f"[{table.caption}]({table.path})" for table in by_district[district_id])
            rows.append([f"[{district_names.get(district_id, district_id)}](districts/{district_id}/index.qmd)", links])
        parts.append(markdown_table(["District", "Tables (CSV)"], rows, "Each district's tables, in the order its pages show them"))
    return "\n".join(parts)
