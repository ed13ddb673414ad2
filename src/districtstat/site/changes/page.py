"""The What changed page: a plain summary, the methods that changed, one table of moved figures per district, the
districts without moves, then the routines' sections."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from districtstat.site.pages import front_matter, markdown_table
from districtstat.views import natural_key, ordinal, school_year, signed_dollars
from districtstat.site.changes.key_figures import read_key_figures
from districtstat.site.changes.moves import NOT_JUDGED, REVISED, WITHIN_USUAL, figure_changes
from districtstat.site.changes.parameters import read_parameters, settings_changes
from districtstat.site.changes.published import KEY_FIGURES_FILE, PARAMETERS_FILE

MOST_SHOWN = 10  # moves per district on the page; the rest are in the downloads


def number(value: float, decimals: int = 1, sign: bool = False) -> str:
    """A number with thousands separators and a true minus sign; never '-0.0'."""
    rounded = round(float(value), decimals) + 0.0
    text = f"{abs(rounded):,.{decimals}f}"
    if rounded < 0:
        return "−" + text
    return ("+" if sign else "") + text


def shown_value(value: float, unit: str) -> str:
    if pd.isna(value):
        return "not published"
    if unit == "$":
        return ("−" if value < 0 else "") + f"${abs(round(value)):,.0f}"
    if unit == "%":
        return number(value) + "%"
    if unit == "rank":
        return ordinal(value)
    if unit == "days":
        return number(value) + " days"
    return number(value)


def shown_change(row: dict) -> str:
    if row["status"] != "changed":
        return "–"
    change, unit = float(row["change"]), row["unit"]
    if unit == "$":
        return signed_dollars(change)
    if unit == "rank":
        places = int(round(abs(change)))
        return f"{'up' if change < 0 else 'down'} {places} place{'' if places == 1 else 's'}"
    words = {"%": " percentage points", "points": " points", "days": " days"}
    return number(change, sign=True) + words.get(unit, "")


def usual_range(row: dict) -> str:
    """The usual movement's half-width in the move's unit: `±4.1 points`."""
    usual, unit = float(row["usual"]), row["unit"]
    if unit == "$":
        return f"±${usual:,.0f}"
    words = {"%": " percentage points", "points": " points", "days": " days"}
    return f"±{number(usual)}{words.get(unit, '')}"


def verdict(row: dict) -> str:
    if row["status"] == "new":
        return "new figure"
    if row["status"] == "no longer published":
        return "no longer published"
    judged = row.get("judged", "")
    if judged in ("better", "worse"):
        return f"{judged}: beyond the usual movement ({usual_range(row)})"
    if judged == WITHIN_USUAL:
        return f"no clear change: within the usual movement ({usual_range(row)})"
    if judged == REVISED:
        return "revised: same school year"
    if judged == NOT_JUDGED:
        return "not judged: no measure of its usual movement"
    return "–"


def link_text(name: str) -> str:
    return name.replace("[", "\\[").replace("]", "\\]")


def school_years_sentence(changes: pd.DataFrame, current: str, previous: str) -> str:
    """Whether the figures are for a new school year or the same one: the first thing that explains a move."""
    if "school_year_before" not in changes or "school_year_after" not in changes:
        return ""
    old, new = changes["school_year_before"].dropna().unique(), changes["school_year_after"].dropna().unique()
    if len(old) != 1 or len(new) != 1:
        return ""
    if old[0] == new[0]:
        return f"Both releases report on the {school_year(new[0])} school year, so these moves come from corrected or added data, or from changed methods."
    return f"Release {previous} reported on the {school_year(old[0])} school year; release {current} reports on {school_year(new[0])}."


def summary(changes: pd.DataFrame, current: str, previous: str, all_districts: int) -> str:
    if changes.empty:
        return f"No published figure moved since release {previous}."
    kinds = changes["judged"].where(changes["direction"] != "", "no better direction").replace(WITHIN_USUAL, "no clear change")
    counts = changes["status"].where(changes["status"] != "changed", kinds).value_counts()
    order = ["better", "worse", "no clear change", REVISED, NOT_JUDGED, "no better direction", "new", "no longer published"]
    parts = [f"{counts[kind]} {kind}" for kind in order if kind in counts]
    districts = changes["district_id"].nunique()
    return (
        f"In **{districts} of {all_districts} districts** some published figure moved since release {previous}: "
        f"{len(changes)} figures in all ({', '.join(parts)})."
    )


def methods_list(method_notes: list[str]) -> str:
    if not method_notes:
        return "Methods and parameters are unchanged."
    return "Methods and parameters that changed:\n\n" + "\n".join(f"- {note}" for note in method_notes)


HOW_TO_READ = (
    "**How to read this page.** A figure can move because a new school year was added, because earlier data were "
    "corrected, or because the methods changed. Each table lists the moves large enough to show at the precision the "
    "figures are published with, largest first (measured against how far apart districts sit on that figure). A figure "
    "of a new school year is called better or worse only where its move goes beyond the usual movement of that figure "
    "from one year to the next (the 90% range of every district's one-year changes around its own average change, in "
    "this release's data) and reaches the figure's smallest meaningful change (Methods lists each); otherwise it shows "
    "no clear change. A move within the same school year is a revision of the data, not a change in the district. "
    "Spending has no better or worse direction; a peer rank of 1 is best, and its move is not judged."
)


def district_section(district_id: str, name: str, moves: pd.DataFrame, has_page: bool, current: str, previous: str) -> str:
    heading = f"## [{link_text(name)}](districts/{district_id}/index.qmd)" if has_page else f"## {name} (not in this release)"
    shown = moves.head(MOST_SHOWN)
    rows = [[row["label"], shown_value(row["before"], row["unit"]), shown_value(row["after"], row["unit"]), shown_change(row), verdict(row)] for row in shown.to_dict("records")]
    table = markdown_table(["Figure", "Before", "After", "Change", "Better or worse (90% usual movement)"], rows, f"{name}: figures that moved between release {previous} and release {current}")
    more = len(moves) - len(shown)
    note = (
        f"\n…and {more} more moved figure{'' if more == 1 else 's'}: compare this release's [key figures]({KEY_FIGURES_FILE}) "
        f"with those of release {previous}.\n"
        if more
        else ""
    )
    return f"{heading}\n\n{table}{note}"


def ordered_districts(changes: pd.DataFrame, names: dict[str, str]) -> list[tuple[str, str]]:
    """(id, name) of the districts with moves, in the natural order of their names as the district listing has them."""
    fallback = changes.drop_duplicates("district_id").set_index("district_id")["district_name"]
    pairs = [(district_id, str(names.get(district_id, fallback.get(district_id, district_id)))) for district_id in fallback.index]
    return sorted(pairs, key=lambda pair: (natural_key(pair[1]), pair[0]))


def unmoved_line(changes: pd.DataFrame, names: dict[str, str]) -> str:
    moved = set(changes["district_id"])
    still = sorted((name for district_id, name in names.items() if district_id not in moved), key=natural_key)
    if not still:
        return ""
    return f"**No published figure moved** in {', '.join(still)}.\n"


def what_changed_page(
    current_release: str, previous_release: str, changes: pd.DataFrame, method_notes: list[str], district_names: dict[str, str], routines: list[str] = ()
) -> str:
    """The page source: a plain summary, one table per district with moves, the districts without, then the
    routines (actions, survey answers)."""
    names = {str(k): str(v) for k, v in district_names.items()}
    changes = changes.assign(district_id=changes["district_id"].astype(str))
    all_districts = len(set(names) | set(changes["district_id"]))
    front = front_matter({"title": "What changed since the previous release", "subtitle": f"Release {current_release} compared with release {previous_release}"})
    lead = [summary(changes, current_release, previous_release, all_districts), school_years_sentence(changes, current_release, previous_release)]
    parts = [front, " ".join(part for part in lead if part) + "\n", methods_list(method_notes) + "\n", HOW_TO_READ + "\n"]
    by_district = {district_id: moves for district_id, moves in changes.groupby("district_id", sort=False)}
    for district_id, name in ordered_districts(changes, names):
        parts.append(district_section(district_id, name, by_district[district_id], district_id in names, current_release, previous_release))
    parts.append(unmoved_line(changes, names))
    parts += routines
    return "\n".join(part for part in parts if part)


def what_changed_since(
    previous_folder: Path, current_release: str, after: pd.DataFrame, record: dict, names: dict[str, str], routines: list[str] = (), movement: dict[str, float] | None = None
) -> str:
    """The page for the current release (its key figures and parameters record), read against the previous
    release's published folder (`site/<previous>/`); `movement` is each figure's usual one-year movement."""
    before = read_key_figures(previous_folder / KEY_FIGURES_FILE)
    published = set(before["district_id"]) | set(after["district_id"])
    names = {district: name for district, name in names.items() if district in published}
    parameters = previous_folder / PARAMETERS_FILE
    if parameters.is_file():
        notes = settings_changes(read_parameters(parameters), record)
    else:
        notes = ["The previous release did not publish its parameters, so changes in methods cannot be listed."]
    return what_changed_page(current_release, previous_folder.name, figure_changes(before, after, movement), notes, names, routines)
