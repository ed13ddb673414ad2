"""What changed since the previous release: the key figures that moved, district by district, and any change in methods.

Each release publishes its key figures (`downloads/key_figures.csv`) and its settings (`downloads/parameters.json`);
the next release reads both back from the previous release's published folder and compares. Comparing the
published files, not the previous build's tables, means the page can only ever show what was already public.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from districtstat.config import Project
from districtstat.analyses.indicators import goodness
from districtstat.site.pages import front_matter, markdown_table
from districtstat.provenance import Provenance, package_versions
from districtstat.report import Release
from districtstat.analyses.scorecard import describe, unit_of
from districtstat.views import in_sentence, natural_key, ordinal, school_year, signed_dollars, standing_among_peers

KEY_FIGURES_FILE = "downloads/key_figures.csv"
PARAMETERS_FILE = "downloads/parameters.json"
# The routines' records as published: the next release compares them as it compares the key figures.
ACTIONS_FILE = "downloads/actions.csv"
SURVEY_ANSWERS_FILE = "downloads/survey_answers.csv"

COLUMNS = ["district_id", "district_name", "school_year", "figure", "label", "area", "unit", "better", "value"]
KEYS = ["district_id", "figure"]
DESCRIPTION = ["district_name", "label", "area", "unit", "better"]

# The outcomes a district is ranked on among its peers in the key figures.
PEER_RANKED = ["mean_score_math", "mean_score_ela"]  # the efficiency residual is never ranked among a handful of peers
RANK_WORDS: dict[str, str] = {}
RANK_PREFIX = "peer_rank."

# The step each unit is shown with on the page; a move smaller than half a step would not show.
SHOWN_STEP = {"$": 1.0, "%": 0.1, "points": 0.1, "days": 0.1, "rank": 1.0}
DEFAULT_STEP = 0.1
# Decimals kept in the public CSV: those the pages show (`SHOWN_STEP`), the precision every move is compared at.
CSV_DECIMALS = {"$": 0, "rank": 0}
DEFAULT_DECIMALS = 1

STATUS_ORDER = {"changed": 0, "new": 1, "no longer published": 2}
MOST_SHOWN = 10  # moves per district on the page; the rest are in the downloads


# ------------------------------------------------------------------ key figures of one release


def latest_figures(release: Release) -> pd.DataFrame:
    """Every indicator and publishable gap in the latest year; `release.history` already leaves out gaps on small groups."""
    history = release.history
    latest = history[history["school_year"] == release.latest_year]
    described = [describe(code) for code in latest["code"]]
    return pd.DataFrame(
        {
            "district_id": latest["district_id"].astype(str),
            "school_year": release.latest_year,
            "figure": latest["code"],
            "label": [label for _, label, _ in described],
            "area": [area for area, _, _ in described],
            "unit": latest["code"].map(unit_of),
            "better": [better for _, _, better in described],
            "value": latest["value"].astype(float),
        }
    )


def peer_ranks(release: Release, districts: list[str]) -> pd.DataFrame:
    """Each district's rank among itself and its peers on the key outcomes, as its peers page shows it (1 = best)."""
    rows = []
    for district_id in districts:
        standing = standing_among_peers(release, district_id)
        if standing.empty:
            continue
        for _, row in standing[standing["code"].isin(PEER_RANKED) & standing["rank"].notna()].iterrows():
            rows.append(
                {
                    "district_id": district_id,
                    "school_year": release.latest_year,
                    "figure": RANK_PREFIX + row["code"],
                    "label": f"Rank among its peers (1 = best): {RANK_WORDS.get(row['code'], in_sentence(row['indicator']))}",
                    "area": row["area"],
                    "unit": "rank",
                    "better": "lower",
                    "value": float(row["rank"]),
                }
            )
    return pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "district_name"])


def key_figures(release: Release) -> pd.DataFrame:
    """One row per district and key figure for the release's latest year: what the next release compares against."""
    figures = latest_figures(release)
    figures = figures[figures["district_id"].isin(release.publishable_districts)]
    ranks = peer_ranks(release, sorted(set(figures["district_id"])))
    figures = pd.concat([figures, ranks], ignore_index=True)
    names = release.table("districts").assign(district_id=lambda f: f["district_id"].astype(str)).set_index("district_id")["district_name"]
    figures["district_name"] = figures["district_id"].map(names).fillna(figures["district_id"]).astype(str)
    figures["school_year"] = figures["school_year"].astype(int)
    return figures[COLUMNS].sort_values(KEYS, kind="stable").reset_index(drop=True)


def write_key_figures(frame: pd.DataFrame) -> str:
    """The public CSV: values rounded per unit and written as text, so a re-run writes the same bytes."""
    out = frame[[c for c in COLUMNS if c in frame.columns]].copy()
    out["value"] = [rounded_text(value, unit) for value, unit in zip(out["value"], out["unit"])]
    return out.to_csv(index=False, lineterminator="\n")


def rounded_text(value: float, unit: str) -> str:
    decimals = CSV_DECIMALS.get(unit, DEFAULT_DECIMALS)
    rounded = round(float(value), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:.{decimals}f}"


def read_key_figures(path: str | Path) -> pd.DataFrame:
    """A published key_figures.csv; district ids stay text (NCES ids such as 0612345 keep their leading zero)."""
    text_columns = {c: str for c in COLUMNS if c not in ("value", "school_year")}
    frame = pd.read_csv(path, dtype=text_columns, keep_default_na=False, na_values={"value": [""], "school_year": [""]})
    frame["value"] = frame["value"].astype(float)
    if "school_year" in frame:
        frame["school_year"] = pd.to_numeric(frame["school_year"]).astype("Int64")
    return frame


# ------------------------------------------------------------------ what moved


def step_of(unit: str) -> float:
    return SHOWN_STEP.get(unit, DEFAULT_STEP)


def improvement(frame: pd.DataFrame) -> pd.Series:
    """How much better the figure got, in its own better direction; NaN when it has none."""
    gain = pd.Series(np.nan, index=frame.index)
    for better, rows in frame.groupby("better", sort=False):
        gain[rows.index] = goodness(rows["after"], better) - goodness(rows["before"], better)
    return gain


def spread(before: pd.DataFrame, after: pd.DataFrame) -> pd.Series:
    """How far apart districts sit on each figure: a 5-point move means more where they sit 3 points apart than 30."""
    values = pd.concat([before[["figure", "value"]], after[["figure", "value"]]], ignore_index=True)
    sd = values.groupby("figure")["value"].std(ddof=1)
    return sd.where(sd > 0)


def indexed(frame: pd.DataFrame, side: str) -> pd.DataFrame:
    duplicated = frame.duplicated(KEYS)
    if duplicated.any():
        first = frame.loc[duplicated, KEYS].iloc[0]
        raise ValueError(f"{side} key figures list {first['figure']} twice for district {first['district_id']}")
    return frame.assign(district_id=frame["district_id"].astype(str)).set_index(KEYS)


def figure_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per district and figure: before, after, change, better/worse and status, for the moves large enough to show.

    Within a district the moves largest against the spread across districts come first, then new figures,
    then figures no longer published.
    """
    old, new = indexed(before, "previous"), indexed(after, "current")
    index = new.index.union(old.index)
    changes = new[DESCRIPTION].reindex(index).combine_first(old[DESCRIPTION].reindex(index))
    changes["before"] = old["value"].reindex(index).astype(float)
    changes["after"] = new["value"].reindex(index).astype(float)
    for frame, suffix in ((old, "before"), (new, "after")):
        if "school_year" in frame:
            changes[f"school_year_{suffix}"] = frame["school_year"].reindex(index).astype("Int64")
    changes = changes.reset_index()
    shown_step = changes["unit"].map(step_of)
    for side in ("before", "after"):  # compare what readers saw: each value at the precision it is shown with
        changes[side] = (changes[side] / shown_step).round() * shown_step
    changes["change"] = changes["after"] - changes["before"]
    changes["status"] = np.select(
        [changes["before"].notna() & changes["after"].notna(), changes["after"].notna()], ["changed", "new"], "no longer published"
    )
    gain = improvement(changes)
    changes["direction"] = np.select([gain > 0, gain < 0], ["better", "worse"], "")
    changes["relative_size"] = changes["change"].abs() / changes["figure"].map(spread(old.reset_index(), new.reset_index()))
    moved = changes["change"].abs() > shown_step / 2
    changes = changes[moved | (changes["status"] != "changed")]
    return order_moves(changes)


def order_moves(changes: pd.DataFrame) -> pd.DataFrame:
    ordered = changes.assign(_status=changes["status"].map(STATUS_ORDER), _size=-changes["relative_size"].fillna(-np.inf))
    ordered = ordered.sort_values(["district_id", "_status", "_size", "figure"], kind="stable")
    first = ["district_id", "district_name", "figure", "label", "area", "unit", "better", "before", "after", "change", "direction", "status", "relative_size"]
    rest = [c for c in ordered.columns if c.startswith("school_year_")]
    return ordered[first + rest].reset_index(drop=True)


# ------------------------------------------------------------------ settings and methods


SETTING_WORDS = {
    "min_n": "the smallest group whose figures are published",
    "protection_margin": "the narrowest range a hidden count may be placed in",
    "efficiency.outcome": "the result the efficiency model explains",
    "efficiency.spending": "how spending enters the efficiency model",
    "efficiency.controls": "the student needs the efficiency model allows for",
    "peers.numeric": "the characteristics peers are chosen on",
    "peers.indicators": "the categories peers are matched on",
    "peers.k": "how many peers each district has",
    "peers.missing": "how a missing characteristic is treated when choosing peers",
    "gaps.confidence": "the confidence level of gap intervals",
}
# Keys that differ between releases without changing any figure: names, dates, folders, the topics of the quarter.
NOT_A_SETTING = {"release", "release_date", "title", "data_dir", "site_dir", "topics", "topic_notebook", "overview_notebook", "params_hash", "data_hash"}


def parameters_record(project: Project, provenance: Provenance) -> dict:
    """What a release publishes as `downloads/parameters.json`: every setting (goals are public) and what it was built with."""
    record = project.settings.model_dump(mode="json")
    record["release"] = project.release
    return record | {
        "code_commit": provenance.code_commit,
        "data_hash": provenance.data_hash,
        "params_hash": provenance.params_hash,
        "package_versions": package_versions(),
    }


def write_parameters(record: dict) -> str:
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_parameters(path: str | Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def flatten(settings: dict, prefix: str = "") -> dict[str, object]:
    """Nested settings as dotted keys; a list is one value, and an unset (null) setting is no setting."""
    flat: dict[str, object] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif value is not None:
            flat[name] = value
    return flat


def shown_setting(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return format(value, ".12g")
    if isinstance(value, list):
        return "[" + ", ".join(shown_setting(item) for item in value) + "]"
    return str(value)


def setting_sentence(key: str, old: object, new: object) -> str:
    if old is None:
        sentence = f"`{key}`: added ({shown_setting(new)})"
    elif new is None:
        sentence = f"`{key}`: removed (was {shown_setting(old)})"
    else:
        sentence = f"`{key}`: {shown_setting(old)} → {shown_setting(new)}"
    return sentence + (f" — {SETTING_WORDS[key]}" if key in SETTING_WORDS else "")


def method_sentences(before: dict, after: dict) -> list[str]:
    """The code and the libraries it ran on: a change there can move figures although no setting changed."""
    notes = []
    if before.get("code_commit") != after.get("code_commit"):
        notes.append(f"Analysis code changed: commit {before.get('code_commit') or 'unknown'} → {after.get('code_commit') or 'unknown'}")
    old, new = before.get("package_versions") or {}, after.get("package_versions") or {}
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            notes.append(f"{name} {old.get(name, 'not used')} → {new.get(name, 'not used')}")
    return notes


def settings_changes(before: dict, after: dict) -> list[str]:
    """One plain sentence per changed setting between two releases' parameters, then any change of code or libraries."""
    methods = {"code_commit", "package_versions"}
    old = flatten({k: v for k, v in before.items() if k not in NOT_A_SETTING | methods})
    new = flatten({k: v for k, v in after.items() if k not in NOT_A_SETTING | methods})
    sentences = [setting_sentence(key, old.get(key), new.get(key)) for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
    return sentences + method_sentences(before, after)


# ------------------------------------------------------------------ the page


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


def verdict(row: dict) -> str:
    if row["status"] == "new":
        return "new figure"
    if row["status"] == "no longer published":
        return "no longer published"
    return row["direction"] or "–"


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
    counts = changes["status"].where(changes["status"] != "changed", changes["direction"].replace("", "no better direction")).value_counts()
    parts = [f"{counts[kind]} {kind}" for kind in ["better", "worse", "no better direction", "new", "no longer published"] if kind in counts]
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
    "figures are published with, largest first (measured against how far apart districts sit on that figure). A small "
    "move, especially in a small district, may be normal year-to-year variation rather than a real change. Spending has "
    "no better or worse direction; a peer rank of 1 is best."
)


def district_section(district_id: str, name: str, moves: pd.DataFrame, has_page: bool, current: str, previous: str) -> str:
    heading = f"## [{link_text(name)}](districts/{district_id}/index.qmd)" if has_page else f"## {name} (not in this release)"
    shown = moves.head(MOST_SHOWN)
    rows = [[row["label"], shown_value(row["before"], row["unit"]), shown_value(row["after"], row["unit"]), shown_change(row), verdict(row)] for row in shown.to_dict("records")]
    table = markdown_table(["Figure", "Before", "After", "Change", "Better or worse"], rows, f"{name}: figures that moved between release {previous} and release {current}")
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


def read_published(path: Path) -> pd.DataFrame | None:
    """A routine's published record (actions, survey answers) of an earlier release, as text; None when it published none."""
    return published_text(path.read_text(encoding="utf-8")) if path.is_file() else None


def published_text(csv: str) -> pd.DataFrame:
    """A published CSV read as its text, so two releases are compared exactly as they were published."""
    return pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)


def routine_section(title: str, unpublished: str, unchanged: str, lead: str, header: list[str], rows: list[list[str]], caption: str, moves: pd.DataFrame | None) -> str:
    """One routine's changes since the previous release: why none can be listed, that none happened, or the table."""
    if moves is None:
        return f"## {title}\n\n{unpublished}\n"
    if moves.empty:
        return f"## {title}\n\n{unchanged}\n"
    return f"## {title}\n\n{lead}\n\n" + markdown_table(header, rows, caption)


def action_section(moves: pd.DataFrame | None, previous: str, homes: set[str]) -> str:
    """Actions started, finished, stopped, newly overdue or withdrawn since the previous release."""
    records = [] if moves is None else moves.to_dict("records")
    rows = [[district_link(row["district_id"], row["district_name"], homes), f"{row['what']} ({row['action_id']})", str(row["label"]), str(row["change"])] for row in records]
    return routine_section(
        "Action plans",
        f"Release {previous} did not publish its action plans, so changes in them cannot be listed.",
        f"No action was added, finished, stopped or became overdue since release {previous}.",
        f"{len(rows)} change{'s' if len(rows) != 1 else ''} in the districts' action plans; the [actions page](actions.ipynb) follows each one.",
        ["District", "Action (id)", "Indicator it targets", "What changed"],
        rows,
        f"Actions that changed since release {previous}",
        moves,
    )


def answer_section(moves: pd.DataFrame | None, previous: str, homes: set[str]) -> str:
    """Survey answers new, changed or withdrawn since the previous release, as each release published them."""
    records = [] if moves is None else moves.to_dict("records")
    rows = [[district_link(row["district_id"], row["district_name"], homes), str(row["question"]), str(row["before"]) or "–", str(row["after"]) or "–", str(row["change"])] for row in records]
    return routine_section(
        "Survey answers",
        f"Release {previous} did not publish survey answers, so changes in them cannot be listed.",
        f"No published survey answer changed since release {previous}.",
        "Answers are what each district reported for its topic of the quarter, as the topic pages published them; they are not checked against other data.",
        ["District", "Question", "Before", "After", "Change"],
        rows,
        f"Survey answers that changed since release {previous}",
        moves,
    )


def district_link(district_id: str, name: str, homes: set[str]) -> str:
    return f"[{link_text(str(name))}](districts/{district_id}/index.qmd)" if district_id in homes else str(name)


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


def what_changed_since(previous_folder: Path, current_release: str, after: pd.DataFrame, record: dict, names: dict[str, str], routines: list[str] = ()) -> str:
    """The page for the current release (its key figures and parameters record), read against the previous
    release's published folder (`site/<previous>/`)."""
    before = read_key_figures(previous_folder / KEY_FIGURES_FILE)
    published = set(before["district_id"]) | set(after["district_id"])
    names = {district: name for district, name in names.items() if district in published}
    parameters = previous_folder / PARAMETERS_FILE
    if parameters.is_file():
        notes = settings_changes(read_parameters(parameters), record)
    else:
        notes = ["The previous release did not publish its parameters, so changes in methods cannot be listed."]
    return what_changed_page(current_release, previous_folder.name, figure_changes(before, after), notes, names, routines)
