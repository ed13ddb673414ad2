"""A district's brief: one printable page, as HTML and as a PDF, to bring to a board or StatNet meeting.

The brief is an extract of the district's pages: its sentences and cells are read from the outputs of the executed
notebooks the pages are made of (the views' tables after disclosure control, in the pages' own format), so a
figure reads here exactly as there and a figure the pages hide cannot appear here. Reading them costs tens of
milliseconds a district; computing the views again would cost ten times that (a scorecard's worth of pandas).

A brief is one dict of text; the page's HTML is written from it and the PDF laid out from it by Typst (the `typst`
package), which reads it as data, never as markup. Typst uses the fonts matplotlib ships and ignores the system's,
so the same brief gives the same bytes on any machine.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from html.parser import HTMLParser
from importlib import metadata, resources
from pathlib import Path

import pandas as pd

from districtstat import views
from districtstat.data.aggregate import latest_rows
from districtstat.config import Project
from districtstat.privacy.disclosure import BOTTOM_CODE, ROUNDED_NOTE, SUPPRESSED, TOP_CODE, hidden_note, is_coded
from districtstat.files import read_json, write_json_atomic
from districtstat.analyses.indicators import INDICATORS
from districtstat.site.pages import front_matter
from districtstat.provenance import Provenance, hash_bytes, hash_json
from districtstat.execution.runner import Task, scope_hash
from districtstat.analyses.scorecard import AREAS

PAGE, PDF = "brief.qmd", "brief.pdf"
CACHE = "briefs.json"
YEAR = re.compile(r"\d{4}–\d{2}")
# The latest years of the key figures; the scorecard has every year. More would not fit across a letter page.
YEARS_SHOWN = 5
# The key figures, in the order a board reads them, where the dataset reports them.
KEY_FIGURES = [INDICATORS[code].label for code in ("mean_score_math", "mean_score_ela", "pct_proficient_math", "pct_proficient_ela", "pct_chronic_absent", "per_pupil_spending")]
GLANCE = {"enrollment": "students", "pct_ecodis": "economically disadvantaged", "pct_el": "English learners", "pct_swd": "students with disabilities", "per_pupil_spending": "spending per pupil"}
SHARES = ("pct_ecodis", "pct_el", "pct_swd")
# Sentences of the efficiency page that point at its own charts and tables, which the brief does not carry.
ELSEWHERE = re.compile(r"this page|the table|the chart", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.:])\s+(?=[A-Z*“])")
# The page's R² beside its words: the words say it for a reader without statistics.
R_SQUARED = re.compile(r"\s*\((?:cross-validated )?R² [^)]*\)")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


@cache
def template(name: str) -> str:
    return resources.files("districtstat").joinpath(f"templates/{name}").read_text(encoding="utf-8")


# ------------------------------------------------------------------ reading the executed pages


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

    def table_with(self, label: str) -> dict | None:
        return next((table for table in self.tables() if label in table["header"]), None)


def joined(value) -> str:
    return value if isinstance(value, str) else "".join(value)


def page_path(project: Project, notebook: str, district_id: str | None = None) -> Path:
    return project.executed_dir / Task(notebook, district_id).output_name


# ------------------------------------------------------------------ what the brief says


def runs(markdown: str) -> list[dict]:
    """A page's sentence as runs of plain and strong text: the only markup the views write inside a sentence."""
    parts = markdown.split("**")
    return [{"text": part, "strong": index % 2 == 1} for index, part in enumerate(parts) if part]


def withheld_notes(note: str, texts, min_n: int | None = None) -> list[str]:
    """The parts of a table's privacy footnote that explain what `texts` show: the hidden figure's symbol, rounded
    percentages, coded percentages; with `min_n`, the symbol's note even where the table hid nothing else."""
    texts = [str(text) for text in texts]
    starts = sorted(at for at in (note.find(SUPPRESSED + " "), note.find(ROUNDED_NOTE), note.find(f"{BOTTOM_CODE} and {TOP_CODE}:")) if at >= 0)
    parts = [note[a:b].strip() for a, b in zip(starts, [*starts[1:], len(note)])] or [note]
    wanted = {
        SUPPRESSED: SUPPRESSED in texts,
        ROUNDED_NOTE: any(text.endswith("%") for text in texts),
        BOTTOM_CODE: any(is_coded(text.removesuffix("%")) for text in texts),
    }
    kept = [part for part in parts if part and next((shown for start, shown in wanted.items() if part.startswith(start)), True)]
    if min_n is not None and wanted[SUPPRESSED] and not any(part.startswith(SUPPRESSED) for part in kept):
        kept.insert(0, hidden_note(min_n))
    return kept


def at_a_glance(overview: Page | None, district_id: str, min_n: int | None = None) -> tuple[list[dict], list[dict], list[str]]:
    """The district's size, needs and spending as the overview's table of every district shows them; the count among
    them (its students) with the key the audit knows it by; and the table's footnote when one is withheld."""
    students = views.CONSORTIUM_LABELS["enrollment"]
    table = next(overview.tables(lambda about: students in about.get("counts", {})), None) if overview else None
    keys = table["about"]["counts"][students] if table else []
    at = next((i for i, key in enumerate(keys) if key and key.split("/")[1] == district_id), None)
    if at is None:
        return [], [], []
    row = table["cells"][at]
    items = []
    for column, label in GLANCE.items():
        text = row.get(views.CONSORTIUM_LABELS[column])
        if text is None:
            continue
        items.append({"value": text + "%" if column in SHARES and text not in ("–", SUPPRESSED) else text, "label": label})
    shown = row[students]
    counts = [{"key": keys[at], "value": None if shown == SUPPRESSED else float(shown.replace(",", "")), "column": students}]
    return items, counts, withheld_notes(table["note"], [item["value"] for item in items], min_n)


def scorecard_rows(scorecard: Page) -> tuple[list[str], list[dict], list[str]]:
    """The scorecard's school years, every indicator's row as its page shows it, and the footnotes of the tables
    whose withheld figures the brief shows."""
    labels = views.SCORECARD_LABELS
    years: set[str] = set()
    rows, notes = [], []
    for table in scorecard.tables(lambda about: str(about.get("caption", "")).split(":")[0] in AREAS):
        if table["header"][:1] != [labels["indicator"]]:
            continue
        years |= {label for label in table["header"] if YEAR.fullmatch(label)}
        area = [
            {"indicator": cells[labels["indicator"]], "unit": cells.get(labels["unit"], ""), "years": {y: v for y, v in cells.items() if YEAR.fullmatch(y)}}
            | {key: cells.get(labels[key], "–") for key in ("change", "trend", "peer_percentile", "goal", "status")}
            for cells in table["cells"]
        ]
        shown = [row for row in area if row["indicator"] in KEY_FIGURES or row["status"] not in ("", "–")]
        notes += withheld_notes(table["note"], [text for row in shown for text in row["years"].values()])
        rows += area
    return sorted(years), rows, notes


def key_figures(years: list[str], rows: list[dict]) -> dict:
    """The table of key figures: the latest school years of each, the change along the trend line and its word, and
    the share of peers it does better than."""
    shown_years = years[-YEARS_SHOWN:]
    chosen = sorted((row for row in rows if row["indicator"] in KEY_FIGURES), key=lambda row: KEY_FIGURES.index(row["indicator"]))
    header = ["Figure (unit)", *shown_years, "Change", "Trend", "Better than % of peers"]
    body = [
        [f"{row['indicator']} ({row['unit']})", *(row["years"].get(year, "–") for year in shown_years), row["change"], row["trend"] or "–", row["peer_percentile"]]
        for row in chosen
    ]
    since = f" from {shown_years[0]} (the scorecard has every year)" if len(years) > len(shown_years) else ""
    moved = (
        f"Each figure in every school year{since}. The change is measured along the straight line through the years; the trend word says whether it "
        "reaches the figure's smallest meaningful change."
        if len(years) > 1
        else "One school year is reported, so no change or trend can be shown yet."
    )
    note = (
        f"{moved} Better than % of peers: the share of its peer districts it does better than in the latest year "
        "(– where a figure is not ranked: spending is neither better nor worse by itself)."
    )
    caption = "Each figure in every school year, how it moved, and how it stands among peer districts"
    return {"title": "Key figures, every school year", "caption": caption, "header": header, "rows": body, "note": note}


def goals(rows: list[dict], latest: str) -> dict:
    """Each goal the district set, with its latest value and status as the scorecard shows them."""
    chosen = [row for row in rows if row["status"] not in ("", "–")]
    header = ["Goal", "Target", latest, "Status"]
    return {
        "title": "Goals",
        "caption": "Each goal the district set: its target, the latest value and whether it is met",
        "header": header if chosen else [],
        "rows": [[f"{row['indicator']} ({row['unit']})", row["goal"], row["years"].get(latest, "–"), row["status"]] for row in chosen],
        "none": "" if chosen else "No goals are set for this district in this release.",
    }


def largest_gaps(gaps: Page) -> list[list[dict]]:
    """The outcome-gaps page's sentences on the groups furthest behind, each with how its gap moved over the years."""
    return [runs(line[2:]) for line in gaps.texts[0].splitlines() if line.startswith("- ")]


def efficiency_statement(efficiency: Page) -> list[list[dict]]:
    """The spending-and-results page's statement with its interval and what the interval supports, then whether the
    model may rank districts (and the percentile only where it may), in the page's words; not its pointers to its
    own charts and tables, nor its longer caveats, for which the brief has a line of its own."""
    paragraphs = efficiency.texts[0].split("\n\n")
    brief = [runs(paragraphs[0])]
    if len(paragraphs) > 1:
        kept = [sentence for sentence in SENTENCE_END.split(paragraphs[1]) if not ELSEWHERE.search(sentence)]
        brief.append(runs(R_SQUARED.sub("", " ".join(kept))))
        brief.append(runs("A distance from the prediction describes a result; it does not show that spending caused it."))
    return brief


ACTIONS_SHOWN = 3


def action_line(cells: dict, labels: dict) -> str:
    reading = cells[labels["reading"]]
    moved = f"Before {cells[labels['at_start']]}, latest {cells[labels['now']]}; {reading}" if cells[labels["at_start"]] != "–" else reading[:1].upper() + reading[1:]
    return f"**{cells[labels['indicator']]}**: {cells[labels['action']]}. {cells[labels['status']]}. {moved}."


def district_actions(scorecard: Page) -> tuple[list[list[dict]], str]:
    """The scorecard's actions as the page shows them, overdue ones first, at most three (the page has the rest)."""
    from districtstat.analyses.actions import ACTION_LABELS, district_caption

    labels = ACTION_LABELS
    caption = district_caption()[0]
    found = next(scorecard.tables(lambda about: str(about.get("caption", "")) == caption), None)
    if found is None:
        return [], ""
    rows = sorted(found["cells"], key=lambda cells: not cells[labels["status"]].startswith("OVERDUE"))
    bullets = [runs(action_line(cells, labels)) for cells in rows[:ACTIONS_SHOWN]]
    more = len(rows) - ACTIONS_SHOWN
    return bullets, (f"…and {more} more on the scorecard. " if more > 0 else "") + "An indicator moving after an action is not proof the action moved it."


def peer_names(peers: Page) -> list[str]:
    label = views.PEER_LABELS["peer_name"]
    table = peers.table_with(label)
    return [cells[label] for cells in table["cells"]] if table else []


def published_on(project: Project) -> str:
    day = project.settings.release_date
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else ""


def brief(project: Project, district_id: str, name: str, overview: Page | None, provenance: Provenance) -> dict:
    """Everything the brief says about one district, as text, read from its executed pages."""
    from districtstat.site.project import page_title

    pages = project.settings.district_notebooks
    read = {notebook: Page.read(page_path(project, notebook, district_id)) for notebook in pages}
    glance, counts, glance_notes = at_a_glance(overview, district_id, project.settings.min_n)
    years, rows, notes = scorecard_rows(read["scorecard"]) if read.get("scorecard") else ([], [], [])
    latest = years[-1] if years else ""
    summary = re.sub(r"^\*\*[^*]*\*\*\s*", "", read["scorecard"].texts[0]) if read.get("scorecard") and read["scorecard"].texts else ""
    sections = []
    if read.get("outcome_gaps") and read["outcome_gaps"].texts:
        bullets = largest_gaps(read["outcome_gaps"])
        paragraphs = [] if bullets else [runs(read["outcome_gaps"].texts[0])]
        sections.append({"title": f"Largest gaps between student groups, {latest}".rstrip(", "), "paragraphs": paragraphs, "bullets": bullets})
    if read.get("efficiency") and read["efficiency"].texts:
        sections.append({"title": "Spending and results", "paragraphs": efficiency_statement(read["efficiency"]), "bullets": []})
    bullets, caution = district_actions(read["scorecard"]) if read.get("scorecard") else ([], "")
    if bullets:
        sections.append({"title": "Actions and what moved since", "paragraphs": [runs(caution)], "bullets": bullets})
    peers = peer_names(read["peers"]) if read.get("peers") else []
    if peers:
        sentence = f"The districts most like it in size and in its students' needs, chosen without looking at results: {', '.join(peers)}."
        sections.append({"title": "Peer districts", "paragraphs": [runs(sentence)], "bullets": []})
    published = published_on(project)
    return {
        "title": f"{name}: district brief",
        "author": project.settings.title,
        "district": name,
        "subtitle": f"District brief · {latest + ' school year · ' if latest else ''}{project.settings.title}",
        "release": f"Release {project.release}" + (f", published {published}" if published else ""),
        "glance": glance,
        "summary": runs(summary),
        "figures": key_figures(years, rows),
        "sections": sections,
        "goals": goals(rows, latest),
        "notes": sorted(set(glance_notes + notes)),
        "pages_intro": "Every figure, chart and explanation is on the district's pages of the report site:",
        "pages": [{"text": "The district's home", "href": "index.html"}] + [{"text": page_title(page).capitalize(), "href": f"{page}.html"} for page in pages],
        "provenance": provenance.line(),
        "counts": counts,
    }


# ------------------------------------------------------------------ the page and the PDF


def runs_html(parts: list[dict]) -> str:
    return "".join(f"<strong>{html.escape(p['text'])}</strong>" if p["strong"] else html.escape(p["text"]) for p in parts)


def table_html(table: dict, caption: str) -> str:
    """A table as the site lays one out, so it scrolls on a phone under its first column as theirs do."""
    head = "".join(f'<th scope="col">{html.escape(cell)}</th>' for cell in table["header"])
    body = "".join(
        "<tr>" + "".join(f'<th scope="row">{html.escape(cell)}</th>' if i == 0 else f"<td>{html.escape(cell)}</td>" for i, cell in enumerate(row)) + "</tr>" for row in table["rows"]
    )
    return (
        f'<div class="districtstat-table" tabindex="0" role="region" aria-label="{html.escape(caption)}"><table class="table table-sm">'
        f"<caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def brief_page(data: dict) -> str:
    """The brief as a page of the site: the site around it on screen, the brief alone in print."""
    front = {"title": data["district"], "subtitle": data["subtitle"], "toc": False, "include-in-header": [{"text": f"<style>\n{template('brief.css')}</style>"}]}
    glance = "".join(f'<li><span class="brief-value">{html.escape(g["value"])}</span> {html.escape(g["label"])}</li>' for g in data["glance"])
    parts = [
        f'<p class="brief-release">{html.escape(data["release"])}<span class="brief-pdf-link"> · <a href="{PDF}">Download this brief as a PDF</a> (one letter page)</span></p>',
        f'<ul class="brief-glance">{glance}</ul>',
        f"<p>{runs_html(data['summary'])}</p>",
    ]
    if data["figures"]["rows"]:
        figures = data["figures"]
        parts += [f"<h2>{html.escape(figures['title'])}</h2>", table_html(figures, figures["caption"]), f'<p class="table-note">{html.escape(figures["note"])}</p>']
    for section in data["sections"]:
        parts.append(f"<h2>{html.escape(section['title'])}</h2>")
        parts += [f"<p>{runs_html(p)}</p>" for p in section["paragraphs"]]
        if section["bullets"]:
            parts.append("<ul>" + "".join(f"<li>{runs_html(b)}</li>" for b in section["bullets"]) + "</ul>")
    parts.append(f"<h2>{html.escape(data['goals']['title'])}</h2>")
    parts.append(table_html(data["goals"], data["goals"]["caption"]) if data["goals"]["rows"] else f"<p>{html.escape(data['goals']['none'])}</p>")
    parts += [f'<p class="table-note suppression-note">{html.escape(note)}</p>' for note in data["notes"]]
    links = " · ".join(f'<a href="{html.escape(p["href"])}">{html.escape(p["text"])}</a>' for p in data["pages"])
    parts.append(f'<p class="brief-pages">{html.escape(data["pages_intro"])} {links}</p>')
    parts.append(f'<p class="provenance">{html.escape(data["provenance"])}</p>')
    return front_matter(front) + '\n```{=html}\n<div class="district-brief">\n' + "\n".join(parts) + "\n</div>\n```\n"


@cache
def fonts() -> str:
    """matplotlib's fonts folder: every installation of one matplotlib version ships the same DejaVu Sans."""
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")


@cache
def typesetter():
    """One Typst compiler for every brief of a build, reading the template from the package."""
    import typst

    with resources.as_file(resources.files("districtstat").joinpath("templates/brief.typ")) as path:
        return typst.Compiler(str(path), font_paths=[fonts()], ignore_system_fonts=True)


def brief_pdf(data: dict) -> bytes:
    shown = {key: value for key, value in data.items() if key != "counts"}
    return typesetter().compile(sys_inputs={"brief": json.dumps(shown, ensure_ascii=False, sort_keys=True)})


@cache
def code_version() -> str:
    """What a brief's text and bytes depend on besides its pages: this module, its templates, Typst and the fonts."""
    sources = [Path(__file__).read_bytes(), *(template(name).encode() for name in ("brief.typ", "brief.css"))]
    return hash_json({"code": hash_bytes(*sources), "typst": metadata.version("typst"), "fonts": metadata.version("matplotlib")})


# ------------------------------------------------------------------ in the generated project


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
