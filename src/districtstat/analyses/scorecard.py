"""The balanced scorecard: student outcomes, equity, finance and operations on one page per district.

For every indicator: its value in every school year, its change along the trend line with the change's 90% interval
and the word the one rule of `trends` gives it, the district's
percentile among its peers (100 = better than every peer) with its 90% interval (`standing`), and its status against
the goal set in params.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from districtstat.data.aggregate import subgroup_label
from districtstat.data.subjects import subject_words
from districtstat.analyses.gaps import gap_standard_error, publishable
from districtstat.analyses.indicators import GAP_MEANINGFUL_CHANGE, INDICATORS, goodness
from districtstat.analyses.standing import peer_standing_interval, uncertainty_of
from districtstat.analyses.trends import Trend, trend

EQUITY_GROUPS = ["ECODIS", "EL", "SWD", "CHRONIC_ABSENT"]
AREAS = ["Student outcomes", "Equity", "Finance", "Operations"]


def gap_history(gaps: pd.DataFrame, min_n: int, groups: list[str] = EQUITY_GROUPS, publishable_only: bool = True) -> pd.DataFrame:
    """Each district's gap to the other students for the equity groups, by year, with its standard error in points
    (from the gap's own Welch interval); gaps resting on small or withheld groups dropped, unless `publishable_only` is
    off (what the data holds, to tell withheld from never measured)."""
    chosen = publishable(gaps, min_n) if publishable_only else gaps.dropna(subset=["gap"])
    chosen = chosen[(chosen["grade"] == "ALL") & (chosen["comparison_kind"] == "complement") & chosen["focal"].isin(groups)]
    return pd.DataFrame(
        {
            "district_id": chosen["district_id"],
            "school_year": chosen["school_year"],
            "code": "gap." + chosen["focal"] + "." + chosen["subject"],
            "value": chosen["gap"].astype(float),
            "n": chosen["n_focal"].astype(float),
            "se": gap_standard_error(chosen).astype(float),
        }
    )


def describe(code: str) -> tuple[str, str, str]:
    """(area, label, better) for an indicator or gap code."""
    if code.startswith("gap."):
        _, group, subject = code.split(".")
        return "Equity", f"{subgroup_label(group)}: gap in {subject_words(subject).short}", "closer_to_zero"
    indicator = INDICATORS[code]
    return indicator.area, indicator.label, indicator.better


def unit_of(code: str) -> str:
    """Gaps are differences of scale scores, so they are in points like the scores themselves."""
    return INDICATORS[code].unit if code in INDICATORS else "points"


def meaningful_change(code: str) -> float:
    return INDICATORS[code].meaningful_change if code in INDICATORS else GAP_MEANINGFUL_CHANGE


def peer_ranked(code: str) -> bool:
    return INDICATORS[code].peer_ranked if code in INDICATORS else True


def goal_status(value: float, target: float | None, better: str) -> str:
    if target is None or pd.isna(value):
        return ""
    return "met" if goodness(value, better) >= goodness(target, better) else "not met"


def trend_of(code: str, years, values, errors) -> Trend | None:
    """The trend of one indicator's or gap's series with each year's standard error, by the one rule of `trends`."""
    return trend(years, values, errors, describe(code)[2], meaningful_change(code))


SCORECARD_COLUMNS = [
    "area", "indicator", "code", "unit", "year", "value", "se", "change", "change_low", "change_high", "since", "trend",
    "peer_percentile", "percentile_low", "percentile_high", "uncertainty", "standing", "rank", "peer_median", "peers", "goal", "status", "n", "withheld",
]  # fmt: skip
NO_STANDING = {"peer_percentile": np.nan, "percentile_low": np.nan, "percentile_high": np.nan, "uncertainty": "", "standing": "", "rank": np.nan, "peer_median": np.nan, "peers": 0}


def scorecard(
    history: pd.DataFrame, district_id: str, peer_ids: list[str], goals: dict[str, float], latest_year: int | None = None, withheld: set[str] = frozenset()
) -> pd.DataFrame:
    """One row per indicator for one district: latest value, change along the trend line with its 90% interval (from
    each year's `se`), trend, peer percentile with its 90% interval, goal and status.

    The percentile's interval comes from the standard errors in the history's `se` column (`standing`); where a figure
    rests on students and no error is known (no `se` column, or NaN), `uncertainty` is `unknown` and no percentile is
    given, since none could be told from chance. `standing` says whether the interval supports a verdict: `above` or
    `below` the middle of its peers (the whole interval on one side of 50), else `middle`; `peer_median` and `peers`
    say what it is ranked against.

    `withheld` names the indicators whose value in the release's `latest_year` no page may show: their row keeps
    that year, with no value, standing or goal status, rather than quietly reporting an earlier year as the latest."""
    rows = []
    if "se" not in history:
        history = history.assign(se=np.nan)
    own_rows = history[history["district_id"] == district_id]
    peer_rows = history[history["district_id"].isin(peer_ids)]
    peers_by_code = {code: frame for code, frame in peer_rows.groupby("code", sort=False)}
    for code, own in own_rows.groupby("code", sort=False):
        own = own.sort_values("school_year")
        area, label, better = describe(code)
        moved = trend_of(code, own["school_year"], own["value"], own["se"])
        target = goals.get(code)
        row = {"area": area, "indicator": label, "code": code, "unit": unit_of(code)}
        row |= {"change": moved.change if moved else np.nan, "change_low": moved.low if moved else np.nan, "change_high": moved.high if moved else np.nan}
        row |= {"since": moved.first_year if moved else np.nan, "trend": moved.word if moved else ""}
        row |= {"goal": target if target is not None else np.nan}
        if code in withheld and latest_year is not None:
            rows.append(row | NO_STANDING | {"year": int(latest_year), "value": np.nan, "se": np.nan, "status": "", "n": np.nan, "withheld": True})
            continue
        latest = int(own["school_year"].iloc[-1])
        value, own_se = float(own["value"].iloc[-1]), float(own["se"].iloc[-1])
        series = peers_by_code.get(code, peer_rows.iloc[0:0])
        peers = series[series["school_year"] == latest]
        ranked = len(peers) and better != "neither" and peer_ranked(code)
        standing = NO_STANDING
        if ranked:
            found = peer_standing_interval(value, own_se, peers["value"], peers["se"], better, uncertainty_of(code, own_se), meaningful=meaningful_change(code))
            standing = {"peer_percentile": found.percentile, "percentile_low": found.low, "percentile_high": found.high}
            standing |= {"uncertainty": found.uncertainty, "standing": found.verdict, "rank": found.rank, "peer_median": float(peers["value"].median()), "peers": len(peers)}
        n = float(own["n"].iloc[-1]) if "n" in own and pd.notna(own["n"].iloc[-1]) else np.nan
        rows.append(row | standing | {"year": latest, "value": value, "se": own_se, "status": goal_status(value, target, better), "n": n, "withheld": False})
    card = pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
    if card.empty:
        return card
    card["area"] = pd.Categorical(card["area"], categories=AREAS, ordered=True)
    return card.sort_values(["area", "code"], kind="stable").reset_index(drop=True)


def yearly_series(history: pd.DataFrame, district_id: str, peer_ids: list[str]) -> pd.DataFrame:
    """Every indicator and gap of the district in every school year, beside its peers' median that year.

    The median is taken over the peers' published values only (history has already left out what no page may
    show), so it tells nothing that the peers' own pages do not."""
    own = history[history["district_id"] == district_id][["code", "school_year", "value"]]
    peers = history[history["district_id"].isin(peer_ids)]
    median = peers.groupby(["code", "school_year"], sort=True)["value"].agg(peer_median="median", peers_reporting="size").reset_index()
    series = own.merge(median, on=["code", "school_year"], how="left")
    series["peers_reporting"] = series["peers_reporting"].fillna(0).astype(int)
    return series.sort_values(["code", "school_year"], kind="stable").reset_index(drop=True)
