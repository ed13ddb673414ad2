"""What the page reads from the code that applies it rather than restating it: the spending categories of the
NCES function codes, each unit's smallest meaningful change, and the table of percentage steps by group size."""

from __future__ import annotations

from districtstat.data.aggregate import FUNCTION_CATEGORY, SPENDING_CATEGORIES
from districtstat.privacy.disclosure import coding_cut, percent_step
from districtstat.site.pages import markdown_table


def function_codes() -> str:
    """Which NCES function codes land in which spending category, read from the aggregation itself."""
    codes: dict[str, list[str]] = {}
    for code, category in sorted(FUNCTION_CATEGORY.items()):
        codes.setdefault(category, []).append(code)
    return "; ".join(f"{SPENDING_CATEGORIES[category]} {', '.join(found)}" for category, found in codes.items())


def amount(values, unit: str) -> str:
    """`1 day`, `0.5 days`, `1 or 2 percentage points`: the unit singular only after exactly 1."""
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    singular = len(values) == 1 and values[0] == 1
    for plural, one in (("percentage points", "percentage point"), ("scale points", "scale point"), ("days", "day"), ("work orders", "work order")):
        if singular and unit.startswith(plural):
            unit = one + unit[len(plural):]
    return f"{' or '.join(f'{v:g}' for v in values)} {unit}"


def record_differences() -> str:
    """Each record's smallest meaningful difference, the one a standing and a trend word both read, as a table."""
    from districtstat.analyses.indicators import INDICATORS
    from districtstat.analyses.standing import RECORD, figure_kind

    words = {"%": "percentage points", "days": "days", "$": "dollars per pupil"}
    rows = [
        [indicator.label, amount(indicator.meaningful_change, words.get(indicator.unit, indicator.unit))]
        for indicator in INDICATORS.values()
        if figure_kind(indicator.code) == RECORD and indicator.better != "neither"
    ]
    return markdown_table(["Record", "Smallest meaningful difference"], rows, "The smallest difference between two districts' records, or in one district's record over the years, that a page calls a difference")


def meaningful_changes() -> str:
    """Each unit's smallest meaningful change, read from the indicators themselves."""
    from districtstat.analyses.indicators import GAP_MEANINGFUL_CHANGE, INDICATORS

    by_unit: dict[str, set[float]] = {}
    for indicator in INDICATORS.values():
        by_unit.setdefault(indicator.unit, set()).add(indicator.meaningful_change)
    words = {"points": "scale points", "%": "percentage points", "$": "dollars per pupil (the smaller for a single spending function)", "days": "days"}
    parts = [amount(sorted(values), words.get(unit, unit)) for unit, values in by_unit.items()]
    return "; ".join(parts) + f"; {GAP_MEANINGFUL_CHANGE:g} scale points for a gap"


def rounding_table(min_n: int, largest: int = 1000) -> str:
    """The percentage steps and end codes by group size, as `disclosure.shown_percent` applies them."""
    rows, start, last = [], None, ()
    for n in range(min_n, largest + 1):
        step = percent_step(n, min_n)
        rule = None if step is None or coding_cut(n, step, min_n) > 50 else (step, coding_cut(n, step, min_n))
        if rule != last:
            if start is not None:  # the first size opens the first row
                rows.append((start, n - 1, last))
            start, last = n, rule
    rows.append((start, None, last))
    body = [
        [f"{low:,}–{high:,}" if high is not None else f"{low:,} or more", "not shown" if rule is None else f"{rule[0]} point{'s' if rule[0] > 1 else ''}", "" if rule is None else f"<{rule[1]} and >{100 - rule[1]}"]
        for low, high, rule in rows
        if high is None or rule is not None or low == min_n
    ]
    return markdown_table(["Group size (students)", "Percentage rounded to", "Shown only as"], body, "How a percentage of students is published, by the size of its group")
