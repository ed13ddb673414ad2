"""How the Methods page writes a method (its name, formula and meaning), a share, a percentile, a subscript and an empty cell."""

from __future__ import annotations

NONE = "—"
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def method(name: str, formula: str, meaning: str) -> str:
    """One method as a reader meets it: its name, its formula, then what it says and what it cannot."""
    shown = f"`{formula}`\n\n" if formula else ""
    return f"**{name}**\n\n{shown}{meaning}\n"


def percent(share: float) -> str:
    return f"{share * 100:g}%"


def quantile(confidence: float) -> str:
    """The percentile of a two-sided interval, as a reader says it ('97.5th')."""
    return f"{(0.5 + confidence / 2) * 100:g}th"


def subscript(number: int) -> str:
    return str(number).translate(SUBSCRIPTS)
