"""The balanced scorecard: student outcomes, equity, finance and operations on one page per district.

For every indicator: the latest value, its change since the first year, the district's percentile among its
peers (100 = better than every peer) and its status against the goal set in params.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .aggregate import subgroup_label
from .gaps import publishable
from .indicators import INDICATORS, goodness

EQUITY_GROUPS = ["ECODIS", "EL", "SWD", "CHRONIC_ABSENT"]
AREAS = ["Student outcomes", "Equity", "Finance", "Operations"]


def gap_history(gaps: pd.DataFrame, min_n: int, groups: list[str] = EQUITY_GROUPS) -> pd.DataFrame:
    """Each district's gap to the other students for the equity groups, by year; gaps resting on small groups dropped."""
    chosen = publishable(gaps, min_n)
    chosen = chosen[(chosen["grade"] == "ALL") & (chosen["comparison_kind"] == "complement") & chosen["focal"].isin(groups)]
    return pd.DataFrame(
        {
            "district_id": chosen["district_id"],
            "school_year": chosen["school_year"],
            "code": "gap." + chosen["focal"] + "." + chosen["subject"],
            "value": chosen["gap"].astype(float),
            "n": chosen["n_focal"].astype(float),
        }
    )


def describe(code: str) -> tuple[str, str, str]:
    """(area, label, better) for an indicator or gap code."""
    if code.startswith("gap."):
        _, group, subject = code.split(".")
        return "Equity", f"{subgroup_label(group)}: gap in {'math' if subject == 'MATH' else 'ELA'}", "closer_to_zero"
    indicator = INDICATORS[code]
    return indicator.area, indicator.label, indicator.better


def goal_status(value: float, target: float | None, better: str) -> str:
    if target is None or pd.isna(value):
        return ""
    return "met" if goodness(value, better) >= goodness(target, better) else "not met"


def trend_word(first: float, latest: float, better: str) -> str:
    """How an indicator moved since the first year, in the words of its better direction."""
    change = latest - first
    if pd.isna(change):
        return ""
    if abs(change) <= 0.01 * max(abs(first), abs(latest), 1.0):  # within 1% of its size: steady in any unit
        return "steady"
    if better == "neither":
        return "up" if change > 0 else "down"
    improved = goodness(latest, better) > goodness(first, better)
    if better == "closer_to_zero":
        return "closing" if improved else "widening"
    return "improving" if improved else "worsening"


def scorecard(history: pd.DataFrame, district_id: str, peer_ids: list[str], goals: dict[str, float]) -> pd.DataFrame:
    """One row per indicator for one district: value, change, trend, peer percentile, goal and status."""
    rows = []
    own_rows = history[history["district_id"] == district_id]
    peer_rows = history[history["district_id"].isin(peer_ids)]
    peers_by_code = {code: frame for code, frame in peer_rows.groupby("code", sort=False)}
    for code, own in own_rows.groupby("code", sort=False):
        own = own.sort_values("school_year")
        area, label, better = describe(code)
        latest_year = int(own["school_year"].iloc[-1])
        value = float(own["value"].iloc[-1])
        first = own.iloc[0]
        change = value - float(first["value"]) if len(own) > 1 else np.nan
        trend = trend_word(float(first["value"]), value, better) if len(own) > 1 else ""
        series = peers_by_code.get(code, peer_rows.iloc[0:0])
        peers = series[series["school_year"] == latest_year].set_index("district_id")["value"]
        scores = goodness(pd.concat([peers, pd.Series({district_id: value})]), better)
        percentile = float((scores.drop(district_id) < scores[district_id]).mean() * 100) if len(peers) and better != "neither" else np.nan
        target = goals.get(code)
        rows.append(
            {
                "area": area,
                "indicator": label,
                "code": code,
                "year": latest_year,
                "value": value,
                "change": change,
                "since": int(first["school_year"]) if len(own) > 1 else np.nan,
                "trend": trend,
                "peer_percentile": percentile,
                "goal": target if target is not None else np.nan,
                "status": goal_status(value, target, better),
                "n": float(own["n"].iloc[-1]) if "n" in own and pd.notna(own["n"].iloc[-1]) else np.nan,
            }
        )
    card = pd.DataFrame(rows)
    if card.empty:
        return card
    card["area"] = pd.Categorical(card["area"], categories=AREAS, ordered=True)
    return card.sort_values(["area", "code"], kind="stable").reset_index(drop=True)
