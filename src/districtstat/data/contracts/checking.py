"""Checking a dataset: every file against its contract (columns, types, constraints, key, row rules) and each foreign
key against its parent, gathered into a ValidationReport."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as arrow_compute

from districtstat.data.contracts.models import Contract, RowRule
from districtstat.data.contracts.pandera_schema import _checkable_key, _row_rule_text, _schema
from districtstat.data.contracts.reading import DataFileError, read_raw
from districtstat.data.contracts.report import _FAILURE_COLUMNS, Failure, ValidationReport, _sorted_failures
from districtstat.data.contracts.typed import _TYPE_RULES, _typed

DATA_SUFFIXES = (".csv", ".parquet")


@dataclass
class _DataFile:
    """One data file on its way through the checks, gathering what is wrong with it."""

    entity: str
    display: str
    contract: Contract
    header_line: int | None
    raw: pd.DataFrame | None = None
    typed: pd.DataFrame | None = None
    unparsed: dict[str, np.ndarray] = dataclass_field(default_factory=dict)
    found: list[pd.DataFrame] = dataclass_field(default_factory=list)

    def add(self, rows: np.ndarray, column: str | None, rule: str, values: Any) -> None:
        """Record a rule broken at these row positions; values are the text shown for each."""
        if len(rows):
            lines = self.raw.index.to_numpy()[rows]
            self.found.append(_failure_frame(self.display, lines, column, rule, values))

    def add_failures(self, failures: list[Failure]) -> None:
        if failures:
            self.found.append(pd.DataFrame([vars(failure) for failure in failures], columns=_FAILURE_COLUMNS))

    def text(self, column: str, rows: np.ndarray) -> np.ndarray:
        return self.raw[column].iloc[rows].to_numpy(dtype=object)


def _failure_frame(file: str, lines: Any, column: str | None, rule: str, values: Any) -> pd.DataFrame:
    frame = pd.DataFrame({"line": lines, "value": values})
    frame.insert(0, "file", file)
    frame.insert(2, "column", column)
    frame.insert(3, "rule", rule)
    return frame


def validate_dataset(
    data_dir: Path | str,
    contracts: dict[str, Contract],
    *,
    cap: int = 5,
    display_root: Path | str | None = None,
) -> ValidationReport:
    """Check every file of a dataset against its contract, and each foreign key against its parent.

    Files are named in messages relative to ``display_root`` when given, so reports do not carry the
    paths of the machine that built them.
    """
    data_dir = Path(data_dir)
    shown_dir = _display(data_dir, display_root)
    if not data_dir.is_dir():
        return _report({}, [Failure(shown_dir, None, None, "dataset folder not found", None)], cap)
    paths = sorted(p for p in data_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    paths = [p for p in paths if p.suffix.lower() in DATA_SUFFIXES]
    if not paths:
        empty = Failure(shown_dir, None, None, "dataset has no .csv or .parquet files", None)
        return _report({}, [empty], cap)
    files: dict[str, _DataFile] = {}
    stray: list[Failure] = []
    for path in paths:
        shown = _display(path, display_root)
        entity = path.stem
        if entity not in contracts:
            stray.append(Failure(shown, None, None, f"no contract for {path.name!r}", None))
        elif entity in files:
            stray.append(Failure(shown, None, None, f"second file for {entity!r}", files[entity].display))
        else:
            files[entity] = _check_file(path, entity, contracts[entity], shown)
    for data_file in files.values():
        _check_foreign_keys(data_file, files)
    return _report(files, stray, cap)


def _display(path: Path, root: Path | str | None) -> str:
    """The path relative to root when it lies under it (either may be relative), else as given."""
    if root is not None:
        for inside, base in ((path, Path(root)), (path.resolve(), Path(root).resolve())):
            if inside.is_relative_to(base):
                return inside.relative_to(base).as_posix()
    return path.as_posix()


def _check_file(path: Path, entity: str, contract: Contract, shown: str) -> _DataFile:
    header_line = 1 if path.suffix.lower() == ".csv" else None
    data_file = _DataFile(entity, shown, contract, header_line)
    try:
        data_file.raw = read_raw(path, display=shown)
    except DataFileError as exc:
        data_file.add_failures(exc.failures)
        return data_file
    if header_line is not None:
        data_file.header_line = data_file.raw.attrs.get("header_line", header_line)  # below any comment lines above it
    _check_columns(data_file)
    data_file.typed, data_file.unparsed = _typed(data_file.raw, contract)
    _check_types(data_file)
    _check_values(data_file)
    _check_row_rules(data_file)
    return data_file


def _check_columns(data_file: _DataFile) -> None:
    """Columns must match the contract by name, in any order; optional columns may be left out."""
    contract, present = data_file.contract, list(data_file.raw.columns)
    failures = [
        Failure(data_file.display, data_file.header_line, field.name, "missing required column", None)
        for field in contract.fields
        if field.name not in present and contract.is_required(field)
    ]
    failures += [
        Failure(data_file.display, data_file.header_line, name, "unknown column", None)
        for name in present
        if name not in contract.field_names
    ]
    data_file.add_failures(failures)


def _check_types(data_file: _DataFile) -> None:
    for field in data_file.contract.fields:
        if field.name in data_file.unparsed:
            rows = np.flatnonzero(data_file.unparsed[field.name])
            data_file.add(rows, field.name, _TYPE_RULES[field.type], data_file.text(field.name, rows))


def _check_values(data_file: _DataFile) -> None:
    """Constraints and the primary key through pandera, its failure cases turned into Failures."""
    present = [name for name in data_file.contract.field_names if name in data_file.raw.columns]
    schema = _schema(data_file.contract, present, with_row_rules=False)
    try:
        schema.validate(data_file.typed.reset_index(drop=True), lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        _add_schema_failures(data_file, exc.failure_cases)


def _add_schema_failures(data_file: _DataFile, cases: pd.DataFrame) -> None:
    key = _checkable_key(data_file.contract, list(data_file.raw.columns))
    duplicates = cases["check"] == "multiple_fields_uniqueness"
    if duplicates.any():
        _add_duplicate_keys(data_file, cases.loc[duplicates, "index"].dropna().unique().astype(np.int64), key)
    cases = cases[~duplicates]
    rules = cases["check"].replace({"not_nullable": "required", "field_uniqueness": "unique"})
    for (column, rule), group in cases.groupby([cases["column"], rules], sort=True, dropna=False):
        located = group["index"].notna()
        rows = group.loc[located, "index"].to_numpy(dtype=np.int64)
        if rule == "required":
            rows = rows[~data_file.unparsed[column][rows]]
        data_file.add(rows, column, rule, data_file.text(column, rows))
        unlocated = group.loc[~located, "failure_case"].astype(str).tolist()
        data_file.add_failures([Failure(data_file.display, None, column, rule, value) for value in unlocated])


def _add_duplicate_keys(data_file: _DataFile, rows: np.ndarray, key: list[str]) -> None:
    """A key missing a required part is reported as required, not as a duplicate; an optional part may be empty."""
    rows = np.sort(rows)
    required = [name for name in key if name in data_file.contract.required_key]
    complete = data_file.typed[required].iloc[rows].notna().all(axis=1).to_numpy()
    rows = rows[complete]
    values = _joined(data_file, key, rows, labelled=False)
    data_file.add(rows, None, f"duplicate primary key ({', '.join(key)})", values)


def _joined(data_file: _DataFile, columns: list[str], rows: np.ndarray, *, labelled: bool) -> np.ndarray:
    parts = [data_file.raw[name].iloc[rows].astype("str") for name in columns]
    if labelled:
        parts = [name + "=" + part for name, part in zip(columns, parts)]
    return parts[0].str.cat(parts[1:], sep=", ").to_numpy(dtype=object)


def _check_row_rules(data_file: _DataFile) -> None:
    """Rules across the columns of one row; a row with a missing operand is left to other checks."""
    for rule in data_file.contract.row_rules:
        names = _operands(rule, data_file.contract)
        if not _has_columns(data_file, names):
            continue
        holds = data_file.typed.eval(rule.expression).astype("boolean").fillna(True).to_numpy(dtype=bool)
        rows = np.flatnonzero(~holds)
        data_file.add(rows, None, _row_rule_text(rule), _joined(data_file, names, rows, labelled=True))


def _operands(rule: RowRule, contract: Contract) -> list[str]:
    """The fields a rule reads, in the order it names them, to show their values beside it."""
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", rule.expression)
    return [name for name in dict.fromkeys(words) if name in contract.field_names]


def _check_foreign_keys(data_file: _DataFile, files: dict[str, _DataFile]) -> None:
    """Each key must exist in its parent's file, when the dataset provides that parent."""
    if data_file.typed is None:
        return
    for key in data_file.contract.foreign_keys:
        parent = files.get(key.reference.resource or data_file.entity)
        if parent is None or parent.typed is None:
            continue
        if not (_has_columns(data_file, key.fields) and _has_columns(parent, key.reference.fields)):
            continue
        child_keys = data_file.typed[key.fields]
        found = _isin(child_keys, parent.typed[key.reference.fields])
        rows = np.flatnonzero(child_keys.notna().all(axis=1).to_numpy() & ~found)
        rule = f"foreign key -> {parent.entity}.{', '.join(key.reference.fields)}"
        data_file.add(rows, ", ".join(key.fields), rule, _joined(data_file, key.fields, rows, labelled=False))


def _has_columns(data_file: _DataFile, names: list[str]) -> bool:
    return set(names) <= set(data_file.raw.columns)


def _isin(child: pd.DataFrame, parent: pd.DataFrame) -> np.ndarray:
    """Membership of each child key among the parent keys; Arrow's hash lookup for text keys."""
    if child.shape[1] > 1:
        return pd.MultiIndex.from_frame(child).isin(pd.MultiIndex.from_frame(parent.dropna()))
    values, known = child.iloc[:, 0], parent.iloc[:, 0].dropna()
    if _is_arrow_text(values) and _is_arrow_text(known):
        found = arrow_compute.is_in(_arrow(values), value_set=_arrow(known))
        return np.asarray(found, dtype=bool)
    return values.isin(known).to_numpy(dtype=bool)


def _arrow(values: pd.Series) -> pyarrow.Array:
    array = pyarrow.array(values.array)
    return array.combine_chunks() if isinstance(array, pyarrow.ChunkedArray) else array


def _is_arrow_text(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"


def _report(files: dict[str, _DataFile], stray: list[Failure], cap: int) -> ValidationReport:
    frames = [frame for data_file in files.values() for frame in data_file.found]
    if stray:
        frames.append(pd.DataFrame([vars(failure) for failure in stray], columns=_FAILURE_COLUMNS))
    table = _sorted_failures(frames)
    counts = table["file"].value_counts()
    summaries = {
        entity: {
            "file": data_file.display,
            "rows": None if data_file.raw is None else len(data_file.raw),
            "failures": int(counts.get(data_file.display, 0)),
        }
        for entity, data_file in sorted(files.items())
    }
    tables = {entity: file.typed for entity, file in sorted(files.items()) if file.typed is not None}
    return ValidationReport(files=summaries, tables=tables, failure_table=table, cap=cap)
