"""The report: one Failure per thing the data steward must fix, and the ValidationReport that lists them, as lines
naming file, line, column, rule and value, and as the summary in data_quality.json."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from typing import Any

import pandas as pd

_FAILURE_COLUMNS = ["file", "line", "column", "rule", "value"]


@dataclass(frozen=True)
class Failure:
    """One thing the data steward must fix, with where to find it."""

    file: str
    line: int | None
    column: str | None
    rule: str
    value: str | None

    def format(self) -> str:
        place = self.file if self.line is None else f"{self.file}:{self.line}"
        text = ": ".join([place, *([self.column] if self.column else []), self.rule])
        return text if self.value in (None, "") else f"{text} ({_shorten(self.value)})"


def _shorten(value: str, limit: int = 80) -> str:
    value = value.replace("\r", "\\r").replace("\n", "\\n")
    return value if len(value) <= limit else value[: limit - 3] + "..."


@dataclass
class ValidationReport:
    """What a dataset check found, for the steward (lines), data_quality.json (to_dict) and the pipeline.

    ``failure_table`` holds every failure, one row each, sorted by file, line and column;
    ``failures`` is the same as Failure objects. ``tables`` holds the typed table of every file that
    could be read, whether or not its values passed.
    """

    files: dict[str, dict[str, Any]]
    tables: dict[str, pd.DataFrame]
    failure_table: pd.DataFrame = dataclass_field(repr=False)
    cap: int = 5

    @property
    def ok(self) -> bool:
        return self.failure_table.empty

    @cached_property
    def failures(self) -> list[Failure]:
        return [_to_failure(row) for row in self.failure_table.itertuples(index=False)]

    def lines(self, cap: int | None = None) -> list[str]:
        """At most ``cap`` examples of each problem, then how many rows share it, then a total."""
        cap = self.cap if cap is None else cap
        table = self.failure_table
        if table.empty:
            return [f"no problems in {_count(len(self.files), 'file')}"]
        lines: list[str] = []
        groups = table.groupby(["file", "column", "rule"], sort=False, dropna=False)
        for (file, column, rule), group in groups:
            lines += [_to_failure(row).format() for row in group.head(cap).itertuples(index=False)]
            if len(group) > cap:
                column_part = f"{column}: " if isinstance(column, str) and column else ""
                lines.append(f"{file}: {column_part}{_rows_phrase(len(group), rule)}")
        lines.append(f"{_count(len(table), 'problem')} in {_count(table['file'].nunique(), 'file')}")
        return lines

    def to_dict(self, cap: int | None = None) -> dict[str, Any]:
        """A JSON-ready summary for data_quality.json.

        ``files`` mirrors :attr:`files` (per entity: file, rows, failures) and adds the failure counts
        by column and rule with up to ``cap`` examples; ``dataset`` lists the problems that belong to
        no entity's file (a file without a contract, an empty folder).
        """
        cap = self.cap if cap is None else cap
        by_file = dict(tuple(self.failure_table.groupby("file", sort=True)))
        files = {
            entity: summary | {"checks": _checks_summary(by_file.pop(summary["file"], None), cap)}
            for entity, summary in self.files.items()
        }
        rest = pd.concat(by_file.values()) if by_file else self.failure_table.iloc[:0]
        return {
            "ok": self.ok,
            "problems": len(self.failure_table),
            "files": files,
            "dataset": [vars(_to_failure(row)) for row in rest.itertuples(index=False)],
        }


def _checks_summary(failures: pd.DataFrame | None, cap: int) -> list[dict[str, Any]]:
    if failures is None:
        return []
    checks = []
    for (column, rule), group in failures.groupby(["column", "rule"], sort=False, dropna=False):
        examples = [_to_failure(row) for row in group.head(cap).itertuples(index=False)]
        checks.append(
            {
                "column": column if isinstance(column, str) else None,
                "rule": rule,
                "count": len(group),
                "examples": [{"line": example.line, "value": example.value} for example in examples],
            }
        )
    return checks


def _sorted_failures(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [frame.astype({"line": "Int64", "column": object, "value": object}) for frame in frames]
    if not frames:
        empty = {name: pd.Series(dtype="Int64" if name == "line" else object) for name in _FAILURE_COLUMNS}
        return pd.DataFrame(empty)
    table = pd.concat(frames, ignore_index=True)
    table["value"] = table["value"].where(table["value"].notna() & (table["value"] != ""), None)
    table = table.sort_values(_FAILURE_COLUMNS, na_position="first", kind="stable")
    return table.reset_index(drop=True)


def _to_failure(row: Any) -> Failure:
    line = None if pd.isna(row.line) else int(row.line)
    column = row.column if isinstance(row.column, str) else None
    value = row.value if isinstance(row.value, str) else None
    return Failure(str(row.file), line, column, str(row.rule), value)


def _rows_phrase(count: int, rule: str) -> str:
    rows = _count(count, "row")
    if rule.startswith("not "):
        return f"{rows} {rule}"
    if rule.startswith(("duplicate", "wrong")):
        return f"{rows} with {rule}"
    return f"{rows} fail {rule}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
