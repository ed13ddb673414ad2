"""Comparison with the previous release: what two releases side by side tell about a few students who joined or left
a group, and which counts stay hidden for the previous release's sake."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from districtstat.privacy.disclosure.attacker import TOLERANCE, Contradiction, Relation, _Program
from districtstat.privacy.disclosure.counts_file import count_key


@dataclass(frozen=True)
class Movement:
    """Students an attacker can tell joined or left a set of groups between two releases: 1 to `min_n` − 1 of them."""

    cells: tuple[str, ...]
    low: float
    high: float

    def describe(self) -> str:
        return f"{' + '.join(self.cells)} changed by between {self.low:+g} and {self.high:+g} students since the previous release"


def _pair_system(now: Mapping[str, float], before: Mapping[str, float], relations: Sequence[Relation]):
    """Both releases' equations side by side: each cell not shown in a release is an unknown count ≥ 0 of that
    release, and every relation holds in each release."""
    cells = sorted({cell for relation in relations for cell in relation.cells})
    unknown = [(side, cell) for side, shown in (("now", now), ("before", before)) for cell in cells if cell not in shown]
    column = {name: i for i, name in enumerate(unknown)}
    rows, rhs = [], []
    for side, shown in (("now", now), ("before", before)):
        for relation in relations:
            row, known = np.zeros(len(unknown)), 0.0
            for cell, sign in [(relation.total, -1.0), *((part, 1.0) for part in relation.parts)]:
                if cell in shown:
                    known += sign * float(shown[cell])
                else:
                    row[column[(side, cell)]] += sign
            if row.any():
                rows.append(row)
                rhs.append(-known)
            elif abs(known) > TOLERANCE:
                raise Contradiction(f"the {side} release's counts contradict how they add up ({relation.total})")
    return column, rows, rhs


def changed_by_few(now: Mapping[str, float], before: Mapping[str, float], relations: Sequence[Relation], min_n: int) -> list[Movement]:
    """Sets of groups whose change between two releases an attacker can pin to 1 to `min_n` − 1 students (joined or
    left): each group alone, and the groups of each relation not shown in both releases taken together (all
    students minus the groups shown both times). A change that may be zero tells nothing certain; one of at least
    `min_n` students is a group like any published one.

    `now` and `before` are the counts each release shows of the same district, year and subject."""
    if now == before:
        return []  # what the previous release's hidden counts were is still possible now: every change may be zero
    cells = sorted({cell for relation in relations for cell in relation.cells})
    targets = {(cell,) for cell in cells if not (cell in now and cell in before)}
    for relation in relations:
        unseen = tuple(part for part in relation.parts if not (part in now and part in before))
        if len(unseen) > 1:
            targets.add(unseen)
    if not targets:
        return []
    column, rows, rhs = _pair_system(now, before, relations)
    program = _Program(rows, rhs, len(column)) if rows else None
    found = []
    for target in sorted(targets):
        objective, constant = np.zeros(len(column)), 0.0
        for cell in target:
            for side, shown, sign in (("now", now, 1.0), ("before", before, -1.0)):
                if cell in shown:
                    constant += sign * float(shown[cell])
                else:
                    objective[column[(side, cell)]] += sign
        if rows and objective.any():
            high = constant + program.most(objective, f"the change of {' + '.join(target)}")
            low = constant - program.most(-objective, f"the change of {' + '.join(target)}")
        elif objective.any():
            continue  # unbounded both ways
        else:
            low = high = constant
        if (TOLERANCE < low and high < min_n - TOLERANCE) or (-min_n + TOLERANCE < low and high < -TOLERANCE):
            found.append(Movement(target, low, high))
    return found


def previous_shown(previous: Mapping[str, float | None], names: Mapping[str, str]) -> dict[str, float] | None:
    """The counts the previous release showed of one district, year and subject, by group (None when it published
    none of them): what an attacker differences this release's counts against."""
    shown = {code: float(previous[key]) for code, key in names.items() if previous.get(key) is not None}
    return shown or None


def kept_hidden(value: float, previous: Mapping[str, float | None], key: str, min_n: int) -> bool:
    """Whether a count must stay hidden for the previous release's sake: it hid the count, or the count moved by
    fewer than `min_n` students since (the difference would describe those few)."""
    if key not in previous:
        return False
    before = previous[key]
    return before is None or 0 < abs(value - before) < min_n


def hidden_enrollments(indicators: pd.DataFrame, previous: Mapping[str, float | None] | None, min_n: int) -> pd.Series:
    """Which district enrollments (`enrolled/D03/2024`) every page hides because of the previous release: with
    them go the shares of students in each group, or 14.3% of 838 then and of 835 now would tell about three."""
    previous = previous or {}
    keys = [count_key("enrolled", district, year) for district, year in zip(indicators["district_id"], indicators["school_year"])]
    hidden = [pd.notna(n) and kept_hidden(float(n), previous, key, min_n) for n, key in zip(indicators["enrollment"], keys)]
    return pd.Series(hidden, index=indicators.index, dtype=bool)
