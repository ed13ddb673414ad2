"""Disclosure control of a published table (`protect`): its cells hidden or coded, its footnote, its download, and the
check that no count below the threshold is shown."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from districtstat.privacy.disclosure.percents import BOTTOM_CODE, ROUNDED_NOTE, TOP_CODE, shown_percent
from districtstat.privacy.disclosure.symbols import SUPPRESSED, hidden_note


# ------------------------------------------------------------------ published tables


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
    # What the table leaves out for want of data (a measure a public file does not report), said under it.
    notes: list[str] = field(default_factory=list)

    def naming_districts(self, district_ids, column: str = "district_name") -> ProtectedTable:
        self.districts, self.district_column = [str(d) for d in district_ids], column
        return self

    def without(self, columns) -> ProtectedTable:
        """The table without some columns, protected as before: a count the data hold only as a lower bound (an
        enrollment a public file does not report) decides what may be shown, and is itself never shown."""
        gone = set(columns) & set(self.frame.columns)
        if not gone:
            return self
        self.frame, self.suppressed = self.frame.drop(columns=list(gone)), self.suppressed.drop(columns=[c for c in gone if c in self.suppressed])
        if self.coded is not None:
            self.coded = self.coded.drop(columns=[c for c in gone if c in self.coded])
        self.count_cols = [c for c in self.count_cols if c not in gone]
        self.keys = {c: k for c, k in self.keys.items() if c not in gone}
        self.rests_on = {c: on for c, on in self.rests_on.items() if c not in gone and on not in gone}
        self.percent_of = {c: of for c, of in self.percent_of.items() if c not in gone and of not in gone}
        return self

    def with_note(self, note: str) -> ProtectedTable:
        if note:
            self.notes.append(note)
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
