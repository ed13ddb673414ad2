"""Checking a dataset: every file against its contract (columns, types, constraints, key, row rules) and each foreign
key against its parent, gathered into a ValidationReport.

A file is checked a chunk at a time, so a state's files fit in bounded memory: columns, types, constraints and row
rules chunk by chunk; the primary key and unique columns over the whole file, by a 64-bit hash of each row's key and,
only for the rows whose hash is shared, an exact check of the values; a foreign key against the keys of its parent,
which is checked first. Every message is the one a whole read gives, on the same line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as arrow_compute

from districtstat.data.contracts.models import Contract, RowRule
from districtstat.data.contracts.pandera_schema import _checkable_key, _row_rule_text, _schema
from districtstat.data.contracts.reading import WHOLE, DataFileError, read_raw_chunks
from districtstat.data.contracts.report import _FAILURE_COLUMNS, Failure, ValidationReport, _sorted_failures
from districtstat.data.contracts.typed import _TYPE_RULES, _typed
from districtstat.data.keys import KeyLookup, hash_rows
from districtstat.data.spool import SpooledTable, SpoolWriter

DATA_SUFFIXES = (".csv", ".parquet")
CHUNK_BYTES = 16 * 2**20  # about 250,000 rows of student data: 0.3 GiB while checked


@dataclass
class _DataFile:
    """One data file on its way through the checks, gathering what is wrong with it."""

    entity: str
    display: str
    contract: Contract
    header_line: int | None
    raw: pd.DataFrame | None = None
    typed: pd.DataFrame | SpooledTable | None = None
    unparsed: dict[str, np.ndarray] = dataclass_field(default_factory=dict)
    found: list[pd.DataFrame] = dataclass_field(default_factory=list)
    rows: int | None = None
    columns: list[str] = dataclass_field(default_factory=list)
    deferred: list[tuple[int, pd.DataFrame, pd.DataFrame]] = dataclass_field(default_factory=list)  # foreign keys left to the end

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
    spool_dir: Path | str | None = None,
    chunk_bytes: int | None = None,
) -> ValidationReport:
    """Check every file of a dataset against its contract, and each foreign key against its parent.

    Files are named in messages relative to ``display_root`` when given, so reports do not carry the
    paths of the machine that built them. With ``spool_dir``, a file larger than ``chunk_bytes`` is read in chunks
    of that size and its typed table is written there (a `SpooledTable` in ``tables``) instead of held in memory;
    without it every file is read whole. ``chunk_bytes`` defaults to `CHUNK_BYTES`.
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
    found: dict[str, tuple[Path, str]] = {}
    stray: list[Failure] = []
    for path in paths:
        shown = _display(path, display_root)
        entity = path.stem
        if entity not in contracts:
            stray.append(Failure(shown, None, None, f"no contract for {path.name!r}", None))
        elif entity in found:
            stray.append(Failure(shown, None, None, f"second file for {entity!r}", found[entity][1]))
        else:
            found[entity] = (path, shown)
    keys = _ParentKeys(contracts, set(found))
    files: dict[str, _DataFile] = {}
    for entity in _parents_first(found, contracts):
        path, shown = found[entity]
        spool = Path(spool_dir) / f"{entity}.parquet" if spool_dir is not None else None
        files[entity] = _check_file(path, entity, contracts[entity], shown, keys, spool, chunk_bytes or CHUNK_BYTES)
    for data_file in files.values():
        _check_deferred_foreign_keys(data_file, keys)
    return _report(files, stray, cap)


def _parents_first(found: dict[str, tuple[Path, str]], contracts: dict[str, Contract]) -> list[str]:
    """The entities in an order where each parent a foreign key names is checked before its children (by name
    otherwise); a child of a cycle or of itself is checked against its parent at the end."""
    graph = {
        entity: sorted({key.reference.resource or entity for key in contracts[entity].foreign_keys} & set(found) - {entity})
        for entity in sorted(found)
    }
    try:
        sorter = TopologicalSorter(graph)
        sorter.prepare()
    except CycleError:
        return sorted(found)
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return order


class _ParentKeys:
    """The keys of each parent file that a child's foreign key looks up, gathered as the parent is checked."""

    def __init__(self, contracts: dict[str, Contract], present: set[str]) -> None:
        self.wanted: dict[str, set[tuple[str, ...]]] = {}
        for entity in present:
            for key in contracts[entity].foreign_keys:
                parent = key.reference.resource or entity
                if parent in present:
                    self.wanted.setdefault(parent, set()).add(tuple(key.reference.fields))
        self.pieces: dict[tuple[str, tuple[str, ...]], list[pd.DataFrame]] = {}
        self.lookups: dict[tuple[str, tuple[str, ...]], KeyLookup] = {}
        self.columns: dict[str, list[str] | None] = {}  # a parent's columns once checked; None when unreadable

    def gather(self, entity: str, typed: pd.DataFrame) -> None:
        for fields in self.wanted.get(entity, ()):
            if set(fields) <= set(typed.columns):
                self.pieces.setdefault((entity, fields), []).append(typed[list(fields)].dropna())

    def finish(self, entity: str, columns: list[str] | None) -> None:
        self.columns[entity] = columns
        for fields in self.wanted.get(entity, ()):
            pieces = self.pieces.pop((entity, fields), [])
            if columns is not None and pieces:
                self.lookups[(entity, fields)] = KeyLookup(pd.concat(pieces, ignore_index=True))

    def ready(self, entity: str) -> bool:
        return entity in self.columns

    def of(self, entity: str, fields: list[str]) -> KeyLookup | None:
        """The parent's keys, or None when the parent could not be read or lacks the columns."""
        columns = self.columns.get(entity)
        if columns is None or not set(fields) <= set(columns):
            return None
        return self.lookups.get((entity, tuple(fields))) or KeyLookup(pd.DataFrame({name: pd.Series(dtype=object) for name in fields}))


def _display(path: Path, root: Path | str | None) -> str:
    """The path relative to root when it lies under it (either may be relative), else as given."""
    if root is not None:
        for inside, base in ((path, Path(root)), (path.resolve(), Path(root).resolve())):
            if inside.is_relative_to(base):
                return inside.relative_to(base).as_posix()
    return path.as_posix()


def _check_file(path: Path, entity: str, contract: Contract, shown: str, keys: _ParentKeys, spool: Path | None, chunk_bytes: int) -> _DataFile:
    header_line = 1 if path.suffix.lower() == ".csv" else None
    data_file = _DataFile(entity, shown, contract, header_line)
    hashes = _KeyHashes(contract)
    pieces: list[pd.DataFrame] = []
    writer = None
    rows = 0
    try:
        for raw in read_raw_chunks(path, display=shown, chunk_bytes=chunk_bytes if spool is not None else WHOLE):
            if not rows and not pieces:
                if header_line is not None:
                    data_file.header_line = raw.attrs.get("header_line", header_line)  # below any comment lines above it
                data_file.raw = raw
                data_file.columns = list(raw.columns)
                _check_columns(data_file)
            _check_chunk(data_file, raw, hashes, keys)
            rows += len(raw)
            pieces.append(data_file.typed)
            if len(pieces) > 1 or writer is not None:
                writer = writer or SpoolWriter(spool)
                for piece in pieces:
                    writer.write(piece)
                pieces = []
    except DataFileError as exc:
        if writer is not None:
            writer.close().path.unlink(missing_ok=True)
        data_file.found, data_file.raw, data_file.typed, data_file.deferred = [], None, None, []
        data_file.add_failures(exc.failures)
        keys.finish(entity, None)
        return data_file
    data_file.rows = rows
    if writer is not None:
        data_file.typed = writer.close()
    elif not pieces:  # a file without rows reads as one empty chunk
        data_file.typed = pd.DataFrame()
    hashes.check(data_file, path, chunk_bytes if writer is not None else WHOLE)
    keys.finish(entity, data_file.columns)
    return data_file


def _check_chunk(data_file: _DataFile, raw: pd.DataFrame, hashes: _KeyHashes, keys: _ParentKeys) -> None:
    """Everything a chunk can say on its own, and what the whole file's checks need from it."""
    data_file.raw = raw
    data_file.typed, data_file.unparsed = _typed(raw, data_file.contract)
    _check_types(data_file)
    _check_values(data_file, uniqueness=False)
    _check_row_rules(data_file)
    hashes.add(data_file)
    keys.gather(data_file.entity, data_file.typed)
    _check_foreign_keys(data_file, keys)


class _KeyHashes:
    """The primary key and each unique column over a whole file read in chunks: a 64-bit hash per row, and an exact
    check of the few rows whose hash another row shares, with the messages a whole read gives."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.sets: dict[tuple[str, ...], list[np.ndarray]] = {}
        self.lines: list[np.ndarray] = []

    def add(self, data_file: _DataFile) -> None:
        columns = list(data_file.raw.columns)
        sets = [_checkable_key(self.contract, columns)] + [[field.name] for field in self.contract.fields if field.constraints.unique and field.name in columns]
        for names in filter(None, sets):
            hashed = hash_rows(data_file.typed[names])
            self.sets.setdefault(tuple(names), []).append(hashed)
        self.lines.append(data_file.typed.index.to_numpy(dtype=np.int64))

    def check(self, data_file: _DataFile, path: Path, chunk_bytes: int) -> None:
        if not self.sets:
            return
        lines = np.concatenate(self.lines) if self.lines else np.zeros(0, dtype=np.int64)
        shared = np.zeros(len(lines), dtype=bool)
        for pieces in self.sets.values():
            hashed = np.concatenate(pieces)
            ordered = np.sort(hashed)
            repeated = ordered[1:][ordered[1:] == ordered[:-1]]
            if len(repeated):
                shared |= np.isin(hashed, repeated)
        self.sets, self.lines = {}, []
        if not shared.any():
            return
        wanted = lines[shared]
        raw = pd.concat([chunk[chunk.index.isin(wanted)] for chunk in read_raw_chunks(path, display=data_file.display, chunk_bytes=chunk_bytes)])
        candidates = _DataFile(data_file.entity, data_file.display, data_file.contract, data_file.header_line, raw=raw, found=data_file.found)
        candidates.typed, candidates.unparsed = _typed(raw, data_file.contract)
        schema = _schema(data_file.contract, list(raw.columns), with_row_rules=False, values=False)
        try:
            schema.validate(candidates.typed.reset_index(drop=True), lazy=True, inplace=True)
        except pa.errors.SchemaErrors as exc:
            _add_schema_failures(candidates, exc.failure_cases)


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


def _check_values(data_file: _DataFile, *, uniqueness: bool = True) -> None:
    """Constraints (and, unless checked over the whole file apart, the primary key) through pandera, its failure
    cases turned into Failures."""
    present = [name for name in data_file.contract.field_names if name in data_file.raw.columns]
    schema = _schema(data_file.contract, present, with_row_rules=False, uniqueness=uniqueness)
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


def _check_foreign_keys(data_file: _DataFile, keys: _ParentKeys) -> None:
    """Each key of the chunk must exist in its parent's file, when the dataset provides that parent. A parent not
    checked yet (the file itself, or a cycle) is looked up once all files are read."""
    for number, key in enumerate(data_file.contract.foreign_keys):
        parent = key.reference.resource or data_file.entity
        if parent not in keys.wanted or not _has_columns(data_file, key.fields):
            continue
        if parent == data_file.entity or not keys.ready(parent):
            data_file.deferred.append((number, data_file.typed[key.fields], data_file.raw[key.fields]))
            continue
        _add_missing_keys(data_file, key, parent, keys.of(parent, key.reference.fields), data_file.typed[key.fields], data_file.raw[key.fields])


def _check_deferred_foreign_keys(data_file: _DataFile, keys: _ParentKeys) -> None:
    for number in dict.fromkeys(number for number, _, _ in data_file.deferred):
        key = data_file.contract.foreign_keys[number]
        typed = pd.concat([piece for n, piece, _ in data_file.deferred if n == number])
        raw = pd.concat([piece for n, _, piece in data_file.deferred if n == number])
        parent = key.reference.resource or data_file.entity
        _add_missing_keys(data_file, key, parent, keys.of(parent, key.reference.fields), typed, raw)
    data_file.deferred = []


def _add_missing_keys(data_file: _DataFile, key: Any, parent: str, parent_keys: KeyLookup | None, child_keys: pd.DataFrame, raw: pd.DataFrame) -> None:
    if parent_keys is None:
        return
    same_types = list(child_keys.dtypes) == list(parent_keys.keys.dtypes)
    found = parent_keys.contains(child_keys.set_axis(parent_keys.keys.columns, axis=1)) if same_types else _isin(child_keys, parent_keys.keys)
    rows = np.flatnonzero(child_keys.notna().all(axis=1).to_numpy() & ~found)
    if len(rows):
        rule = f"foreign key -> {parent}.{', '.join(key.reference.fields)}"
        lines = raw.index.to_numpy()[rows]
        parts = [raw[name].iloc[rows].astype("str") for name in key.fields]
        values = parts[0].str.cat(parts[1:], sep=", ").to_numpy(dtype=object)
        data_file.found.append(_failure_frame(data_file.display, lines, ", ".join(key.fields), rule, values))


def _has_columns(data_file: _DataFile, names: list[str]) -> bool:
    return set(names) <= set(data_file.columns or data_file.raw.columns)


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
            "rows": data_file.rows,
            "failures": int(counts.get(data_file.display, 0)),
        }
        for entity, data_file in sorted(files.items())
    }
    tables = {entity: file.typed for entity, file in sorted(files.items()) if file.typed is not None}
    return ValidationReport(files=summaries, tables=tables, failure_table=table, cap=cap)
