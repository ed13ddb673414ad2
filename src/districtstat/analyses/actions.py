"""Action plans and the feedback loop: what a district does about an indicator, and what the indicator did since.

A district records its actions in `actions.csv` (contract `data_contracts/actions.yaml`). Each action is set
beside the indicator it targets: its value in the last school year before the action started, its value now,
the change, and that change against the path the indicator was on before. The yardstick is the consortium's own
year-to-year movement: each district's yearly changes are taken to vary around that district's own average
change (a random walk with drift), and the spread of those changes, pooled over every district, says how far an
indicator moves in a year without anyone acting. A move inside that range is no sign of anything; a move beyond
it is a sign that something changed, not proof that the action changed it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from districtstat.privacy.disclosure import ProtectedTable, protect
from districtstat.analyses.indicators import goodness
from districtstat.report import Release
from districtstat.analyses.scorecard import describe, goal_status, unit_of
from districtstat.analyses.standing import CONFIDENCE

COLUMNS = ["district_id", "action_id", "indicator", "what", "owner_role", "start_date", "review_date", "status", "target"]
STATUS_WORDS = {"planned": "planned", "in_progress": "in progress", "done": "done", "stopped": "stopped"}
OPEN = ("planned", "in_progress")
Z90 = float(norm.ppf(0.5 + CONFIDENCE / 2))  # 1.645: the usual movement's range is 90%, as every interval of the site
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

CAUTION = (
    "An indicator that moved after an action started is not proof that the action moved it: other things changed "
    "too, and the students are not the same from one year to the next. The range beside each change is how far the "
    "indicator moves without anyone acting: from year to year across the consortium's districts, or from month to "
    "month in the district's own process before the action. A change inside it is no sign of anything yet."
)


def school_year_of(day: dt.date) -> int:
    """The spring year of the school year a date falls in (2023-09-01 is in 2023–24, i.e. 2024)."""
    return day.year + 1 if day.month >= 7 else day.year


def as_of(release: Release) -> dt.date:
    """The date actions are judged on: the release date, else the end of the latest school year the data cover."""
    return release.project.settings.release_date or dt.date(release.latest_year, 6, 30)


def recorded_actions(release: Release) -> pd.DataFrame:
    """Every action of the release's data, or none when the consortium keeps no `actions.csv`."""
    if not release.has_table("actions"):
        return pd.DataFrame(columns=COLUMNS)
    actions = release.table("actions").copy()
    for column in ("start_date", "review_date"):
        actions[column] = pd.to_datetime(actions[column]).dt.date
    return actions.sort_values(["district_id", "start_date", "action_id"], kind="stable").reset_index(drop=True)


def is_overdue(status: str, review_date: dt.date, on: dt.date) -> bool:
    return status in OPEN and review_date < on


def yearly_movement(history: pd.DataFrame, code: str) -> float:
    """The standard deviation of an indicator's one-year changes around each district's own average change,
    pooled over the consortium; NaN when no district has two consecutive changes."""
    series = history[history["code"] == code].sort_values(["district_id", "school_year"], kind="stable")
    steps = series.groupby("district_id")["value"].diff()
    consecutive = series.groupby("district_id")["school_year"].diff() == 1
    steps = steps[consecutive]
    by_district = steps.groupby(series.loc[steps.index, "district_id"])
    squares = by_district.apply(lambda s: float(np.sum(np.square(s - s.mean())))).sum()
    freedom = int((by_district.size() - 1).clip(lower=0).sum())
    return math.sqrt(squares / freedom) if freedom else float("nan")


@dataclass(frozen=True)
class Feedback:
    """What one indicator did since an action started, in the indicator's unit."""

    start_year: int | None = None  # the last school year completed before the action started
    start_value: float = float("nan")
    latest_year: int | None = None
    latest_value: float = float("nan")
    change: float = float("nan")
    expected: float = float("nan")  # the change the trend before the action would have given
    against_trend: float = float("nan")
    usual: float = float("nan")  # half-width of the 90% range of movement without any action
    years_before: int = 0
    reading: str = ""
    before_text: str = ""  # for a monthly process: the months the limits come from, in words
    latest_text: str = ""


def feedback(series: pd.DataFrame, start: dt.date, movement: float, better: str, unit: str) -> Feedback:
    """The indicator's path around one action, from its published yearly values (`school_year`, `value`).

    Under the random walk with drift, the change over h years since the start has variance h·σ², and the drift
    estimated from m changes before the action adds h²·σ²/m: the 90% range is ±1.645·σ·√(h + h²/m)."""
    series = series.dropna(subset=["value"]).sort_values("school_year", kind="stable")
    started = school_year_of(start)
    before = series[series["school_year"] < started]
    after = series[series["school_year"] >= started]
    if before.empty or after.empty:
        why = "no published value since the action started yet" if before.size else "no published value before the action started"
        return Feedback(years_before=len(before), reading=why)
    first, last = before.iloc[-1], after.iloc[-1]
    years = int(last["school_year"] - first["school_year"])
    change = float(last["value"] - first["value"])
    steps = before["value"].diff()[before["school_year"].diff() == 1]
    drift = float(steps.mean()) if len(steps) else 0.0
    expected = drift * years
    spread = movement * math.sqrt(years + (years**2 / len(steps) if len(steps) else 0))
    against = change - expected
    usual = Z90 * spread if np.isfinite(spread) else float("nan")
    return Feedback(
        start_year=int(first["school_year"]),
        start_value=float(first["value"]),
        latest_year=int(last["school_year"]),
        latest_value=float(last["value"]),
        change=change,
        expected=expected,
        against_trend=against,
        usual=usual,
        years_before=len(before),
        reading=reading(against, usual, better, bool(len(steps))),
    )


MONTHLY_D2 = 1.128  # σ̂ = mean moving range ÷ d₂, as the natural process limits use it


def monthly_feedback(months, values, start: dt.date, label: str, better: str, unit: str) -> Feedback | None:
    """An action on a process measured every month: limits from the months before the action started, and whether the
    months since raise a signal against them (`process`). None when there are too few months on either side.

    The change is the mean of the months since minus the centre line before; its 90% range is ±1.645·σ̂·√(1/n₀ + 1/n₁)
    with σ̂ = mR̄ ÷ 1.128, which treats months as independent around their level, as the limits do."""
    from districtstat.analyses.process import month_words, xmr

    first = f"{start.year}-{start.month:02d}"
    chart = xmr(months, values, before=first, label=label.lower(), better=better)
    since = np.array([month >= first for month in chart.months]) if chart is not None else np.array([])
    if chart is None or not since.any():
        return None
    after = chart.values[since]
    sigma = chart.mean_moving_range / MONTHLY_D2
    usual = Z90 * sigma * math.sqrt(1 / len(chart.baseline) + 1 / len(after))
    change = float(after.mean() - chart.centre)
    signals = [signal for signal in chart.signals if signal.last_month >= first]
    count = f"the {len(chart.baseline)} months before"
    if signals:
        text = f"a signal against the limits from {count}: {signals[0].sentence} A sign, not proof that the action moved it"
    else:
        text = f"no signal against the limits from {count}: the months since vary as the process did before"
    ends = f"{month_words(chart.baseline[0], short=True)}–{month_words(chart.baseline[-1], short=True)}"
    return Feedback(
        start_value=chart.centre,
        latest_value=float(after.mean()),
        change=change,
        expected=0.0,
        against_trend=change,
        usual=usual,
        reading=text,
        before_text=f"{value_with_unit(chart.centre, unit)} a month on average, {ends}",
        latest_text=f"{value_with_unit(float(after.mean()), unit)} a month on average, {len(after)} months since",
    )


def reading(against: float, usual: float, better: str, had_trend: bool) -> str:
    """What a change against the path before can say: nothing inside the usual movement, a sign (never proof) beyond it."""
    path = "its path before the action" if had_trend else "where it stood before the action"
    if not np.isfinite(usual):
        return "too few years across the consortium to know how far it moves by itself"
    if abs(against) <= usual:
        return f"inside the usual movement: no sign yet that it left {path}"
    if better == "neither":
        return f"beyond the usual movement: it {'rose' if against > 0 else 'fell'} away from {path}"
    direction = "better" if goodness(against, better) > 0 else "worse"
    return f"beyond the usual movement, for the {direction}: a sign it left {path}, not proof that the action moved it"


def action_progress(release: Release, district_id: str | None = None) -> pd.DataFrame:
    """Every action (or one district's) with what its indicator did since it started, once per release."""

    def compute() -> pd.DataFrame:
        actions = recorded_actions(release)
        history = release.history
        monthly = release.table("operations_monthly") if release.has_table("operations_monthly") else pd.DataFrame(columns=["district_id", "kpi_code", "month", "value"])
        today = as_of(release)
        rows = []
        movements: dict[str, float] = {}
        for action in actions.itertuples(index=False):
            code = action.indicator
            known = history["code"].eq(code).any() or monthly["kpi_code"].eq(code).any()
            _, label, better = describe(code) if known else ("", code, "neither")
            unit = unit_of(code) if known else ""
            if code not in movements:
                movements[code] = yearly_movement(history, code)
            own = history[(history["district_id"] == action.district_id) & (history["code"] == code)]
            months = monthly[(monthly["district_id"] == action.district_id) & (monthly["kpi_code"] == code)]
            moved = monthly_feedback(months["month"], months["value"], action.start_date, label, better, unit) if len(months) else None
            if moved is None:
                moved = feedback(own[["school_year", "value"]], action.start_date, movements[code], better, unit) if known else Feedback(reading="no published values for this indicator")
            goals = release.project.district_settings(action.district_id).goals
            goal = action.target if pd.notna(action.target) else goals.get(code, np.nan)
            rows.append(
                action._asdict()
                | {"label": label, "unit": unit, "better": better, "overdue": is_overdue(action.status, action.review_date, today)}
                | vars(moved)
                | {"goal": goal, "goal_status": goal_status(moved.latest_value, None if pd.isna(goal) else goal, better) if known else ""}
            )
        return pd.DataFrame(rows, columns=[*COLUMNS, "label", "unit", "better", "overdue", *Feedback.__dataclass_fields__, "goal", "goal_status"])

    progress = release.remember(("actions",), compute)
    if district_id is not None:
        progress = progress[progress["district_id"] == district_id]
    return progress.reset_index(drop=True).copy()


# ------------------------------------------------------------------ words and tables


def day_text(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_text(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def school_year_text(spring: int | None) -> str:
    return "" if spring is None or pd.isna(spring) else f"{int(spring) - 1}–{int(spring) % 100:02d}"


def value_with_unit(value: float, unit: str) -> str:
    if pd.isna(value):
        return "not published"
    if unit == "$":
        return f"{'−' if value < 0 else ''}${abs(value):,.0f}"
    if unit == "%":
        return f"{value:.1f}%".replace("-", "−")
    return f"{value:,.1f} {unit}".rstrip().replace("-", "−")  # a gap is negative: the true minus sign, as every page writes it


def change_with_unit(value: float, unit: str) -> str:
    if pd.isna(value):
        return ""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    if unit == "$":
        return f"{sign}${abs(value):,.0f}"
    return f"{sign}{abs(value):.1f} {'pct. pts' if unit == '%' else unit}".rstrip()


def status_text(row: pd.Series) -> str:
    started = "to start" if row["status"] == "planned" else "started"
    if row["overdue"]:
        return f"OVERDUE: review was due {day_text(row['review_date'])}; {STATUS_WORDS[row['status']]}, {started} {month_text(row['start_date'])}"
    return f"{STATUS_WORDS[row['status']].capitalize()}, {started} {month_text(row['start_date'])}, review {month_text(row['review_date'])}"


def against_text(row: pd.Series) -> str:
    """The change against the path before, with the half-width of the 90% range of usual movement."""
    if pd.isna(row["against_trend"]):
        return None
    usual = f" (usual ±{change_with_unit(row['usual'], row['unit']).lstrip('+−±')})" if np.isfinite(row["usual"]) else ""
    return change_with_unit(row["against_trend"], row["unit"]) + usual


def measured(values, units, years, texts) -> list[str]:
    """A value in its school year, or a monthly process's level in words."""
    return [text or (f"{value_with_unit(v, u)} in {school_year_text(y)}" if y is not None and pd.notna(y) else None) for v, u, y, text in zip(values, units, years, texts)]


def progress_frame(progress: pd.DataFrame, with_district: bool) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "indicator": progress["label"],
            "action": progress["what"] + " (" + progress["action_id"] + "; " + progress["owner_role"] + ")",
            "status": [status_text(row) for _, row in progress.iterrows()],
            "at_start": measured(progress["start_value"], progress["unit"], progress["start_year"], progress["before_text"]),
            "now": measured(progress["latest_value"], progress["unit"], progress["latest_year"], progress["latest_text"]),
            "change": [change_with_unit(v, u) or None for v, u in zip(progress["change"], progress["unit"])],
            "against_trend": [against_text(row) for _, row in progress.iterrows()],
            "reading": progress["reading"],
            "goal": [value_with_unit(g, u) + (f" ({s})" if s else "") if pd.notna(g) else "none set" for g, u, s in zip(progress["goal"], progress["unit"], progress["goal_status"])],
        }
    )
    if with_district:
        frame.insert(0, "district_name", progress["district_name"])
    return frame


ACTION_LABELS = {
    "district_name": "District",
    "indicator": "Indicator",
    "action": "Action (id; owner)",
    "status": "Status",
    "at_start": "Before the action",
    "now": "Latest",
    "change": "Change since",
    "against_trend": "Against the path before (90% range)",
    "reading": "What it can tell",
    "goal": "Goal (status)",
}


def district_actions_table(release: Release, district_id: str) -> ProtectedTable:
    """The district's actions beside the indicators they target. The values are the scorecard's own published
    ones (`release.history` already withholds what no page may show), so the table adds no student figure."""
    progress = action_progress(release, district_id)
    years = [release.latest_year] * len(progress)  # the latest value each row shows, and the status on the release date
    return protect(progress_frame(progress, with_district=False), counts={}, min_n=release.min_n).of_school_year(years)


HOW_TO_READ = (
    "Before the action: the value in the last school year completed before the action started. Against the path "
    "before: the change since, minus the change the district's yearly trend before the action would have brought "
    "(none when only one year came before); ± is 90% of how far this indicator moves in as many years across the "
    "consortium's districts. For a process measured every month, before and latest are monthly averages and the "
    "months since are read against the natural process limits of the months before (see each district's support "
    "services page). Units are the indicator's: % of students, scale points, days, dollars per pupil or work orders."
)


def district_caption() -> tuple[str, str]:
    return "Actions of the district and the indicators they target", HOW_TO_READ


def indicator_caption(label: str) -> tuple[str, str]:
    return f"Every district's actions on {label.lower()}", HOW_TO_READ


def district_actions_lead(release: Release, district_id: str) -> str:
    progress = action_progress(release, district_id)
    name = release.district_name(district_id)
    if progress.empty:
        return f"{name} has recorded no actions in this release. A district records its actions in `actions.csv` (the contract `actions` says how); the scorecard then follows each one."
    overdue = progress[progress["overdue"]]
    counts = progress["status"].map(STATUS_WORDS).value_counts()
    states = ", ".join(f"{count} {word}" for word, count in counts.items())
    lines = [f"{name} has recorded {len(progress)} action{'s' if len(progress) != 1 else ''} ({states}) as of {day_text(as_of(release))}."]
    if len(overdue):
        lines.append(f"{len(overdue)} {'is' if len(overdue) == 1 else 'are'} past {'its' if len(overdue) == 1 else 'their'} review date without being marked done or stopped: " + ", ".join(overdue["action_id"]) + ".")
    return " ".join(lines) + "\n\n" + CAUTION


def consortium_actions(release: Release) -> pd.DataFrame:
    progress = action_progress(release)
    return progress.assign(district_name=progress["district_id"].astype(str).map(release.district_names).astype(str))


def indicators_acted_on(release: Release) -> list[tuple[str, str]]:
    """(code, label) of every indicator some district acts on, by label."""
    progress = consortium_actions(release)
    pairs = progress[["indicator", "label"]].drop_duplicates().sort_values(["label", "indicator"], kind="stable")
    return list(pairs.itertuples(index=False, name=None))


def indicator_actions_table(release: Release, code: str) -> ProtectedTable:
    """Every district's actions on one indicator: who else acted on the same problem, and what moved."""
    progress = consortium_actions(release)
    progress = progress[progress["indicator"] == code].sort_values(["start_date", "district_name"], kind="stable").reset_index(drop=True)
    # No goal column: goals set in params belong to each district's own pages, which rerun when they change.
    frame = progress_frame(progress, with_district=True).drop(columns=["indicator", "goal"])
    years = [release.latest_year] * len(progress)
    return protect(frame, counts={}, min_n=release.min_n).naming_districts(list(progress["district_id"])).of_school_year(years)


def consortium_actions_lead(release: Release) -> str:
    progress = consortium_actions(release)
    if progress.empty:
        return (
            "No district has recorded an action yet. A district records each action in `actions.csv`: district, action id, "
            "the indicator it targets, what it does, the role that owns it, start and review dates and its status "
            "(the contract `actions` describes every column). This page then lists every action by indicator."
        )
    overdue = int(progress["overdue"].sum())
    return (
        f"{len(progress)} actions by {progress['district_id'].nunique()} districts on {progress['indicator'].nunique()} indicators, "
        f"as of {day_text(as_of(release))}; {overdue} {'is' if overdue == 1 else 'are'} past {'its' if overdue == 1 else 'their'} review date.\n\n" + CAUTION
    )


# ------------------------------------------------------------------ published list and what changed

PUBLISHED_COLUMNS = ["district_id", "district_name", "school_year", "action_id", "indicator", "label", "what", "owner_role", "start_date", "review_date", "status", "overdue"]


def published_actions(release: Release) -> pd.DataFrame:
    """The actions as the release publishes them (`downloads/actions.csv`), read back by the next release."""
    progress = consortium_actions(release)
    frame = progress.assign(school_year=release.latest_year).reindex(columns=PUBLISHED_COLUMNS)
    for column in ("start_date", "review_date"):
        frame[column] = frame[column].map(lambda day: day.isoformat() if isinstance(day, dt.date) else day)
    return frame.sort_values(["district_id", "action_id"], kind="stable").reset_index(drop=True)


def action_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Actions started, finished, stopped, newly overdue or withdrawn between two releases' published lists."""
    keys = ["district_id", "action_id"]
    merged = before.merge(after, on=keys, how="outer", suffixes=("_before", ""), indicator=True)
    rows = []
    for row in merged.to_dict("records"):
        side = row["_merge"]
        if side == "left_only":
            rows.append({**_described(row, "_before"), "change": "no longer listed"})
            continue
        was = row.get("status_before") if side == "both" else None
        if side == "right_only":
            rows.append({**_described(row, ""), "change": f"new: {STATUS_WORDS.get(row['status'], row['status'])}, started {row['start_date']}"})
        elif was != row["status"]:
            rows.append({**_described(row, ""), "change": f"{STATUS_WORDS.get(was, was)} → {STATUS_WORDS.get(row['status'], row['status'])}"})
        if _truth(row["overdue"]) and not (side == "both" and _truth(row.get("overdue_before"))):
            rows.append({**_described(row, ""), "change": f"now overdue: review date {row['review_date']} has passed"})
    columns = ["district_id", "district_name", "action_id", "label", "what", "change"]
    return pd.DataFrame(rows, columns=columns).sort_values(["district_id", "action_id"], kind="stable").reset_index(drop=True)


def _truth(value) -> bool:
    return str(value).strip().lower() in ("true", "1")


def _described(row: dict, suffix: str) -> dict:
    """An action's description from one side of the merge; its key has no suffix."""
    return {"district_id": row["district_id"], "action_id": row["action_id"]} | {name: row.get(name + suffix) for name in ("district_name", "label", "what")}


# ------------------------------------------------------------------ the example consortium's actions
