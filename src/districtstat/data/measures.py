"""Measures a public aggregate file may leave out, and what each one's absence switches off.

A state's district file often has a score and spending but no enrollment, region, grade span, score SD or
percent proficient. Rather than a placeholder (an invented region, an enrollment of 1), a missing measure turns
off what rests on it, and the pages say so in the words of `SWITCHED_OFF`.
"""

from __future__ import annotations

import re

import pandas as pd

# measure -> (what it is, what its absence switches off)
OPTIONAL_MEASURES = {
    "enrollment": (
        "enrollment",
        "no page shows a district's size, the district finder cannot filter by size, no figure is weighted by enrollment, and no peer feature or model control is built on it",
    ),
    "region": ("region", "the district finder cannot filter by region, and no peer feature is built on it"),
    "grade_span": ("grade span", "peers are not matched on the grades a district serves"),
    "sd_score": ("the spread (SD) of scores", "effect sizes cannot be computed, and the models' intervals cannot allow for how many students were tested"),
    "pct_proficient": ("percent proficient", "there are no percent-proficient indicators"),
}
# The measures each page's note speaks of: a page says only what it lost.
PEER_MEASURES = ("enrollment", "region", "grade_span")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
NOT_COLUMNS = {"np", "log", "log10", "log2", "sqrt", "exp", "C", "I"}


def measures_not_reported(tables: dict[str, pd.DataFrame]) -> list[str]:
    """The optional measures the data do not give for every district in the latest year, in `OPTIONAL_MEASURES` order."""
    indicators = tables["district_indicators"]
    latest = indicators[indicators["school_year"] == indicators["school_year"].max()]
    outcomes = tables["subgroup_outcomes"]
    found = {
        "enrollment": bool(latest["enrollment_reported"].all()) if "enrollment_reported" in latest else True,
        "region": "region" in latest and latest["region"].notna().all(),
        "grade_span": "grade_span" in latest and latest["grade_span"].notna().all(),
        "sd_score": "sd_score" in outcomes and outcomes["sd_score"].notna().any(),
        "pct_proficient": "pct_proficient" in outcomes and outcomes["pct_proficient"].notna().any(),
    }
    return [measure for measure in OPTIONAL_MEASURES if not found[measure]]


def columns_of(feature: str) -> set[str]:
    """The data columns a peer feature or a model term is made from: `np.log(enrollment)` and `grade_span == K-8` name theirs."""
    expression = feature.split("==")[0]
    return {name for name in IDENTIFIER.findall(expression) if name not in NOT_COLUMNS}


def without_missing(features: list[str], missing: list[str]) -> tuple[list[str], list[str]]:
    """(kept, dropped): the declared features, less those made from a measure the data do not report."""
    gone = set(missing) | {f"log_{m}" for m in missing}
    kept = [feature for feature in features if not columns_of(feature) & gone]
    return kept, [feature for feature in features if feature not in kept]


def switched_off_note(missing: list[str]) -> str:
    """One sentence per missing measure, for the pages that would have used it."""
    return " ".join(f"The data do not report {OPTIONAL_MEASURES[m][0]}: {OPTIONAL_MEASURES[m][1]}." for m in missing)
