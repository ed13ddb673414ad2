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


def meaningful_changes() -> str:
    """Each unit's smallest meaningful change, read from the indicators themselves."""
    from districtstat.analyses.indicators import GAP_MEANINGFUL_CHANGE, INDICATORS

    by_unit: dict[str, set[float]] = {}
    for indicator in INDICATORS.values():
        by_unit.setdefault(indicator.unit, set()).add(indicator.meaningful_change)
    words = {"points": "scale points", "%": "percentage points", "$": "dollars per pupil (the smaller for a single spending function)", "days": "days"}
    parts = [f"{' or '.join(f'{v:g}' for v in sorted(values))} {words.get(unit, unit)}" for unit, values in by_unit.items()]
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
