"""The symbol a published cell shows in place of a hidden figure, and the footnote that explains it: never 0 or blank."""

from __future__ import annotations

SUPPRESSED = "*"


def hidden_note(min_n: int) -> str:
    return f"{SUPPRESSED} Hidden to protect student privacy: a figure resting on fewer than {min_n} students, or one from which such a figure could be worked out."
