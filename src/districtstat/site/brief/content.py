"""What a brief says about one district: its figures at a glance, key figures, goals, largest gaps, spending
statement, actions and peers, chosen from its executed pages as they show them, with the footnotes they need."""

from __future__ import annotations

import re

from districtstat import views
from districtstat.config import Project
from districtstat.privacy.disclosure import BOTTOM_CODE, ROUNDED_NOTE, SUPPRESSED, TOP_CODE, hidden_note, is_coded
from districtstat.analyses.indicators import INDICATORS
from districtstat.data.subjects import indicator_code, registered_subjects
from districtstat.provenance import Provenance
from districtstat.analyses.scorecard import AREAS
from districtstat.site.brief.reading import Page, page_path

YEAR = re.compile(r"\d{4}–\d{2}")
# The latest years of the key figures; the scorecard has every year. More would not fit across a letter page.
YEARS_SHOWN = 5
# The key figures, in the order a board reads them, where the dataset reports them.
def key_figure_labels() -> list[str]:
    """Mean scores (math, then ELA, then any subject a consortium declares), percents proficient in the same order,
    chronic absence and spending per pupil."""
    subjects = sorted((s.code for s in registered_subjects()), key=lambda code: {"MATH": 0, "ELA": 1}.get(code, 2))
    codes = [indicator_code(statistic, subject) for statistic in ("mean_score", "pct_proficient") for subject in subjects]
    return [INDICATORS[code].label for code in (*codes, "pct_chronic_absent", "per_pupil_spending")]
GLANCE = {"enrollment": "students", "pct_ecodis": "economically disadvantaged", "pct_el": "English learners", "pct_swd": "students with disabilities", "per_pupil_spending": "spending per pupil"}
SHARES = ("pct_ecodis", "pct_el", "pct_swd")
# Sentences of the efficiency page that point at its own charts and tables, which the brief does not carry.
ELSEWHERE = re.compile(r"this page|the table|the chart", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.:])\s+(?=[A-Z*“])")
# The page's R² beside its words: the words say it for a reader without statistics.
R_SQUARED = re.compile(r"\s*\((?:cross-validated )?R² [^)]*\)")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


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
    at = overview.district_row(table, students, district_id) if table else None
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
            | {key: cells.get(labels[key], "–") for key in ("change", "change_interval", "trend", "peer_percentile", "percentile_interval", "goal", "status")}
            for cells in table["cells"]
        ]
        shown = [row for row in area if row["indicator"] in key_figure_labels() or row["status"] not in ("", "–")]
        notes += withheld_notes(table["note"], [text for row in shown for text in row["years"].values()])
        rows += area
    return sorted(years), rows, notes


def peers_cell(row: dict) -> str:
    """The share of peers the district does better than with its 90% interval, as the scorecard shows them: `62 (35 to
    88)`, `0 (0 to 60)` (better than 0% of its peers, as the header reads it); `unknown` where the data give no measure
    of chance error, so the scorecard states no share; the page's own symbol where it shows none."""
    share, interval = row["peer_percentile"], row["percentile_interval"]
    if interval == "unknown":
        return "unknown"
    if share in ("–", SUPPRESSED) or interval in ("–", SUPPRESSED):
        return share
    number = share.partition(" (")[0]  # the column's header says what 0 and 100 mean
    return f"{number} ({interval})"


def change_cell(row: dict) -> str:
    """The change along the trend line with its 90% interval, as the scorecard shows them, in the unit the figure's
    column names (percentage points for a percentage): `−4.7 (−13.0 to +3.5)`; a record's change alone (its interval
    is the change itself); the page's own symbol where it shows none."""
    change, interval = row["change"], row["change_interval"]
    if change in ("–", SUPPRESSED) or interval in ("–", SUPPRESSED, "exact"):
        return change
    return f"{change.removesuffix(' points').removesuffix(' pct. pts').removesuffix(' days')} ({interval})"


def key_figures(years: list[str], rows: list[dict]) -> dict:
    """The table of key figures: the latest school years of each, the change along the trend line and its word, and
    the share of peers it does better than with its 90% interval, as the scorecard shows them."""
    shown_years = years[-YEARS_SHOWN:]
    labels = key_figure_labels()
    chosen = sorted((row for row in rows if row["indicator"] in labels), key=lambda row: labels.index(row["indicator"]))
    header = ["Figure (unit)", *shown_years, "Change (90% interval)", "Trend", "Better than % of peers"]
    body = [
        [f"{row['indicator']} ({row['unit']})", *(row["years"].get(year, "–") for year in shown_years), change_cell(row), row["trend"] or "–", peers_cell(row)]
        for row in chosen
    ]
    since = f" from {shown_years[0]} (the scorecard has every year)" if len(years) > len(shown_years) else ""
    moved = (
        f"Each figure in every school year{since}. Change: along the straight line through the years, in the figure's unit "
        "(percentage points for a %), with its 90% interval (none for a record: no sampling error); a trend word only where "
        "that interval excludes zero and the change reaches its smallest meaningful size."
        if len(years) > 1
        else "One school year is reported, so no change or trend can be shown yet."
    )
    note = (
        f"{moved} Better than % of peers: latest year, 90% interval in brackets; only an interval wholly above or below 50 "
        "sets the district apart from the middle of its peers; –: not ranked."
    )
    if any("unknown" in row for row in body):
        note += " Unknown: the data give no measure of how much the figure would vary by chance, so no interval or share is stated."
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
        "pages_intro": "Every figure, chart and how to read it, on the report site:",
        "pages": [{"text": "The district's home", "href": "index.html"}] + [{"text": page_title(page).capitalize(), "href": f"{page}.html"} for page in pages],
        "provenance": provenance.line(),
        "counts": counts,
    }
