"""Disclosure control for every published table: no count, mean or rate rests on fewer than `min_n` students.

Three layers, as a state privacy officer expects them:

- primary suppression hides every count with 0 < n < `min_n` and every figure computed from those students;
- complementary suppression hides further counts until an attacker who knows every published count and how
  counts add up (a group and its complement make all students; the race groups make all students) cannot place
  any hidden count in an interval narrower than the protection margin. The attacker is a linear program
  (`attacker_bounds`, scipy's HiGHS), so what "recoverable" means is computed, not assumed;
- percentages of small groups are top and bottom coded (≤5, ≥95), since 2% of 40 students is one student.

Suppressed cells are shown with a symbol and a footnote, never as 0 or blank. Published tables carry the key of
each count cell, so the publish step can audit the release as an attacker would read it (`audit.py`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog

SUPPRESSED = "*"
TOLERANCE = 1e-6
SYSTEM_KEYS = ["school_year", "district_id", "subject", "grade"]
PUBLISHED_GRADE = "ALL"
STUDENT_COUNTS_FILE = "downloads/student_counts.csv"
COUNT_FIELDS = ["measure", "district_id", "school_year", "subject", "grade", "group"]


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
            high = constant + _most(objective, rows, rhs, f"the change of {' + '.join(target)}")
            low = constant - _most(-objective, rows, rhs, f"the change of {' + '.join(target)}")
        elif objective.any():
            continue  # unbounded both ways
        else:
            low = high = constant
        if (TOLERANCE < low and high < min_n - TOLERANCE) or (-min_n + TOLERANCE < low and high < -TOLERANCE):
            found.append(Movement(target, low, high))
    return found


# ------------------------------------------------------------------ suppression


def suppress(
    counts: Mapping[str, float],
    relations: Sequence[Relation],
    *,
    min_n: int,
    margin: float,
    pairs: Mapping[str, str] | None = None,
    keep_hidden: Iterable[str] = (),
    last_resort: Iterable[str] = ("ALL",),
    before: Mapping[str, float] | None = None,
) -> set[str]:
    """The counts to hide in one set of related counts: primary cells, then complements until none is exposed, the
    groups hidden in each relation add up to none or at least `min_n` students, and, against the counts the previous
    release showed of the same students (`before`), no set of groups moved by 1 to `min_n` − 1 (`changed_by_few`).

    A zero is never hidden (no student to protect) and never chosen as a complement (hiding it protects nothing).
    Complements are the smallest shown count in a relation with the exposed cell, so as little as possible is lost;
    `last_resort` cells (all students) are taken only when nothing else protects. `pairs` are hidden together
    (a group and its complement), and `keep_hidden` stays hidden (what an earlier release hid)."""
    pairs = pairs or {}
    last_resort = set(last_resort)
    positive = {cell for cell, value in counts.items() if value > 0}
    hidden = {cell for cell in positive if counts[cell] < min_n} | (set(keep_hidden) & positive)
    hidden = _with_pairs(hidden, pairs, positive)
    while True:
        shown = {cell: value for cell, value in counts.items() if cell not in hidden}
        exposed = _alone_in_a_relation(shown, hidden, relations) or {e.cell for e in exposed_cells(shown, hidden, relations, margin)}
        if exposed:
            to_widen = [r for r in relations if exposed & set(r.cells)]
        else:
            to_widen = [relation for relation, _ in small_hidden_groups(shown, relations, min_n)]
            if not to_widen and before:
                moved = {cell for movement in changed_by_few(shown, before, relations, min_n) for cell in movement.cells}
                to_widen = [r for r in relations if moved & set(r.cells)]
            if not to_widen:
                return hidden
        candidates = {other for r in to_widen for other in r.cells if other in shown and other in positive}
        if not candidates:
            return set(positive)
        chosen = min(candidates, key=lambda c: (c in last_resort, counts[c], c))
        hidden = _with_pairs(hidden | {chosen}, pairs, positive)


def _alone_in_a_relation(shown: Mapping[str, float], hidden: set[str], relations: Sequence[Relation]) -> set[str]:
    """Hidden cells that are the only unknown of a relation: recoverable by subtraction, no linear program needed."""
    alone = set()
    for relation in relations:
        unknown = [cell for cell in relation.cells if cell not in shown]
        if len(unknown) == 1 and unknown[0] in hidden:
            alone.add(unknown[0])
    return alone


def _with_pairs(hidden: set[str], pairs: Mapping[str, str], positive: set[str]) -> set[str]:
    partners = {pairs[cell] for cell in hidden if cell in pairs} | {a for a, b in pairs.items() if b in hidden}
    return hidden | (partners & positive)


# ------------------------------------------------------------------ student groups of one district, year, subject and grade


def group_dimension(code: str) -> str | None:
    """The characteristic a group is defined by: RACE, SEX or the program's own code (None for all students)."""
    if code == "ALL" or "_X_" in code:
        return None
    code = code.removeprefix("NOT_")
    for prefix in ("RACE_", "SEX_"):
        if code.startswith(prefix):
            return prefix[:-1]
    return code


def subgroup_relations(counts: Mapping[str, float]) -> list[Relation]:
    """How the groups of one district, year, subject and grade add up, as the data define them.

    A group and its complement make all students, and the race (or sex) groups make all students, except for
    students without that record: that remainder is an unknown count shared by every relation of its
    characteristic. An intersection (EL × ECODIS) lies inside each of its parts. Groups absent from the data have
    no students, which an attacker can see, so they count as a shown zero."""
    total = float(counts.get("ALL", 0))
    relations = []
    by_dimension: dict[str, list[str]] = {}
    for code in sorted(counts):
        dimension = group_dimension(code)
        if dimension in ("RACE", "SEX") and not code.startswith("NOT_"):
            by_dimension.setdefault(dimension, []).append(code)
    remainders = {}
    for dimension, codes in by_dimension.items():
        missing = total - sum(float(counts[c]) for c in codes)
        remainders[dimension] = (f"(no {dimension.lower()} recorded)",) if missing > 0 else ()
        relations.append(Relation("ALL", (*codes, *remainders[dimension])))
    for code in sorted(counts):
        if code.startswith("NOT_") or group_dimension(code) is None or f"NOT_{code}" not in counts:
            continue
        dimension = group_dimension(code)
        if dimension not in remainders:
            missing = total - float(counts[code]) - float(counts[f"NOT_{code}"])
            remainders[dimension] = (f"(no {dimension.lower()} record)",) if missing > 0 else ()
        relations.append(Relation("ALL", (code, f"NOT_{code}", *remainders[dimension])))
    for code in sorted(counts):
        if "_X_" in code:
            for part in code.split("_X_"):
                if part in counts:
                    relations.append(Relation(part, (code, f"({part} outside {code})")))
    return [r for r in relations if "ALL" in counts or r.total != "ALL"]


def complement_pairs(codes: Iterable[str]) -> dict[str, str]:
    codes = set(codes)
    return {code: f"NOT_{code}" for code in sorted(codes) if f"NOT_{code}" in codes}


def count_key(measure: str, district_id: str, school_year: object, subject: str = "", grade: str = "", group: str = "ALL") -> str:
    """The name of one published count across tables, pages and releases: `tested/D03/2024/MATH/ALL/EL`."""
    return "/".join([measure, str(district_id), str(int(school_year)), subject, grade, group])


def suppress_subgroups(
    outcomes: pd.DataFrame,
    *,
    min_n: int,
    margin: float,
    previous: Mapping[str, float | None] | None = None,
) -> pd.Series:
    """Which rows of `subgroup_outcomes` every page must hide: one suppression per district, year, subject and grade.

    `previous` maps the keys of the counts the previous release published to their value (None when hidden). A count
    hidden then stays hidden, and a count whose value moved by fewer than `min_n` students is hidden now: otherwise
    the two releases side by side would tell what a small group of students did.

    Only the all-grades counts are published, so only they get complementary suppression (about a second on the
    example); a grade's counts get primary suppression, and a page that published them would be stopped by the audit
    at publish."""
    previous = previous or {}
    hidden = pd.Series(False, index=outcomes.index)
    published = outcomes["grade"] == PUBLISHED_GRADE
    n = outcomes["n"].astype(float)
    hidden.loc[~published] = ((n > 0) & (n < min_n))[~published]
    for (year, district), systems in outcomes[published].groupby(["school_year", "district_id"], sort=True, observed=True):
        for rows in suppress_subjects(systems, year, district, min_n, margin, previous):
            hidden.loc[rows] = True
    return hidden


def suppress_subjects(systems: pd.DataFrame, year, district, min_n: int, margin: float, previous: Mapping[str, float | None]) -> list[pd.Index]:
    """One district's and year's suppression in every subject at once: a group hidden in one subject is hidden in
    the others, since the same students take both tests (ELA and math counts of a group differ by 0 to 2 students in
    most groups, so one shown would all but give the other away)."""
    by_subject = {}
    for subject, system in systems.groupby("subject", sort=True, observed=True):
        counts = {code: float(n) for code, n in zip(system["subgroup"], system["n"].astype(float)) if pd.notna(n)}
        names = {code: count_key("tested", district, year, subject, PUBLISHED_GRADE, code) for code in counts}
        keep = {code for code, key in names.items() if kept_hidden(counts[code], previous, key, min_n)}
        by_subject[subject] = (system, counts, keep, previous_shown(previous, names))
    hidden_groups: set[str] = set()
    while True:
        chosen = {
            subject: suppress(counts, subgroup_relations(counts), min_n=min_n, margin=margin, pairs=complement_pairs(counts), keep_hidden=keep | hidden_groups, before=before)
            for subject, (system, counts, keep, before) in by_subject.items()
        }
        everywhere = set().union(*chosen.values()) if chosen else set()
        if all(chosen[subject] >= {code for code in everywhere if counts.get(code, 0) > 0} for subject, (_, counts, _, _) in by_subject.items()):
            break
        hidden_groups |= everywhere
    return [system.index[system["subgroup"].isin(chosen[subject])] for subject, (system, *_) in by_subject.items()]


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


def read_student_counts(path) -> dict[str, float | None]:
    """The counts a release published (`downloads/student_counts.csv`), by key; None where it showed the symbol."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    keys = frame[COUNT_FIELDS[:3]].agg("/".join, axis=1) + "/" + frame[COUNT_FIELDS[3:]].agg("/".join, axis=1)
    values = [None if value == SUPPRESSED else float(value) for value in frame["students"]]
    return dict(zip(keys, values))


def student_counts_csv(counts: Mapping[str, float | None], names: Mapping[str, str] | None = None) -> str:
    """Every student count a release publishes, one row per count: what the next release keeps consistent with.
    With `names`, each district's name follows its id, so the file stands alone."""
    rows = [[*key.split("/"), SUPPRESSED if value is None else f"{value:.0f}"] for key, value in sorted(counts.items())]
    frame = pd.DataFrame(rows, columns=[*COUNT_FIELDS, "students"])
    if names is not None:
        frame.insert(COUNT_FIELDS.index("district_id") + 1, "district_name", frame["district_id"].map(lambda d: names.get(d, d)))
    return frame.to_csv(index=False, lineterminator="\n")


# ------------------------------------------------------------------ published tables


# A percentage of n students is a count of students in a category (pct × n) and of those outside it. It is rounded to
# the smallest of these steps that leaves at least `min_n` / 2 possible students either way, so that neither count is
# ever known exactly, and two releases' roundings of the same students still leave `min_n` possible values between them.
PERCENT_STEPS = (1, 2, 5, 10, 20, 25, 50)
ROUNDED_NOTE = "Percentages of students are rounded by group size: to whole points in groups of 500 or more, to 2, 5, 10, 20, 25 or 50 points in smaller groups (see Methods)."


def percent_step(n: float, min_n: int) -> int | None:
    """The rounding step of a percentage of `n` students: at least `min_n` / 2 students wide (None: no step is)."""
    return next((step for step in PERCENT_STEPS if step * n >= 50 * min_n), None)


def coding_cut(n: float, step: int, min_n: int) -> int:
    """The smallest multiple of `step` whose rounding interval reaches `min_n` students: below it, a rounded
    percentage would say that 1 to `min_n` − 1 students are in the category (above 100 − it, outside it)."""
    cut = step
    while (cut + step / 2) * n < 100 * min_n:
        cut += step
    return cut


def shown_percent(value: float, n: float, min_n: int) -> tuple[float | None, str | None]:
    """How a percentage of `n` students is published: (the rounded value, None), (None, `<c` or `>100−c`) at the
    ends, or (None, the hidden symbol) when no rounding protects the group (fewer than about 15 students).

    The rule is NCES's (SLDS Technical Brief 3): the smaller the group, the coarser the percentage and the wider the
    coded ends, so that no percentage gives the number of students in a category, or outside it, as 1 to `min_n` − 1;
    the steps are set for a release that also publishes the counts. Every group size is coded at its ends: 100% of
    250 students is `>96`, never 100."""
    if pd.isna(value) or pd.isna(n):
        return None, None
    if n < min_n or (step := percent_step(n, min_n)) is None:
        return None, SUPPRESSED
    cut = coding_cut(n, step, min_n)
    if cut > 50:
        return None, SUPPRESSED
    rounded = step * math.floor(float(value) / step + 0.5)
    if rounded < cut:
        return None, f"<{cut}"
    if rounded > 100 - cut:
        return None, f">{100 - cut}"
    return float(rounded), None


def percent_interval(shown: float | str, n: float, min_n: int) -> tuple[float, float]:
    """What a published percentage of `n` students says about the count in its category: the attacker's reading."""
    step = percent_step(n, min_n)
    if isinstance(shown, str):
        cut = float(shown[1:])
        low, high = (0.0, cut) if shown.startswith("<") else (cut, 100.0)
    else:
        low, high = shown - step / 2, shown + step / 2
    return max(low, 0.0) * n / 100, min(high, 100.0) * n / 100


CODED = tuple(f"<{cut}" for cut in range(1, 100)) + tuple(f">{cut}" for cut in range(1, 100))  # every end code (`<20`, `>80`)
BOTTOM_CODE, TOP_CODE = "<", ">"


def is_coded(text: object) -> bool:
    return isinstance(text, str) and text in CODED


def coded_percent(value: float, n: float, min_n: int) -> str | None:
    """The code or symbol a percentage of `n` students is published as; None when it is published as a number."""
    return shown_percent(value, n, min_n)[1]


def rounded_percent(value: float, n: float, min_n: int) -> float | None:
    return shown_percent(value, n, min_n)[0]


coded_share = coded_percent  # a share of students in a group is a percentage of the district's students


# District figures that count students: a share of students in a group, a rate of students' results, and the means
# (and the efficiency residual, a mean's distance from its prediction) that rest on the students tested.
STUDENT_GROUP_SHARES = ("pct_ecodis", "pct_el", "pct_swd", "pct_chronic_absent")
STUDENT_RATES = ("pct_proficient_ela", "pct_proficient_math")
STUDENT_FIGURES = (*STUDENT_GROUP_SHARES, *STUDENT_RATES, "mean_score_ela", "mean_score_math", "efficiency_residual")
TESTED_SUBJECT = {"mean_score_ela": "ELA", "mean_score_math": "MATH", "pct_proficient_ela": "ELA", "pct_proficient_math": "MATH"}


def published_figure(code: str, value: float, students: float, min_n: int) -> str | None:
    """How a district's figure resting on `students` is published: None when as a number (a rate or share rounded by
    `shown_percent`), else its code or the symbol."""
    if code not in STUDENT_FIGURES:
        return None
    if pd.notna(students) and 0 < students < min_n:
        return SUPPRESSED
    if code in (*STUDENT_GROUP_SHARES, *STUDENT_RATES):
        return coded_percent(value, students, min_n)
    return None


def per_pupil(code: str) -> bool:
    """A figure divided by the district's students: with the total it gives the enrollment, so it goes where it goes."""
    return code == "per_pupil_spending" or code.startswith("spend_")


def students_behind(history: pd.DataFrame, enrollment: pd.DataFrame, tested: pd.DataFrame | None = None) -> np.ndarray:
    """The students each figure of `history` rests on: those tested in its subject for means and rates (where the
    data say), else the district's enrollment that year."""
    at = pd.MultiIndex.from_arrays([history["district_id"], history["school_year"]])
    students = enrollment.set_index(["district_id", "school_year"])["enrollment"].astype(float).reindex(at).to_numpy()
    if tested is not None and not tested.empty:
        by_subject = tested.set_index(["district_id", "school_year", "subject"])["n"].astype(float)
        subject = history["code"].map(TESTED_SUBJECT)
        took = by_subject.reindex(pd.MultiIndex.from_arrays([history["district_id"], history["school_year"], subject])).to_numpy()
        students = np.where(subject.notna().to_numpy() & ~np.isnan(took), took, students)
    return students


def withhold_student_figures(
    history: pd.DataFrame,
    enrollment: pd.DataFrame,
    min_n: int,
    tested: pd.DataFrame | None = None,
    hidden_enrollment: pd.DataFrame | None = None,
    residual_outcome: str | None = None,
) -> pd.DataFrame:
    """The figures history as published: rates and shares rounded (`shown_percent`), without the values no page may
    show as a number (`published_figure`), decided once so that ranks, peer medians, charts, scorecards and key
    figures all leave them out alike.

    `history` is long (district_id, school_year, code, value); `enrollment` gives each district's students by year
    and `tested` (district_id, school_year, subject, n, and `hidden` where the release hides that count) the students
    tested. Every figure resting on a hidden count goes with it: a subject's mean and rate with its hidden tested
    count; the shares, per-pupil figures and efficiency residual of a district whose enrollment is hidden
    (`hidden_enrollment`: district_id, school_year); and the efficiency residual where its outcome (`residual_outcome`) is withheld:
    outcome = prediction + residual."""
    students = students_behind(history, enrollment, tested)
    codes = history["code"].to_numpy()
    at = pd.Series(list(zip(history["district_id"], history["school_year"])), index=history.index)
    withheld = np.array([published_figure(code, value, count, min_n) is not None for code, value, count in zip(codes, history["value"], students)], dtype=bool)
    if hidden_enrollment is not None:
        # the efficiency residual too: the model's published coefficients and controls would give the enrollment back
        resting = np.isin(codes, [*STUDENT_GROUP_SHARES, "efficiency_residual"]) | np.array([per_pupil(code) for code in codes], dtype=bool)
        withheld |= resting & at.isin(set(zip(hidden_enrollment["district_id"], hidden_enrollment["school_year"]))).to_numpy()
    if tested is not None and "hidden" in tested and tested["hidden"].any():
        gone = set(zip(*(tested.loc[tested["hidden"].astype(bool), column] for column in ("district_id", "school_year", "subject"))))
        subject = history["code"].map(TESTED_SUBJECT)
        withheld |= pd.Series(list(zip(history["district_id"], history["school_year"], subject)), index=history.index).isin(gone).to_numpy()
    if residual_outcome is not None:
        withheld |= (codes == "efficiency_residual") & at.isin(set(at[withheld & (codes == residual_outcome)])).to_numpy()
    published = history[~withheld].reset_index(drop=True)
    percent = published["code"].isin([*STUDENT_GROUP_SHARES, *STUDENT_RATES]).to_numpy()
    if percent.any():
        rounded = [value if pd.isna(count) else rounded_percent(value, count, min_n) for value, count in zip(published.loc[percent, "value"], students[~withheld][percent])]
        published.loc[percent, "value"] = [value if value is not None else np.nan for value in rounded]
    return published.dropna(subset=["value"]).reset_index(drop=True)


@dataclass
class ProtectedTable:
    """A table that went through disclosure control, ready to publish.

    `keys` names each count cell (see `count_key`), so the audit can find the same count on every page."""

    frame: pd.DataFrame
    suppressed: pd.DataFrame
    min_n: int
    count_cols: list[str] = field(default_factory=list)
    coded: pd.DataFrame | None = None
    keys: dict[str, list[str | None]] = field(default_factory=dict)
    # The district each row stands for, and the column naming it: the page links the name to the district's page.
    districts: list[str] | None = None
    district_column: str | None = None
    # The count column each figure rests on (a count rests on itself): the students behind a figure in the long download.
    rests_on: dict[str, str] = field(default_factory=dict)
    # The school year (spring year) of the table's figures, one or one per row; None for a table laid out by year.
    school_year: object = None
    # Whether percentages of students were rounded by group size (`shown_percent`): the footnote says so.
    rounded_percents: bool = False
    # Each column of percentages of students whose count is a column of the table: the audit reads them together.
    percent_of: dict[str, str] = field(default_factory=dict)

    def naming_districts(self, district_ids, column: str = "district_name") -> ProtectedTable:
        self.districts, self.district_column = [str(d) for d in district_ids], column
        return self

    def of_school_year(self, year) -> ProtectedTable:
        """Say which school year the figures are of, so that the download stands alone (the page says it in words)."""
        self.school_year = year
        return self

    @property
    def n_suppressed(self) -> int:
        return int(self.suppressed.to_numpy().sum())

    @property
    def n_coded(self) -> int:
        return 0 if self.coded is None else int(self.coded.notna().to_numpy().sum())

    @property
    def footnote(self) -> str:
        notes = []
        if self.n_suppressed:
            notes.append(hidden_note(self.min_n))
        if self.rounded_percents:
            notes.append(ROUNDED_NOTE)
        if self.n_coded:
            notes.append(f"{BOTTOM_CODE} and {TOP_CODE}: a percentage near 0 or 100, shown only as below or above a bound, since its exact value would tell about a few students.")
        return " ".join(notes)

    def display_frame(self) -> pd.DataFrame:
        """The cells as published, before number formatting: hidden cells as the symbol, coded percentages as text."""
        shown = self.frame.astype(object).copy()
        if self.coded is not None:
            shown = shown.mask(self.coded.notna(), self.coded)
        shown[self.suppressed] = SUPPRESSED
        return shown

    def to_csv(self, labels: dict[str, str] | None = None, shown: Callable[[object, str, Mapping], object] | None = None) -> str:
        """The table as a download: counts as whole numbers, hidden cells as the symbol, and each other figure as
        `shown(value, column, row)` writes it (its page's precision), else to 4 decimals. The id of the district each
        row names and the school year come first, so the file stands alone.

        Which columns are counts comes from the table, not from this release's values, so a column keeps its type
        from one release to the next."""
        labels = labels or {}
        published = self.frame.copy()
        rows = self.frame.to_dict("records") if shown is not None else []  # what a format by row reads, without a Series per row
        for column in published.columns:
            values = published[column]
            if column in self.count_cols and pd.api.types.is_numeric_dtype(values):
                published[column] = values.round().astype("Int64")
            elif shown is not None:
                published[column] = pd.Series([shown(v, column, row) if is_figure(v) else v for v, row in zip(values, rows)], index=values.index, dtype=object)
            elif pd.api.types.is_float_dtype(values):
                published[column] = values.round(4)
        published = published.astype(object)
        if self.coded is not None:
            published = published.mask(self.coded.notna(), self.coded)
        published[self.suppressed] = SUPPRESSED
        return self.standing_alone(published.rename(columns=labels), labels).to_csv(index=False, lineterminator="\n")

    def standing_alone(self, published: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
        """The download's key columns: `district_id` and `district_name` first where each row is a district (another
        district column, such as a peer's, gets its id beside it), then `school_year`."""
        if self.districts is not None and self.district_column in self.frame.columns:
            name = labels.get(self.district_column, self.district_column)
            if self.district_column == "district_name":
                published.insert(0, "district_name", published.pop(name))
                published.insert(0, "district_id", self.districts)
            else:
                published.insert(published.columns.get_loc(name), f"{self.district_column.removesuffix('_name')}_district_id", self.districts)
        if self.school_year is not None and "school_year" not in published.columns:
            years = self.school_year if isinstance(self.school_year, Sequence | pd.Series | np.ndarray) and not isinstance(self.school_year, str) else [self.school_year] * len(published)
            at = 2 if list(published.columns[:2]) == ["district_id", "district_name"] else 0
            published.insert(at, "school_year", pd.Series([int(year) if pd.notna(year) else None for year in years], index=published.index, dtype=object))
        return published

    def published_keys(self, labels: dict[str, str] | None = None) -> dict[str, list[str | None]]:
        """Each count column's keys, as the download labels it; an unnamed count still goes to the audit, keyed None."""
        labels = labels or {}
        unnamed = [None] * len(self.frame)
        return {labels.get(column, column): self.keys.get(column, unnamed) for column in self.count_cols}


def protect(
    table: pd.DataFrame,
    *,
    counts: dict[str, list[str]] | None = None,
    min_n: int = 10,
    hidden: Mapping[str, Sequence[bool]] | None = None,
    keys: Mapping[str, Sequence[str | None]] | None = None,
    percents: Mapping[str, str | Sequence[float]] | None = None,
    shares: Mapping[str, str | Sequence[float]] | None = None,
) -> ProtectedTable:
    """Hide every cell whose figure rests on a count below `min_n`, or on a count the release hides elsewhere.

    `counts` maps each count column to the columns computed from those students (the count itself included
    implicitly); a table of district-level aggregates with no student counts passes `counts={}`, which says so.
    `hidden` marks, per count column, the counts complementary suppression hid (`suppress_subgroups`); `keys`
    names each count cell; `percents` maps a percentage-of-students column to the count it is a share of (a
    column, or one count per row, NaN where a row is not a share of students) and `shares` does the same for shares of
    students in a group (% English learners): both are rounded by group size and coded at their ends
    (`shown_percent`), so that none gives away a count of students."""
    if counts is None:
        raise ValueError("protect() needs `counts`: which columns count students, and which figures rest on them")
    frame = table.reset_index(drop=True)
    suppressed = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for count_col, dependent in counts.items():
        values = pd.to_numeric(frame[count_col], errors="coerce").astype(float)
        small = np.array((values > 0) & (values < min_n), dtype=bool)
        if hidden and count_col in hidden:
            small |= np.array(hidden[count_col], dtype=bool)
        for column in [count_col, *dependent]:
            suppressed[column] |= small
    coded = None
    if percents or shares:
        coded = pd.DataFrame(None, index=frame.index, columns=frame.columns, dtype=object)
        for column, of in {**(percents or {}), **(shares or {})}.items():
            students = frame[of] if isinstance(of, str) else of
            shown = [shown_percent(float(v), float(n), min_n) if pd.notna(v) and pd.notna(n) else (v, None) for v, n in zip(frame[column], students)]
            suppressed[column] |= np.array([code == SUPPRESSED for _, code in shown], dtype=bool)
            coded[column] = [None if code == SUPPRESSED else code for _, code in shown]
            frame[column] = [np.nan if value is None else value for value, _ in shown]
        coded = coded.where(~suppressed)
    named = {column: [None if k is None or (isinstance(k, float) and pd.isna(k)) else str(k) for k in values] for column, values in (keys or {}).items()}
    rests_on = {column: count_col for count_col, dependent in reversed(list(counts.items())) for column in (count_col, *dependent)}
    return ProtectedTable(frame=frame, suppressed=suppressed, min_n=min_n, count_cols=list(counts), coded=coded, keys=named, rests_on=rests_on, rounded_percents=bool(percents or shares),
        percent_of={column: of for column, of in {**(percents or {}), **(shares or {})}.items() if isinstance(of, str)},
    )


def hidden_note(min_n: int) -> str:
    return f"{SUPPRESSED} Hidden to protect student privacy: a figure resting on fewer than {min_n} students, or one from which such a figure could be worked out."


def is_figure(value: object) -> bool:
    """A number to publish (not a flag, not missing)."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_) and not pd.isna(value)


def below_threshold_cells(table: ProtectedTable) -> int:
    """Published count cells with 0 < n < min_n: must be none."""
    shown = table.display_frame()
    bad = 0
    for column in table.count_cols:
        values = pd.to_numeric(shown[column], errors="coerce")
        bad += int(((values > 0) & (values < table.min_n)).sum())
    return bad
