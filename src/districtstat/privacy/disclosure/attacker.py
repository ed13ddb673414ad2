"""What an attacker knows: the published counts and how counts add up, solved as a linear program (scipy's HiGHS),
so that what "recoverable" means is computed, not assumed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

TOLERANCE = 1e-6


# ------------------------------------------------------------------ what an attacker knows


class Contradiction(ValueError):
    """Counts that cannot all be true at once: e.g. two releases that did not count the same students."""


@dataclass(frozen=True)
class Relation:
    """`total` is the sum of `parts`: public knowledge about how counts add up."""

    total: str
    parts: tuple[str, ...]

    @property
    def cells(self) -> tuple[str, ...]:
        return (self.total, *self.parts)


def _attacker_system(shown: Mapping[str, float], relations: Sequence[Relation], extra: Iterable[str] = ()):
    """The attacker's equations: every cell not shown is an unknown count ≥ 0; each relation is one equality."""
    unknown = sorted({cell for relation in relations for cell in relation.cells if cell not in shown} | set(extra))
    column = {cell: i for i, cell in enumerate(unknown)}
    rows, rhs = [], []
    for relation in relations:
        row = np.zeros(len(unknown))
        known = 0.0
        for cell, sign in [(relation.total, -1.0), *((part, 1.0) for part in relation.parts)]:
            if cell in shown:
                known += sign * float(shown[cell])
            else:
                row[column[cell]] += sign
        if row.any():
            rows.append(row)
            rhs.append(-known)
    return column, rows, rhs


def _most(objective: np.ndarray, rows: list, rhs: list, what: str) -> float:
    """The largest value of `objective` · unknowns the attacker's equations allow (inf when unbounded)."""
    found = linprog(-objective, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=(0, None), method="highs")
    if found.status == 2:
        raise Contradiction(f"the published counts contradict how they add up ({what})")
    return np.inf if found.status == 3 else float(-found.fun)


def attacker_bounds(shown: Mapping[str, float], targets: Iterable[str], relations: Sequence[Relation]) -> dict[str, tuple[float, float]]:
    """The narrowest interval an attacker can place each target count in, from the shown counts and the relations.

    Every cell that is not shown (hidden, never published, or an unnamed remainder) is an unknown count ≥ 0. This is
    the linear-programming relaxation used by statistical agencies' audits: integer attacks are never tighter by more
    than rounding, and the margin is in whole students."""
    targets = sorted(set(targets))
    column, rows, rhs = _attacker_system(shown, relations, targets)
    if not rows:
        return {cell: (0.0, np.inf) for cell in targets}
    bounds = {}
    for cell in targets:
        objective = np.zeros(len(column))
        objective[column[cell]] = 1.0
        bounds[cell] = (max(-_most(-objective, rows, rhs, f"cell {cell}"), 0.0), _most(objective, rows, rhs, f"cell {cell}"))
    return bounds


def small_hidden_groups(shown: Mapping[str, float], relations: Sequence[Relation], min_n: int) -> list[tuple[Relation, float]]:
    """Relations whose parts not shown add up to at most `min_n` − 1 students, with the most they can add up to.

    Each hidden cell may be wide enough, yet all students minus the shown groups is the hidden groups taken together
    (3 Asian and 4 Pacific Islander students are 7 students, whose mean score follows from the others'). That
    remainder is a group of students too, so it must be empty or reach `min_n`."""
    system = None  # built only when a relation's total is hidden too
    found = []
    for relation in relations:
        unseen = [part for part in relation.parts if part not in shown]
        if not unseen:
            continue
        if relation.total in shown:  # the total minus the shown parts: no program needed
            most = float(shown[relation.total]) - sum(float(shown[part]) for part in relation.parts if part in shown)
        else:
            system = system or _attacker_system(shown, relations)
            column, rows, rhs = system
            objective = np.zeros(len(column))
            for part in unseen:
                objective[column[part]] += 1.0
            most = _most(objective, rows, rhs, f"the groups of {relation.total} not shown")
        if TOLERANCE < most < min_n - TOLERANCE:
            found.append((relation, most))
    return found


@dataclass(frozen=True)
class Exposure:
    """A hidden count an attacker can narrow to fewer than `margin` possible values."""

    cell: str
    low: float
    high: float

    def describe(self) -> str:
        return f"{self.cell} can be worked out to lie between {self.low:g} and {self.high:g}"


def exposed_cells(shown: Mapping[str, float], hidden: Iterable[str], relations: Sequence[Relation], margin: float) -> list[Exposure]:
    """Hidden counts whose attacker interval is narrower than the protection margin, narrowest first."""
    hidden = set(hidden)
    if not hidden:
        return []
    linked = {cell for relation in relations if hidden & set(relation.cells) for cell in relation.cells}
    bounds = attacker_bounds(shown, hidden & linked, [r for r in relations if set(r.cells) & linked])
    found = [Exposure(cell, low, high) for cell, (low, high) in bounds.items() if high - low < margin - TOLERANCE]
    return sorted(found, key=lambda e: (e.high - e.low, e.cell))
