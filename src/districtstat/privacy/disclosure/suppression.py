"""Suppression of small counts within one release: primary cells, then complements until no hidden count or hidden
group of students can be worked out, decided per district, year and subject from how the student groups add up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from districtstat.privacy.disclosure.attacker import Relation, exposed_cells, small_hidden_groups
from districtstat.privacy.disclosure.counts_file import count_key
from districtstat.privacy.disclosure.release_pairs import changed_by_few, kept_hidden, previous_shown

SYSTEM_KEYS = ["school_year", "district_id", "subject", "grade"]
PUBLISHED_GRADE = "ALL"


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
