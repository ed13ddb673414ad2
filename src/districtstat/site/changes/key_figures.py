"""The key figures of one release: every district's indicators, publishable gaps and the peer ranks its data support
in the latest year, written to the public CSV (rounded as the pages show them) and read back from it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from districtstat.privacy.disclosure.figures import SubjectFigures
from districtstat.report import Release
from districtstat.analyses.scorecard import describe, unit_of
from districtstat.analyses.standing import ABOVE, BELOW
from districtstat.views import in_sentence, ordinal, standing_among_peers

COLUMNS = ["district_id", "district_name", "school_year", "figure", "label", "area", "unit", "better", "value"]
KEYS = ["district_id", "figure"]
DESCRIPTION = ["district_name", "label", "area", "unit", "better"]

# The outcomes a district is ranked on among its peers in the key figures.
PEER_RANKED = SubjectFigures(("mean_score",))  # every subject's mean score; the efficiency residual is never ranked among a handful of peers
RANK_WORDS: dict[str, str] = {}
RANK_PREFIX = "peer_rank."

# Decimals kept in the public CSV: those the pages show (`SHOWN_STEP`), the precision every move is compared at.
CSV_DECIMALS = {"$": 0, "rank": 0}
DEFAULT_DECIMALS = 1


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
    """Each district's rank among itself and its peers on the key outcomes, as its peers page shows it (1 = best), where
    the rank says something: only where the 90% interval of its standing lies wholly above or below the middle of its
    peers (`standing`), with that interval in the label. A rank the data cannot tell from the middle is not a key figure,
    so no release-to-release move of it is reported as better or worse."""
    rows = []
    for district_id in districts:
        standing = standing_among_peers(release, district_id)
        if standing.empty:
            continue
        supported = standing["code"].map(lambda code: code in PEER_RANKED) & standing["rank"].notna() & standing["standing"].isin([ABOVE, BELOW])
        for _, row in standing[supported].iterrows():
            interval = f"90% interval {ordinal(row['best'])} to {ordinal(row['worst'])} of {row['of']}"
            rows.append(
                {
                    "district_id": district_id,
                    "school_year": release.latest_year,
                    "figure": RANK_PREFIX + row["code"],
                    "label": f"Rank among its peers (1 = best; {interval}): {RANK_WORDS.get(row['code'], in_sentence(row['indicator']))}",
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
    figures["district_name"] = figures["district_id"].astype(str).map(release.district_names).fillna(figures["district_id"]).astype(str)
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
