"""Revised figures about students a release already published: when a school year's data are corrected, the two
releases side by side must not say that a few students' records changed, and how.

A corrected score leaves every count as it was, yet moves the mean of each group the student belongs to: the groups
whose mean moved while their students did not give that student's profile, and the move gives the new score. The
attacker reads a mean × its count as a score sum, rounded as published (a mean to 0.1 point is the sum to ± 0.05
points per student). Wherever the two releases prove that a group's score sum changed while its count moved by fewer
than `min_n` students, every figure of that district, year and subject is withheld in the new release (its counts
stay, under their own rules): a revision resting on a few students is not published group by group.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from districtstat.data.aggregate import subgroup_label

MEAN_MEASURE = "Mean score (points)"  # the results table's column, as the long file of figures names it
MEAN_DECIMALS = 1

Published = dict[tuple[str, int, str, str], tuple[float, float]]


def published_means(figures_file: Path | None, groups) -> Published:
    """(district, year, subject, group code) → (mean, students) for every group mean a release published beside its
    count, read from its `published_figures.csv`; `groups` are the codes whose labels the file uses."""
    if figures_file is None or not figures_file.is_file():
        return {}
    code_of = {subgroup_label(code): code for code in sorted(set(groups))}
    found: Published = {}
    for row in csv.DictReader(io.StringIO(figures_file.read_text(encoding="utf-8"))):
        if row["measure"] != MEAN_MEASURE or not row["value"] or not row["n"] or row["group"] not in code_of:
            continue
        found[(row["district_id"], int(row["school_year"]), row["subject"], code_of[row["group"]])] = (float(row["value"]), float(row["n"]))
    return found


def score_sum_change(before: tuple[float, float], mean: float, n: float) -> tuple[float, float]:
    """The least and most a group's score sum can have moved, from its rounded means and its counts in two releases."""
    half = 0.5 * 10**-MEAN_DECIMALS
    mean_before, n_before = before
    return (mean - half) * n - (mean_before + half) * n_before, (mean + half) * n - (mean_before - half) * n_before


def revised_by_few(outcomes: pd.DataFrame, previous: Published, min_n: int) -> pd.Series:
    """Which rows of `subgroup_outcomes` have their figures (mean, SD, % proficient, gaps) withheld: every group of a
    district, year and subject where a group shown in both releases certainly changed its score sum while its count
    moved by fewer than `min_n` students."""
    withheld = pd.Series(False, index=outcomes.index)
    if not previous:
        return withheld
    shown = outcomes[(outcomes["grade"] == "ALL") & ~outcomes["hidden"].astype(bool) & outcomes["n"].notna() & outcomes["mean_score"].notna()]
    flagged = set()
    for district, year, subject, group, n, mean in zip(shown["district_id"], shown["school_year"], shown["subject"], shown["subgroup"], shown["n"].astype(float), shown["mean_score"].astype(float)):
        before = previous.get((str(district), int(year), str(subject), str(group)))
        if before is None or abs(n - before[1]) >= min_n:
            continue
        low, high = score_sum_change(before, round(mean, MEAN_DECIMALS), n)
        if low > 0 or high < 0:
            flagged.add((str(district), int(year), str(subject)))
    if flagged:
        at = pd.Series(list(zip(outcomes["district_id"].astype(str), outcomes["school_year"].astype(int), outcomes["subject"].astype(str))), index=outcomes.index)
        withheld = at.isin(flagged) & (outcomes["grade"] == "ALL")
    return withheld
