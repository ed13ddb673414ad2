"""What a notebook calls: open a release's tables, and show tables and charts the way every page shows them.

`show_table` accepts only a `ProtectedTable`, so nothing reaches a page without disclosure control.
"""

from __future__ import annotations

import html
import json
import math
import re
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import display

from districtstat.data.aggregate import latest_rows
from districtstat.site.charts import DISTRICT_LINK, SMALLEST_TEXT, svg_markup
from districtstat.config import Project, load_project
from districtstat.privacy.disclosure import STUDENT_FIGURES, ProtectedTable, per_pupil, published_figure, withhold_student_figures


class Release:
    """The tables of one built release, read-only, as the notebooks see them."""

    def __init__(self, project: Project):
        self.project = project
        self._tables: dict[str, pd.DataFrame] = {}
        self._remembered: dict[tuple, object] = {}

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            path = self.project.tables_dir / f"{name}.parquet"
            if not path.is_file():
                raise FileNotFoundError(f"{self.project.relative(path)}: no such table; run `districtstat build` first")
            self._tables[name] = pd.read_parquet(path)
        return self._tables[name]

    def remember(self, key: tuple, compute):
        """A result computed once per release and key, for the pages that show one computation several ways."""
        if key not in self._remembered:
            self._remembered[key] = compute()
        return self._remembered[key]

    def has_table(self, name: str) -> bool:
        return (self.project.tables_dir / f"{name}.parquet").is_file()

    @cached_property
    def history(self) -> pd.DataFrame:
        """Every indicator and equity gap of every district by year: what scorecards and peer rankings read, without
        the shares and rates of students too few to publish exactly."""
        return self.figures[1]

    @cached_property
    def withheld_history(self) -> pd.DataFrame:
        """The (district_id, school_year, code) of every figure the data holds but no page may show: a table marks
        these `*` rather than leave the reader to guess whether the figure was never measured."""
        measured, published = self.figures
        keys = ["district_id", "school_year", "code"]
        measured = measured.dropna(subset=["value"])[keys].drop_duplicates()
        shown = published[keys].drop_duplicates().assign(shown=True)
        both = measured.merge(shown, on=keys, how="left")
        return both[both["shown"].isna()][keys].sort_values(keys, kind="stable").reset_index(drop=True)

    def withheld_codes(self, district_id: str, year: int) -> set[str]:
        withheld = self.withheld_history
        return set(withheld.loc[(withheld["district_id"] == district_id) & (withheld["school_year"] == year), "code"])

    @cached_property
    def figures(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(measured, published): every indicator and gap the tables hold, and the same as pages may show them, each
        published figure with its standard error (`se`, from what is published: see `standing.standard_errors`)."""
        from districtstat.analyses.indicators import indicator_history
        from districtstat.analyses.scorecard import gap_history
        from districtstat.analyses.standing import standard_errors

        efficiency = self.table("efficiency") if self.has_table("efficiency") else None
        profile = self.table("district_indicators")
        indicators = indicator_history(profile, self.table("operations_kpis"), self.table("finance_by_function"), efficiency)
        hidden = profile[profile["enrollment_hidden"].astype(bool)] if "enrollment_hidden" in profile else None
        outcome = self.project.settings.efficiency.outcome if self.project.settings.efficiency else None
        shown = withhold_student_figures(indicators, profile[["district_id", "school_year", "enrollment"]], self.min_n, self.tested_students, hidden, outcome)
        gaps = self.table("gaps")
        measured = pd.concat([indicators, gap_history(gaps, min_n=0, publishable_only=False)], ignore_index=True)
        published = pd.concat([shown, gap_history(gaps, self.min_n)], ignore_index=True)
        outcomes = self.table("subgroup_outcomes") if self.has_table("subgroup_outcomes") else None
        enrollment = profile[["district_id", "school_year", "enrollment"]]
        return measured, published.assign(se=standard_errors(published, outcomes, enrollment, self.min_n))

    @cached_property
    def tested_students(self) -> pd.DataFrame | None:
        """All students tested per district, year and subject: what a district's mean score rests on."""
        if not self.has_table("subgroup_outcomes"):
            return None
        outcomes = self.table("subgroup_outcomes")
        tested = outcomes[(outcomes["subgroup"] == "ALL") & (outcomes["grade"] == "ALL")]
        columns = ["district_id", "school_year", "subject", "n", *(["hidden"] if "hidden" in tested else [])]
        tested = tested[columns].dropna(subset=["n"])
        if "figures_withheld" in outcomes and "hidden" in tested:  # a revision withheld: the district's mean and rate go too
            withheld = outcomes.loc[tested.index, "figures_withheld"].astype(bool)
            tested = tested.assign(hidden=tested["hidden"].astype(bool) | withheld)
        return tested

    def enrollment_hidden(self, district_ids) -> np.ndarray:
        """Which of these districts' latest enrollments every page hides for the previous release's sake."""
        latest = self.latest_indicators
        if "enrollment_hidden" not in latest:
            return np.zeros(len(district_ids), dtype=bool)
        hidden = set(latest.loc[latest["enrollment_hidden"].astype(bool), "district_id"])
        return pd.Index(district_ids).isin(hidden)

    def withheld_figures(self, district_ids, code: str) -> np.ndarray:
        """Which of these districts' latest values of `code` no page may show exactly: an indicator left out of
        `history`, a profile share that `published_figure` withholds, or a size or share whose enrollment is hidden."""
        from districtstat.analyses.indicators import INDICATORS

        ids = pd.Index(district_ids)
        if code in ("enrollment", "log_enrollment"):
            return self.enrollment_hidden(ids)
        if per_pupil(code):  # total spending ÷ spending per pupil would give a hidden enrollment back
            return self.enrollment_hidden(ids)
        if code not in STUDENT_FIGURES:
            return np.zeros(len(ids), dtype=bool)
        if code in INDICATORS:
            latest = self.history[(self.history["code"] == code) & (self.history["school_year"] == self.latest_year)]
            return ~ids.isin(set(latest["district_id"]))
        profile = self.latest_indicators.set_index("district_id").reindex(ids)
        coded = [published_figure(code, value, n, self.min_n) is not None for value, n in zip(profile[code], profile["enrollment"])]
        return np.array(coded, dtype=bool) | self.enrollment_hidden(ids)

    @property
    def min_n(self) -> int:
        return self.project.settings.min_n

    @cached_property
    def latest_year(self) -> int:
        return int(self.table("district_indicators")["school_year"].max())

    @cached_property
    def latest_indicators(self) -> pd.DataFrame:
        """One row per district for the year the release reports on."""
        return latest_rows(self.table("district_indicators"))

    @cached_property
    def enrollment_reported(self) -> bool:
        """Whether the data give every district's enrollment: where they do not, no page shows a size (see
        `aggregate.district_indicators`, whose stand-in count only decides what disclosure control lets through)."""
        latest = self.latest_indicators
        return "enrollment_reported" not in latest or bool(latest["enrollment_reported"].all())

    @cached_property
    def left_out(self) -> pd.DataFrame:
        """The measures the data do not report and the declared peer features and model controls made from them."""
        return self.table("left_out") if self.has_table("left_out") else pd.DataFrame(columns=["kind", "name", "measure", "switches_off"])

    def left_out_note(self, kinds=("measure",), measures=None) -> str:
        """What this release switched off for want of a measure (of `measures`, default all), in a sentence or two;
        empty when nothing was."""
        from districtstat.data.measures import switched_off_note

        rows = self.left_out[self.left_out["kind"].isin(kinds)]
        missing = [m for m in rows.loc[rows["kind"] == "measure", "name"] if measures is None or m in measures]
        dropped = rows.loc[rows["kind"] != "measure", "name"].tolist()
        note = switched_off_note(missing)
        if dropped:
            note += f" Declared in params but left out for that reason: {', '.join(dropped)}."
        return note.strip()

    @cached_property
    def publishable_districts(self) -> set[str]:
        """Districts with at least `min_n` students in the latest year: the only ones whose own figures a page may show."""
        latest = self.latest_indicators
        return set(latest.loc[latest["enrollment"].astype(float) >= self.min_n, "district_id"])

    @cached_property
    def district_names(self) -> dict[str, str]:
        """Every district's name by its id, read once: a page names every district of its chart (before, each name
        looked up indexed the whole table again, which made the efficiency pages together grow with the square of
        the districts)."""
        districts = self.table("districts")
        return dict(zip(districts["district_id"].astype(str), districts["district_name"].astype(str), strict=True))

    def district_name(self, district_id: str) -> str:
        if district_id not in self.district_names:
            raise KeyError(f"district {district_id!r} is not in this release")
        return self.district_names[district_id]

    def peer_ids(self, district_id: str) -> list[str]:
        return list(self.peer_lists.get(district_id, []))

    @cached_property
    def peer_lists(self) -> dict[str, list[str]]:
        """Every district's peers, nearest first, read once: views of every district ask for all of them."""
        peers = self.table("peers").sort_values(["district", "rank"], kind="stable")
        return {district: list(group["peer"]) for district, group in peers.groupby("district", sort=True)}


_preloaded: dict[tuple, Release] = {}


def _release_key(project: Project) -> tuple:
    """What a preloaded release must still match: the params file's bytes and the tables' manifest."""
    manifest = project.tables_dir / "manifest.json"
    return (
        str(project.params_file.resolve()),
        project.release,
        project.params_file.read_bytes(),
        manifest.read_bytes() if manifest.is_file() else None,
    )


def preload(params_file: str | Path, release: str | None = None) -> Release:
    """Read a release's tables and indicator history once, in the fork server.

    Every run forked afterwards starts with them in memory; `open_release` hands them out only while the
    params file and the tables' manifest are unchanged, so a run never sees stale tables.
    """
    project = load_project(params_file, release)
    loaded = Release(project)
    for path in sorted(project.tables_dir.glob("*.parquet")):
        loaded.table(path.stem)
    if loaded.has_table("district_indicators"):
        loaded.history
        loaded.latest_indicators
    _preloaded.clear()
    _preloaded[_release_key(project)] = loaded
    return loaded


def preloaded() -> bool:
    """Whether this process holds a release read by `preload`."""
    return bool(_preloaded)


def open_release(params_file: str | Path, release: str | None = None) -> Release:
    """The release a notebook reports on; `params_file` is relative to the notebook's folder."""
    project = load_project(params_file, release)
    return _preloaded.get(_release_key(project)) or Release(project)


class ByRow:
    """A cell format that reads the cell's row, for tables whose rows carry different units."""

    def __init__(self, shape):
        self.shape = shape

    def __call__(self, value, row) -> str:
        return self.shape(value, row)


# A hyphen a number format writes as its minus sign: at the start of a number, not inside a word or an exponent.
FORMAT_MINUS = re.compile(r"(?<![\w.])-(?=[\d$.])")


def _cell(value: object, column: str, formats: dict, row: pd.Series | None = None) -> str:
    """A cell as the page shows it; a number's minus sign the true one (U+2212), whatever its format wrote."""
    if isinstance(value, str):
        return html.escape(value)
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "–"
    return html.escape(FORMAT_MINUS.sub("−", _number(value, column, formats, row)))


def _number(value: object, column: str, formats: dict, row: pd.Series | None) -> str:
    if column in formats:
        shape = formats[column]
        if isinstance(shape, ByRow):
            return shape(value, row)
        return shape(value) if callable(shape) else shape.format(value)
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table_html(table: ProtectedTable, caption: str, how_to_read: str, labels: dict[str, str], formats: dict) -> str:
    shown = table.display_frame()
    head = "".join(f'<th scope="col">{html.escape(labels.get(c, c))}</th>' for c in shown.columns)
    rows = []
    districts = table.districts if table.districts is not None and table.district_column in shown.columns else [None] * len(shown)
    coded = table.coded.reindex(columns=shown.columns) if table.coded is not None else None
    for (index, row), district in zip(shown.iterrows(), districts, strict=True):
        cells = []
        for c in shown.columns:
            text = _cell(row[c], c, formats, row)
            if coded is not None and isinstance(coded.at[index, c], str) and _cell(50.0, c, formats, row).endswith("%"):
                text += "%"  # "<20%" beside "60%": a coded percentage keeps its column's unit
            if district is not None and c == table.district_column:
                text = f'<a href="{DISTRICT_LINK}{html.escape(district)}">{text}</a>'
            cells.append(f"<th scope=\"row\">{text}</th>" if c == shown.columns[0] else f"<td>{text}</td>")
        marked = f' data-district="{html.escape(district)}"' if district is not None else ""
        rows.append(f"<tr{marked}>{''.join(cells)}</tr>")
    notes = [f"<p class=\"table-note\">{html.escape(how_to_read)}</p>", *(f"<p class=\"table-note\">{html.escape(note)}</p>" for note in table.notes)]
    if table.footnote:
        notes.append(f"<p class=\"table-note suppression-note\">{html.escape(table.footnote)}</p>")
    return (
        f'<div class="districtstat-table" tabindex="0" role="region" aria-label="{html.escape(caption)}"><table class="table table-sm">'
        f"<caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{''.join(notes)}</div>"
    )


TABLE_CSV = "text/csv"


class _Rich:
    """An object with HTML and plain-text representations, for display() in a notebook.

    A published table also carries its CSV and caption, which the site turns into a download beside it.
    """

    def __init__(self, markup: str, text: str, csv: str | None = None, about: dict | None = None):
        self.markup, self.text, self.csv, self.about = markup, text, csv, about

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"text/html": self.markup, "text/plain": self.text}
        if self.csv is None:
            return data
        data[TABLE_CSV] = self.csv
        return data, {"districtstat": {"table": self.about}}

    def __repr__(self) -> str:
        return self.text


def show_table(
    table: ProtectedTable,
    caption: str,
    how_to_read: str,
    labels: dict[str, str] | None = None,
    formats: dict[str, str] | None = None,
) -> None:
    """Display a disclosure-controlled table with a caption, header cells and a note on how to read it."""
    if not isinstance(table, ProtectedTable):
        raise TypeError("show_table() takes a ProtectedTable: pass the table through districtstat.disclosure.protect() first")
    labels, formats = labels or {}, formats or {}
    if table.frame.empty:
        display(_Rich(f'<p class="table-note"><strong>{html.escape(caption)}</strong>: not reported in this dataset.</p>', f"{caption}: not reported"))
        return
    text = f"{caption}\n{table.display_frame().to_string(index=False)}"
    csv, about = table_download(table, caption, how_to_read, labels, formats)
    display(_Rich(table_html(table, caption, how_to_read, labels, formats), text, csv, about))


def table_download(table: ProtectedTable, caption: str, how_to_read: str, labels: dict[str, str], formats: dict) -> tuple[str, dict]:
    """The table's CSV, each figure to the digit its page cell shows (the cell's text without its signs, so the two
    cannot disagree), and what the site needs to describe it: caption, count keys, the count each figure rests on,
    and which columns hold numbers."""
    from districtstat.site.downloads import shown_number  # downloads reads what this module displays

    def shown(value, column: str, row) -> object:
        text = html.unescape(_cell(value, column, formats, row))
        number = shown_number(text)
        return text if number is None else number

    about: dict = {"caption": caption, "how_to_read": how_to_read}
    if table.count_cols:
        about["counts"] = table.published_keys(labels)
        about["rests_on"] = {labels.get(column, column): labels.get(count, count) for column, count in table.rests_on.items()}
    if table.percent_of:
        about["percents"] = {labels.get(column, column): labels.get(count, count) for column, count in table.percent_of.items()}
    about["numeric"] = [labels.get(c, c) for c in table.frame.columns if pd.api.types.is_numeric_dtype(table.frame[c]) and not pd.api.types.is_bool_dtype(table.frame[c])]
    return table.to_csv(labels, shown), about


LEGIBLE_PX = 9  # the smallest chart text a page shows, in CSS pixels


def chart_box(fig, alt: str, caption: str) -> str:
    """The chart's SVG in a box that scrolls sideways on a phone rather than shrink its text below legibility:
    the SVG narrows with the page only down to the width at which its smallest text is `LEGIBLE_PX`."""
    markup = svg_markup(fig, alt)
    width = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', markup)[1])
    narrowest = width * LEGIBLE_PX / SMALLEST_TEXT
    markup = markup.replace("<svg ", f'<svg style="min-width: {math.ceil(narrowest)}px" ', 1)
    return f'<div class="chart-box" tabindex="0" role="region" aria-label="Chart: {html.escape(caption)}">{markup}</div>'


def show_chart(fig, alt: str, caption: str, how_to_read: str) -> None:
    """Display a chart as an image with alt text, a caption and a note on how to read it.

    A page function returns no figure when the data do not support the chart; `alt` then says why.
    """
    if fig is None:
        display(_Rich(f'<p class="chart-note"><strong>{html.escape(caption)}</strong>: {html.escape(alt)}</p>', f"[no chart] {caption}: {alt}"))
        return
    markup = (
        f'<figure class="districtstat-chart">{chart_box(fig, alt, caption)}'
        f"<figcaption>{html.escape(caption)}<br><span class=\"chart-note\">{html.escape(how_to_read)}</span></figcaption></figure>"
    )
    display(_Rich(markup, f"[chart] {caption}: {alt}"))


def show_findable_chart(fig, alt: str, caption: str, how_to_read: str, gid_prefix: str, districts: dict[str, dict]) -> None:
    """A chart of every district as inline SVG, with a box (added by the page's script) to find a district and mark its peers.

    `districts` maps each district id drawn with `charts.district_points(..., gid_prefix)` to its name and peers.
    Without JavaScript the chart reads as an ordinary chart.
    """
    if fig is None:
        show_chart(None, alt, caption, how_to_read)
        return
    payload = html.escape(json.dumps(districts, sort_keys=True, separators=(",", ":")))
    markup = (
        f'<figure class="districtstat-chart findable-chart" data-prefix="{html.escape(gid_prefix)}" data-districts="{payload}">'
        f"{chart_box(fig, alt, caption)}<figcaption>{html.escape(caption)}<br><span class=\"chart-note\">{html.escape(how_to_read)}</span></figcaption></figure>"
    )
    display(_Rich(markup, f"[chart] {caption}: {alt}"))


def show_text(markdown: str) -> None:
    """Display plain-language text, written by the page functions from the data."""
    from IPython.display import Markdown

    display(Markdown(markdown))
