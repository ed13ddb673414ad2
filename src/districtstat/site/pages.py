"""The pieces every generated page source is made of: front matter, and tables in Quarto's markdown."""

from __future__ import annotations

from importlib import resources

import yaml


def page_script(name: str) -> str:
    """A script from the package's templates, inlined: the same text on every page, at any depth."""
    return "<script>\n" + resources.files("districtstat").joinpath(f"templates/{name}").read_text(encoding="utf-8") + "</script>\n"


def front_matter(meta: dict) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"


def markdown_table(header: list[str], rows: list[list[str]], caption: str) -> str:
    """A pipe table with header cells and a caption; `|` inside a cell is escaped so it cannot split the row."""

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *(line(row) for row in rows), "", f": {caption}", ""])
