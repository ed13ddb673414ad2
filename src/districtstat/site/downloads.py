"""Downloads: every table a page publishes, as CSV beside the page, described by the release's `datapackage.json`.

A notebook's `report.show_table` output carries the disclosure-controlled table as CSV (see `report.TABLE_CSV`);
the site writes it under `downloads/` and links it under the table. Nothing reaches a download that did not
go through `show_table`, so downloads and pages publish exactly the same cells, to the same digit.

Each file stands alone: its district's id and name, and the school year, are columns of it. The long file
(`published_figures.csv`) holds every figure of those files, one row each, read back from the files themselves.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from districtstat.privacy.disclosure import CODED, SUPPRESSED
from districtstat.site.pages import front_matter, markdown_table
from districtstat.report import TABLE_CSV

DOWNLOADS = PurePosixPath("downloads")
MISSING = ["", SUPPRESSED, *CODED]
MISSING_SET = frozenset(MISSING)
FIGURES_FILE = "downloads/published_figures.csv"
SCHOOL_YEAR = "the spring year of the school year: 2024 is 2023–24 (for finance, the fiscal year ending that spring)"
KEY_FIELDS = {
    "district_id": "The district's id in the data (the NCES LEA id where the data have one); read it as text, since an id may begin with 0.",
    "district_name": "The district's name.",
    "school_year": f"The school year the figures are of, as {SCHOOL_YEAR}.",
    "peer_district_id": "The id of the peer district the row names.",
}
FIELD_KEYS = ("name", "type", "unit", "description")  # one order, whatever order the writer's record keeps them in
ROW_UNIT = "given by each row"  # the row's Unit column, or what its row names ("% English learners")
UNIT_COLUMNS = ("Unit", "unit")
SUBJECT_COLUMNS, GROUP_COLUMNS, COMPARED_COLUMNS = ("Subject", "subject"), ("Group", "group"), ("Compared with",)
# What a row of a table names, when it is not a district, subject or group alone.
INDICATOR_COLUMNS = ("Indicator", "Characteristic", "Spending category", "Term", "Model", "Peer district", "Line or signal")
# A column's unit from its label, as the pages write labels; the first rule that matches names it.
UNIT_RULES = tuple(
    (re.compile(pattern, re.IGNORECASE), unit)
    for pattern, unit in (
        (r"percentage points|pct\. pts", "percentage points"),
        (r"points per unit", "points per unit of the term"),
        (r"SD units", "SD units"),
        (r"\(\$( per pupil)?\)", "$ per pupil"),
        (r"points\)$|^points vs\. predicted$", "points"),
        (r"^log of", "natural log"),
        (r"^%|\(%\)$", "%"),
        (r"^students\b|^n$", "students"),
        (r"^(districts|of)$", "districts"),
        (r"^rank\b", "rank"),
        (r"percentile", "percentile (0–100)"),
        (r"R²$", "share of variance (R²)"),
        (r"^t$", "t statistic"),
        (r"^p$", "p-value"),
        (r"per pupil$", "$ per pupil"),
        (r"income$", "$"),
    )
)
YEAR_COLUMN = re.compile(r"^(\d{4})–\d{2}\b")
NUMBER = r"[+\-−]?\d[\d,]*(?:\.\d+)?"
ONE_NUMBER = re.compile(r"(?<![\d.])([+\-−]?)\s*\$?\s*(\d[\d,]*(?:\.\d+)?)(?![\d.])")
INTERVAL = re.compile(rf"^\s*({NUMBER})\s+to\s+({NUMBER})\s*$")
SIGNS = re.compile(r"[$,+%\s]")
PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", re.IGNORECASE)


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
    rests_on: dict[str, str] | None = None
    sources: str | None = None  # the long file: a hash of the tables it was read from
    percents: dict[str, str] | None = None  # each column of percentages of students, and the column of the count it is of

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
            "schema": {"fields": [{key: field[key] for key in FIELD_KEYS if key in field} for field in self.fields], "missingValues": MISSING},
        }


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "table"


def unique_name(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}-{n}", n + 1
    used.add(candidate)
    return candidate


def shown_number(text: str) -> str | None:
    """The number a page cell shows, as a download writes it: `−$1,204` → `-1204`, `61.1%` → `61.1`, `+0.25` → `0.25`,
    `2.5 days` → `2.5`; None when the cell is not one number (an interval, a word)."""
    plain = SIGNS.sub("", text).replace("−", "-")
    number = plain if PLAIN_NUMBER.fullmatch(plain) else None
    if number is None:
        found = ONE_NUMBER.findall(text)
        if len(found) != 1:
            return None
        sign, digits = found[0]
        number = ("-" if sign in ("-", "−") else "") + digits.replace(",", "")
    return number.lstrip("-") if float(number) == 0 else number


def interval(text: str) -> tuple[str, str] | None:
    """The two ends of an interval as a page writes it (`−27.5 to +24.3`), as numbers."""
    found = INTERVAL.match(text)
    return (shown_number(found.group(1)), shown_number(found.group(2))) if found else None


def label_unit(label: str) -> str | None:
    return next((unit for pattern, unit in UNIT_RULES if pattern.search(label.strip())), None)


def spring_year(label: str) -> int | None:
    """The year of a column laid out by school year (`2021–22 (points)` → 2022)."""
    found = YEAR_COLUMN.match(label)
    return int(found.group(1)) + 1 if found else None


INTEGER_TEXT = re.compile(r"-?[0-9]+")
NUMBER_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# Every character pandas may read as part of a number (`1e5`, ` 5`, `+5`, `inf`, `Infinity`, `NaN`): a cell with any
# other character is not a number.
NUMBER_CHARACTERS = frozenset("0123456789+-. \t\r\neEiInNfFtTyYaA")


def field_type(values: list[str]) -> str:
    """The Table Schema type of a column as published: suppressed cells (`*`) and blanks are missing values.

    Most columns are plain whole or decimal numbers, or hold a cell no number could be written with (a name); those
    are told by their text, in Python, which takes a site's 30,000 columns from seconds to a fraction of one. The
    rest go through pandas' own reading of numbers."""
    shown = [value for value in values if isinstance(value, str) and value not in MISSING_SET]  # pandas gives a short row's cells as NaN
    if not shown:
        return "string"
    if all(INTEGER_TEXT.fullmatch(value) for value in shown):
        return "integer"
    if all(NUMBER_TEXT.fullmatch(value) for value in shown):
        return "number"
    if any(not NUMBER_CHARACTERS.issuperset(value) for value in shown):
        return "string"
    return field_type_by_pandas(pd.Series(values, dtype="str"))


def field_type_by_pandas(values: pd.Series) -> str:
    """`field_type` by pandas alone: what the shortcuts must agree with."""
    hidden = np.fromiter((value in MISSING_SET for value in values), dtype=bool, count=len(values))
    shown = values[~hidden & values.notna().to_numpy()]
    numbers = pd.to_numeric(shown, errors="coerce")
    if shown.empty or numbers.isna().any():
        return "string"
    return "integer" if (numbers == numbers.round()).all() and not shown.str.contains(r"[.eE]").any() else "number"


def csv_columns(text: str) -> dict[str, list[str]]:
    """A published CSV's columns as text. Read with the `csv` module when it is the plain table districtstat writes
    (distinct, non-empty names, every row full, no blank line, no byte-order mark, no bare carriage return);
    otherwise by pandas, whose reading is the reference."""
    try:
        rows = [] if text.startswith("\ufeff") else list(csv.reader(io.StringIO(text)))
    except csv.Error:  # a bare carriage return in an unquoted cell: pandas reads it its own way
        rows = []
    header = rows[0] if rows else []
    if header and all(header) and len(set(header)) == len(header) and all(len(row) == len(header) for row in rows[1:]):
        return {name: [row[i] for row in rows[1:]] for i, name in enumerate(header)}
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return {column: frame[column].tolist() for column in frame.columns}


def table_fields(text: str, numeric=()) -> list[dict]:
    """Each column's Table Schema: its type (a column of numbers stays a number when every cell is hidden), what a key
    column holds, and the unit of every number, from its label or, in a table whose rows differ in unit, its row."""
    columns = csv_columns(text)
    by_row = any(c in columns for c in (*UNIT_COLUMNS, *INDICATOR_COLUMNS))
    fields = []
    for column, values in columns.items():
        field = {"name": column, "type": field_type(values)}
        if field["type"] == "string" and column in numeric and all(value in MISSING_SET for value in values):
            field["type"] = "number"
        if column in KEY_FIELDS:
            field["description"] = KEY_FIELDS[column]
        elif field["type"] in ("integer", "number"):
            unit = label_unit(column) or (ROW_UNIT if by_row else None)
            if unit:
                field["unit"] = unit
                field["description"] = f"In the unit {ROW_UNIT}." if unit == ROW_UNIT else f"Unit: {unit}."
        fields.append(field)
    return fields


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


def published_table(path: PurePosixPath, page: PurePosixPath, text: str, about: dict, fields: list[dict] | None = None) -> PublishedTable:
    data = text.encode("utf-8")
    return PublishedTable(
        path=path.as_posix(),
        page=page.as_posix(),
        caption=str(about.get("caption", path.stem)),
        how_to_read=str(about.get("how_to_read", "")),
        fields=fields or table_fields(text, about.get("numeric", ())),
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        counts=about.get("counts"),
        rests_on=about.get("rests_on"),
        percents=about.get("percents"),
    )


def with_district(text: str, page: PurePosixPath, names: Mapping[str, str]) -> str:
    """A district page's table with the district's id and name as its first columns, so the file stands alone."""
    parts = page.parts
    if len(parts) != 3 or parts[0] != "districts":
        return text
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    keys = [(name, value) for name, value in (("district_id", parts[1]), ("district_name", names.get(parts[1], parts[1]))) if name not in rows[0]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in keys] + rows[0])
    writer.writerows([value for _, value in keys] + row for row in rows[1:])
    return out.getvalue()


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
        f"A cell shown as {SUPPRESSED} was hidden to protect student privacy; a percentage of students is rounded by group size, and one "
        "shown as <c or >c (such as <10 or >90) is near 0 or 100 and shown only as below or above that bound (read as missing by software). "
        f"Each file carries its keys: district_id and district_name where it is about districts, and school_year ({SCHOOL_YEAR}) "
        "where its figures are of one school year (a table laid out with a column per school year keeps that layout). "
        "Every value is rounded as its page shows it, without $, % or thousands separators; each number's unit is in its "
        f"column's label and in its field's `unit`. {FIGURES_FILE} holds every figure of every table, one row each.",
        "resources": [table.resource(used) for table in tables],
    }
    return one_resource_per_line(package)


def one_resource_per_line(package: dict) -> str:
    """JSON with one line per resource: readable, and written by the C encoder (indenting 4,000 resources takes seconds)."""
    resources = package.pop("resources")
    head = json.dumps(package, ensure_ascii=False)[:-1]
    lines = ",\n  ".join(json.dumps(resource, ensure_ascii=False) for resource in resources)
    return head + ', "resources": [\n  ' + lines + "\n]}\n"


FIGURE_FIELDS = [
    {"name": "district_id", "type": "string", "description": "The district the figure is about: the row's district where its table lists districts, else the district of its page; read it as text."},
    {"name": "district_name", "type": "string", "description": "That district's name."},
    {"name": "school_year", "type": "integer", "description": f"The school year the figure is of, as {SCHOOL_YEAR}; for a change or trend over years, the last of them; blank where its table does not say."},
    {"name": "subject", "type": "string", "description": "The subject tested (ELA, MATH), for a figure of one subject."},
    {"name": "group", "type": "string", "description": "The student group, for a figure of one group."},
    {"name": "compared_with", "type": "string", "description": "The group a gap compares the group with."},
    {"name": "indicator", "type": "string", "description": "What the figure's row names: an indicator, spending category, model term, model, characteristic or peer district."},
    {"name": "measure", "type": "string", "description": "The column of the table the figure is in, as its CSV names it; value for a column of one school year; an interval gives two rows, its low and high ends."},
    {"name": "value", "type": "number", "unit": ROW_UNIT, "description": "The figure, rounded as its page shows it; blank where the page shows it only as shown_as."},
    {"name": "shown_as", "type": "string", "description": f"{SUPPRESSED} where the page hides the figure to protect student privacy; <c or >c (such as <10) where it shows a percentage near 0 or 100 only as below or above a bound; blank where value is a number."},
    {"name": "unit", "type": "string", "description": "The unit of value."},
    {"name": "n", "type": "integer", "unit": "students", "description": "The students the figure rests on, as its table counts them and where its table shows that count; blank otherwise."},
    {"name": "page", "type": "string", "description": "The page of the site that shows the figure."},
    {"name": "table", "type": "string", "description": "The caption of the table that shows it; its CSV is under downloads/ beside the page's others."},
]
FIGURES_ABOUT = {
    "caption": "Every figure this release publishes, one row each",
    "how_to_read": "Every number any table of the site shows, with its district, school year, subject, group and what it measures, "
    "its unit, and the students it rests on where the page shows that count; hidden and coded cells keep their symbol in shown_as. "
    "It loads with one pandas.read_csv (read district_id as text where ids begin with 0).",
}


def figure_rows(table: PublishedTable, text: str) -> list[tuple[list[str], str | None]]:
    """One table's rows of the long file, each with the key of its `n` (None where it has none): one row per figure
    cell as the file publishes it, hidden and coded cells with their symbol, so nothing appears that the table hides."""
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        return []
    header, body = rows[0], rows[1:]
    column = {name: i for i, name in enumerate(header)}
    kinds = {field["name"]: field for field in table.fields}
    figures: list[tuple[str, bool, str]] = []  # (column, whether it holds intervals, unit)
    unit = ""
    for name in header:
        if name in KEY_FIELDS or name.endswith("_district_id"):
            continue
        if kinds.get(name, {}).get("type") in ("integer", "number"):
            unit = kinds[name].get("unit", "")
            figures.append((name, False, unit))
        elif is_interval_column([row[column[name]] for row in body]):
            figures.append((name, True, label_unit(name) or unit))  # an interval is in the unit of the figure it surrounds
    years = {name: spring_year(name) for name in header}
    latest = max((year for year in years.values() if year), default=None)
    counts, rests_on = table.counts or {}, table.rests_on or {}
    page = PurePosixPath(table.page).with_suffix(".html").as_posix()
    found = []
    for i, row in enumerate(body):

        def cell(names: tuple[str, ...]) -> str:
            return next((row[column[name]] for name in names if name in column), "")

        district = [cell(("district_id",)), cell(("district_name",))]
        year = cell(("school_year",)) or (str(latest) if latest else "")
        described = [cell(SUBJECT_COLUMNS), cell(GROUP_COLUMNS), cell(COMPARED_COLUMNS), cell(INDICATOR_COLUMNS)]
        for name, ends, unit in figures:
            shown = row[column[name]]
            if shown == "":
                continue
            in_unit = row_unit(name, cell(UNIT_COLUMNS) or label_unit(described[-1]) or "") if unit == ROW_UNIT else unit
            count = rests_on.get(name)
            n = row[column[count]] if count in column and row[column[count]] not in MISSING else ""
            key = counts[count][i] if n and count in counts else None
            if shown in (SUPPRESSED, *CODED):
                values = [("", shown)] * (2 if ends else 1)
            else:
                values = [(value, "") for value in (interval(shown) if ends else (shown,))]
            measures = [f"{name}: low", f"{name}: high"] if ends else ["value" if years[name] else name]
            for measure, (value, symbol) in zip(measures, values):
                found.append(([*district, str(years[name] or year), *described, measure, value, symbol, in_unit, n, page, table.caption], key))
    return found


def is_interval_column(cells: list[str]) -> bool:
    shown = [text for text in cells if text not in MISSING]
    return bool(shown) and all(interval(text) for text in shown)


def row_unit(column: str, unit: str) -> str:
    """The unit of a figure whose row names it; a change or difference of a percentage is in percentage points."""
    return "percentage points" if unit == "%" and re.match(r"(change|difference)", column, re.IGNORECASE) else unit


def published_figures(folder: Path, tables: list[PublishedTable]) -> tuple[str, list[str | None]]:
    """The long file of every figure the tables publish, read back from their CSV files under `folder` (never from the
    data, so it cannot show a cell a page hides), in the tables' order; and the key of each row's `n`, for the audit."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([field["name"] for field in FIGURE_FIELDS])
    keys = []
    for table in tables:
        for row, key in figure_rows(table, (folder / table.path).read_text(encoding="utf-8")):
            writer.writerow(row)
            keys.append(key)
    return out.getvalue(), keys


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
        "(Frictionless Data Package), so statistical software can load them all at once. Each file carries its district's id "
        f"and name and its school year (as the spring year: 2024 is 2023–24), its numbers are rounded as the page shows them, and "
        f"[one long file]({FIGURES_FILE}) holds every figure of every table, one row each.\n",
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
