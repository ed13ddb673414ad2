"""The executed pages a brief is read from: each page's plain-language texts, and its tables as text, parsed from
the outputs' markup only when the brief asks for them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from districtstat.config import Project
from districtstat.execution.runner import Task


class PageTables(HTMLParser):
    """The tables of a page output: caption, header cells, each row's cells and the privacy footnote, as text."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self.text: str | None = None
        self.kind = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table":
            self.tables.append({"caption": "", "header": [], "rows": [], "note": ""})
        elif not self.tables:
            return
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("caption", "th", "td") or (tag == "p" and "suppression-note" in (attributes.get("class") or "").split()):
            self.text = ""
            self.kind = "header" if tag == "th" and attributes.get("scope") == "col" else tag

    def handle_data(self, data):
        if self.text is not None:
            self.text += data

    def handle_endtag(self, tag):
        if self.text is None or tag != ("th" if self.kind == "header" else self.kind):
            return
        table, text, self.text = self.tables[-1], self.text.strip(), None
        if tag == "caption":
            table["caption"] = text
        elif tag == "p":
            table["note"] = text
        elif self.kind == "header":
            table["header"].append(text)
        else:
            table["rows"][-1].append(text)

    def close(self):
        super().close()
        for table in self.tables:
            table["rows"] = [row for row in table["rows"] if row]


class Page:
    """What an executed notebook shows: its plain-language texts, and its tables, each read from its markup only when
    asked for (a page's other tables cost more to read than the brief's)."""

    def __init__(self, texts: list[str], outputs: list[tuple[dict, str]]):
        self.texts, self.outputs = texts, outputs
        self.parsed: dict[int, list[dict]] = {}
        self.rows_by_district: dict[tuple[int, str], dict[str, int]] = {}

    @classmethod
    def read(cls, path: Path) -> Page | None:
        if not path.is_file():
            return None
        texts, outputs = [], []
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "text/markdown" in data:
                    texts.append(joined(data["text/markdown"]))
                about = output.get("metadata", {}).get("districtstat", {}).get("table")
                if about is not None and "text/html" in data:
                    outputs.append((about, joined(data["text/html"])))
        return cls(texts, outputs)

    def tables(self, wanted: Callable[[dict], bool] = lambda about: True) -> Iterator[dict]:
        """The tables whose description (caption, count keys) `wanted` accepts, in page order: caption, header, rows,
        each row's cells by header, and the privacy footnote."""
        for index, (about, markup) in enumerate(self.outputs):
            if not wanted(about):
                continue
            if index not in self.parsed:
                parser = PageTables()
                parser.feed(markup)
                parser.close()
                self.parsed[index] = [table | {"about": about, "cells": [dict(zip(table["header"], row)) for row in table["rows"]]} for table in parser.tables]
            yield from self.parsed[index]

    def district_row(self, table: dict, column: str, district_id: str) -> int | None:
        """Which row of one of this page's tables is the district's, by the count keys of `column`
        (`measure/district/...`). Indexed once a table: every district's brief looks itself up in the one overview,
        and a scan each would grow with the square of the number of districts."""
        key = (id(table), column)
        if key not in self.rows_by_district:
            rows: dict[str, int] = {}
            for at, count in enumerate(table["about"]["counts"][column]):
                if count:
                    rows.setdefault(count.split("/")[1], at)
            self.rows_by_district[key] = rows
        return self.rows_by_district[key].get(district_id)

    def table_with(self, label: str) -> dict | None:
        return next((table for table in self.tables() if label in table["header"]), None)


def joined(value) -> str:
    return value if isinstance(value, str) else "".join(value)


def page_path(project: Project, notebook: str, district_id: str | None = None) -> Path:
    return project.executed_dir / Task(notebook, district_id).output_name
