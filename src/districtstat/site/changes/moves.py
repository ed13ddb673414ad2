"""What moved between two releases' key figures: per district and figure, the moves large enough to show at the
precision the pages show them, ordered by their size against the spread across districts, each judged better or
worse only where it goes beyond the figure's usual movement from one school year to the next."""

from __future__ import annotations

import numpy as np
import pandas as pd

from districtstat.analyses.actions import Z90, yearly_movement
from districtstat.analyses.indicators import goodness
from districtstat.analyses.scorecard import meaningful_change
from districtstat.site.changes.key_figures import DESCRIPTION, KEYS, RANK_PREFIX

# The step each unit is shown with on the page; a move smaller than half a step would not show.
SHOWN_STEP = {"$": 1.0, "%": 0.1, "points": 0.1, "days": 0.1, "rank": 1.0}
DEFAULT_STEP = 0.1

STATUS_ORDER = {"changed": 0, "new": 1, "no longer published": 2}

# What a move is judged, beside its direction: better or worse only beyond the usual movement (see `judge`).
WITHIN_USUAL, REVISED, NOT_JUDGED = "within the usual movement", "revised", "not judged"


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


def figure_changes(before: pd.DataFrame, after: pd.DataFrame, movement: dict[str, float] | None = None) -> pd.DataFrame:
    """Per district and figure: before, after, change, direction, judgement and status, for the moves large enough to show.

    `movement` is each figure's usual one-year movement (σ of `actions.yearly_movement`), from the current release's
    history; without it no move is judged. Within a district the moves largest against the spread across districts
    come first, then new figures, then figures no longer published.
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
    changes = judge(changes, movement or {})
    moved = changes["change"].abs() > shown_step / 2
    changes = changes[moved | (changes["status"] != "changed")]
    return order_moves(changes)


def usual_movements(history: pd.DataFrame, figures) -> dict[str, float]:
    """Each figure's usual one-year movement (σ) in a release's history of every district and year: what a move to a
    later school year is judged against. Peer ranks have none."""
    codes = set(history["code"])
    return {figure: yearly_movement(history, figure) for figure in sorted(set(figures)) if figure in codes}


def judge(changes: pd.DataFrame, movement: dict[str, float]) -> pd.DataFrame:
    """Each move's verdict (`judged`) and the half-width of its usual range (`usual`, in the figure's unit).

    A figure of a later school year moves by chance as a district's figures do from one year to the next: over h
    years, within ±1.645·σ·√h (90%) of no change, with σ the pooled spread of every district's one-year changes around
    its own average change. A move is called better or worse only beyond that range and at least the figure's smallest
    meaningful change; otherwise it is within the usual movement. A move within the same school year is a revision of
    the data, not a change in the district; a figure without a usual movement (a peer rank) is not judged.
    """
    years = changes["school_year_after"] - changes["school_year_before"] if "school_year_after" in changes and "school_year_before" in changes else pd.Series(pd.NA, index=changes.index)
    years = pd.to_numeric(years, errors="coerce").astype(float)
    sigma = changes["figure"].map(lambda figure: movement.get(figure, np.nan)).astype(float)
    usual = Z90 * sigma * np.sqrt(years.where(years > 0))
    smallest = changes["figure"].map(lambda figure: meaningful_change(figure) if not figure.startswith(RANK_PREFIX) else np.nan).astype(float)
    beyond = (changes["change"].abs() > usual) & (changes["change"].abs() >= smallest.fillna(0))
    changed, has_direction = changes["status"] == "changed", changes["direction"] != ""
    judged = np.select(
        [~changed, years == 0, ~has_direction, usual.isna(), beyond],
        ["", REVISED, "", NOT_JUDGED, changes["direction"]],
        WITHIN_USUAL,
    )
    return changes.assign(judged=judged, usual=usual.where(changed))


def order_moves(changes: pd.DataFrame) -> pd.DataFrame:
    ordered = changes.assign(_status=changes["status"].map(STATUS_ORDER), _size=-changes["relative_size"].fillna(-np.inf))
    ordered = ordered.sort_values(["district_id", "_status", "_size", "figure"], kind="stable")
    first = ["district_id", "district_name", "figure", "label", "area", "unit", "better", "before", "after", "change", "direction", "judged", "usual", "status", "relative_size"]
    rest = [c for c in ordered.columns if c.startswith("school_year_")]
    return ordered[first + rest].reset_index(drop=True)
