"""What an attacker knows: the published counts and how counts add up, solved as a linear program (HiGHS), so that
what "recoverable" means is computed, not assumed.

One system of equations is passed to HiGHS once and solved again for each objective (each hidden count's least and
most), from the last basis: about five times faster than a fresh `scipy.optimize.linprog` per objective, which spent
most of its time checking options and building matrices (benchmarks/disclosure.py)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

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


class _Program:
    """The attacker's equations as one HiGHS model: unknown counts ≥ 0, one equality per relation."""

    def __init__(self, rows: list, rhs: list, size: int) -> None:
        matrix = sparse.csc_matrix(np.array(rows).reshape(len(rows), size))
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = size, len(rows)
        model.col_cost_ = np.zeros(size)
        model.col_lower_, model.col_upper_ = np.zeros(size), np.full(size, highspy.kHighsInf)
        model.row_lower_ = model.row_upper_ = np.array(rhs, dtype=float)
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.num_col_, model.a_matrix_.num_row_ = size, len(rows)
        model.a_matrix_.start_, model.a_matrix_.index_, model.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
        self.solver = _solver()
        self.solver.setOptionValue("output_flag", False)
        self.solver.passModel(model)
        self.columns = np.arange(size, dtype=np.int32)

    def most(self, objective: np.ndarray, what: str) -> float:
        """The largest value of `objective` · unknowns the equations allow (inf when unbounded)."""
        self.solver.changeColsCost(len(self.columns), self.columns, -np.asarray(objective, dtype=float))
        self.solver.run()
        status = self.solver.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:  # presolve could not tell which: ask again without it
            self.solver.setOptionValue("presolve", "off")
            self.solver.run()
            status = self.solver.getModelStatus()
            self.solver.setOptionValue("presolve", "choose")
        if status == highspy.HighsModelStatus.kInfeasible:
            raise Contradiction(f"the published counts contradict how they add up ({what})")
        if status == highspy.HighsModelStatus.kUnbounded:
            return np.inf
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS could not solve the attacker's equations ({what}): {self.solver.modelStatusToString(status)}")
        return float(-self.solver.getInfo().objective_function_value)


_greeted = threading.Event()  # set, not rebound: like HiGHS's own flag, a run forked after the first solver inherits it
_greeting_lock = threading.Lock()


def _solver() -> highspy.Highs:
    """A new HiGHS solver. HiGHS greets on the process's standard output when the first is made, which a notebook
    would keep in its output; so the first is made with that output sent nowhere, once, under a lock (the output
    is the whole process's, not one thread's)."""
    if _greeted.is_set():
        return highspy.Highs()
    with _greeting_lock:
        if not _greeted.is_set():
            with _quiet_stdout():
                solver = highspy.Highs()
            _greeted.set()
            return solver
    return highspy.Highs()


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def attacker_bounds(shown: Mapping[str, float], targets: Iterable[str], relations: Sequence[Relation]) -> dict[str, tuple[float, float]]:
    """The narrowest interval an attacker can place each target count in, from the shown counts and the relations.

    Every cell that is not shown (hidden, never published, or an unnamed remainder) is an unknown count ≥ 0. This is
    the linear-programming relaxation used by statistical agencies' audits: integer attacks are never tighter by more
    than rounding, and the margin is in whole students."""
    targets = sorted(set(targets))
    column, rows, rhs = _attacker_system(shown, relations, targets)
    if not rows:
        return {cell: (0.0, np.inf) for cell in targets}
    program = _Program(rows, rhs, len(column))
    bounds = {}
    for cell in targets:
        objective = np.zeros(len(column))
        objective[column[cell]] = 1.0
        bounds[cell] = (max(-program.most(-objective, f"cell {cell}"), 0.0), program.most(objective, f"cell {cell}"))
    return bounds


def small_hidden_groups(shown: Mapping[str, float], relations: Sequence[Relation], min_n: int) -> list[tuple[Relation, float]]:
    """Relations whose parts not shown add up to at most `min_n` − 1 students, with the most they can add up to.

    Each hidden cell may be wide enough, yet all students minus the shown groups is the hidden groups taken together
    (3 Asian and 4 Pacific Islander students are 7 students, whose mean score follows from the others'). That
    remainder is a group of students too, so it must be empty or reach `min_n`."""
    system, program = None, None  # built only when a relation's total is hidden too
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
            program = program or _Program(rows, rhs, len(column))
            objective = np.zeros(len(column))
            for part in unseen:
                objective[column[part]] += 1.0
            most = program.most(objective, f"the groups of {relation.total} not shown")
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
