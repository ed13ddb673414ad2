"""The routines' sections of the What changed page: the action plans and survey answers that changed since the previous release."""

from __future__ import annotations

import pandas as pd

from districtstat.site.pages import markdown_table
from districtstat.site.changes.page import link_text


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
