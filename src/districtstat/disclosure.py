"""Disclosure control for every published table: no count, mean or rate rests on fewer than `min_n` students.

Suppressed cells are shown with a symbol and a footnote, never as 0 or blank. Tables keep a boolean
mask of what was hidden so that the publish step can audit them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SUPPRESSED = "*"


@dataclass
class ProtectedTable:
    """A table that went through disclosure control, ready to publish."""

    frame: pd.DataFrame
    suppressed: pd.DataFrame
    min_n: int
    count_cols: list[str] = field(default_factory=list)

    @property
    def n_suppressed(self) -> int:
        return int(self.suppressed.to_numpy().sum())

    @property
    def footnote(self) -> str:
        if not self.n_suppressed:
            return ""
        return f"{SUPPRESSED} Hidden to protect student privacy: a figure resting on fewer than {self.min_n} students, or one from which such a figure could be worked out."

    def display_frame(self) -> pd.DataFrame:
        """Values as published: suppressed cells replaced by the symbol."""
        shown = self.frame.astype(object).copy()
        shown[self.suppressed] = SUPPRESSED
        return shown

    def to_csv(self, labels: dict[str, str] | None = None) -> str:
        """The table as a download: counts as whole numbers, other figures to 4 decimals, hidden cells as the symbol.

        Which columns are counts comes from the table, not from this release's values, so a column keeps its type
        from one release to the next."""
        published = self.frame.copy()
        for column in published.columns:
            values = published[column]
            if column in self.count_cols and pd.api.types.is_numeric_dtype(values):
                published[column] = values.round().astype("Int64")
            elif pd.api.types.is_float_dtype(values):
                published[column] = values.round(4)
        published = published.astype(object)
        published[self.suppressed] = SUPPRESSED
        return published.rename(columns=labels or {}).to_csv(index=False, lineterminator="\n")


def protect(table: pd.DataFrame, *, counts: dict[str, list[str]] | None = None, min_n: int = 10) -> ProtectedTable:
    """Hide every cell whose figure rests on a count below `min_n`.

    `counts` maps each count column to the columns computed from those students (the count itself
    included implicitly). A table of district-level aggregates with no student counts passes
    `counts={}`, which says so explicitly.
    """
    if counts is None:
        raise ValueError("protect() needs `counts`: which columns count students, and which figures rest on them")
    frame = table.reset_index(drop=True)
    suppressed = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for count_col, dependent in counts.items():
        small = frame[count_col].astype(float).lt(min_n).fillna(False).to_numpy()
        for column in [count_col, *dependent]:
            suppressed[column] |= small
    return ProtectedTable(frame=frame, suppressed=suppressed, min_n=min_n, count_cols=list(counts))


def below_threshold_cells(table: ProtectedTable) -> int:
    """Published count cells with 0 < n < min_n: must be none."""
    shown = table.display_frame()
    bad = 0
    for column in table.count_cols:
        values = pd.to_numeric(shown[column], errors="coerce")
        bad += int(((values > 0) & (values < table.min_n)).sum())
    return bad
