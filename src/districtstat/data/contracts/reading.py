"""Reading a data file: every value of a CSV or Parquet file as text, indexed by the file's own line number (index
name ``line``; for Parquet, the row number from 1), or a DataFileError saying why the file is not a table at all.

A CSV line whose first character is ``#`` is a comment and is skipped, wherever it is (the fill-in templates that
`districtstat new consortium` writes explain every column that way). Only ``#`` at the very start of a line counts: a
value starting with ``#`` in a later column, or after a space, is data, and so is a line inside a quoted value that
runs over several lines. A data row whose first value starts with ``#`` must therefore quote it (``"#12",...``).
Every line number, in the index and in every failure, stays the line of the file as the steward opens it.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.csv as arrow_csv

from districtstat.data.contracts.report import Failure


class DataFileError(Exception):
    """A data file that cannot be read as a table at all; the failures say why."""

    def __init__(self, failures: list[Failure]) -> None:
        super().__init__("\n".join(failure.format() for failure in failures))
        self.failures = failures


def _unreadable(shown: str, rule: str, value: str | None = None, *, line: int | None = None) -> DataFileError:
    return DataFileError([Failure(shown, line, None, rule, value)])


def read_raw(path: Path | str, *, display: str | None = None) -> pd.DataFrame:
    """Every value of a CSV or Parquet file as text, indexed by the line it came from.

    Text first, so that a value that is not of its column's type is reported as written, not lost.
    Raises DataFileError, naming the file as ``display`` (default: the path), when the file is not a
    table at all.
    """
    path = Path(path)
    shown = display or path.as_posix()
    if path.suffix.lower() == ".parquet":
        return _read_parquet(path, shown)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(shown, "cannot read", exc.strerror) from None
    return _read_csv(data, shown)


def _read_csv(data: bytes, shown: str) -> pd.DataFrame:
    data = data.removeprefix(codecs.BOM_UTF8)
    if not data or data.isspace():
        raise _unreadable(shown, "file is empty")
    _require_utf8(data, shown)
    data, comments = _without_comments(data)
    if not data or data.isspace():
        raise _unreadable(shown, "no header row, only # comment lines")
    header_line = int(_file_lines(np.array([1]), comments)[0])
    names = _header(data)
    _require_usable_header(names, shown, header_line)
    table, bad_rows = _parse_csv(data, names, shown)
    text = table.to_pandas()
    newlines = _embedded_newlines(text) if b'"' in data else np.zeros(len(text), dtype=np.int64)
    lines, bad_lines = _physical_lines(newlines, bad_rows)
    if bad_rows:
        file_lines = _file_lines(np.array([line or 0 for line in bad_lines], dtype=np.int64), comments)
        raise DataFileError(
            [
                Failure(shown, None if line is None else int(file_line), None, _field_count_rule(row), _found(row))
                for line, file_line, row in zip(bad_lines, file_lines, bad_rows)
            ]
        )
    text.index = _line_index(_file_lines(lines, comments))
    blank = (text == "").all(axis=1)
    text = text[~blank] if blank.any() else text
    text.attrs["header_line"] = header_line  # 1 unless comment lines come before the header
    return text


def _without_comments(data: bytes) -> tuple[bytes, np.ndarray]:
    """The file without its comment lines, and the line number (from 1) of each one removed.

    A line is a comment when its first byte is ``#`` and it does not continue a quoted value: the quotes before it
    (comments' own left out) must be even in number. Files without a ``#`` at the start of a line, as data exports
    are, cost one search."""
    if not data.startswith(b"#") and b"\n#" not in data:
        return data, np.zeros(0, dtype=np.int64)
    kept, lines = [], []
    position, line, quoted = 0, 1, False
    for match in re.finditer(rb"^#", data, flags=re.MULTILINE):
        start = match.start()
        quoted ^= data.count(b'"', position, start) % 2 == 1
        line += data.count(b"\n", position, start)
        kept.append(data[position:start])
        position = start
        if quoted:
            continue
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        lines.append(line)
        line += 1
        position = end
    kept.append(data[position:])
    return b"".join(kept), np.array(lines, dtype=np.int64)


def _file_lines(lines: np.ndarray, comments: np.ndarray) -> np.ndarray:
    """Line numbers counted without the comment lines, as lines of the file: each comment at or before a line pushes it
    down one."""
    if not len(comments):
        return lines
    # the comment lines each line of the file without them has passed: the i-th comment falls before that file's
    # line (comments[i] - i) and every later one
    return lines + np.searchsorted(comments - np.arange(len(comments)), lines, side="right")


def _field_count_rule(row: Any) -> str:
    return f"wrong number of fields, expected {row.expected_columns}"


def _found(row: Any) -> str:
    """A row that runs over several lines most often starts at an unclosed quote."""
    found = f"found {row.actual_columns}"
    breaks = row.text.count("\n")
    return f"{found}, across {breaks + 1} lines: unclosed quote?" if breaks else found


def _require_utf8(data: bytes, shown: str) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _unreadable(shown, "not UTF-8", f"byte 0x{data[exc.start]:02X}", line=line) from None


def _header(data: bytes) -> list[str]:
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    return next(csv.reader([first]), [])


def _require_usable_header(names: list[str], shown: str, line: int = 1) -> None:
    """Stop at a header that would make every later message wrong: wrong delimiter, unnamed, twice."""
    if len(names) == 1:
        found = max(";\t|", key=names[0].count)
        if found in names[0]:
            raise _unreadable(shown, f"wrong delimiter: found {found!r}, expected ','", line=line)
    failures = [
        Failure(shown, line, None, "column without a name", f"column {number}")
        for number, name in enumerate(names, start=1)
        if not name.strip()
    ]
    repeated = sorted({name for name in names if name.strip() and names.count(name) > 1})
    failures += [Failure(shown, line, name, "duplicate column", None) for name in repeated]
    if failures:
        raise DataFileError(failures)


def _parse_csv(data: bytes, names: list[str], shown: str) -> tuple[pyarrow.Table, list[Any]]:
    """Parse with Arrow, setting aside (not stopping at) rows with the wrong number of fields."""
    bad_rows: list[Any] = []

    def set_aside(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    try:
        table = arrow_csv.read_csv(
            pyarrow.BufferReader(data),
            read_options=arrow_csv.ReadOptions(use_threads=False, column_names=names, skip_rows=1),
            parse_options=arrow_csv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=set_aside
            ),
            convert_options=arrow_csv.ConvertOptions(
                column_types={name: pyarrow.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pyarrow.ArrowException as exc:
        raise _unreadable(shown, "cannot read as CSV", str(exc).splitlines()[0]) from None
    return table, bad_rows


def _embedded_newlines(text: pd.DataFrame) -> np.ndarray:
    """Line breaks inside quoted values, per row: each one pushes every later row down a line."""
    counts = np.zeros(len(text), dtype=np.int64)
    for name in text.columns:
        column = text[name]
        if column.str.contains("\n", regex=False).any():
            counts += column.str.count("\n").to_numpy(dtype=np.int64)
    return counts


def _physical_lines(newlines: np.ndarray, bad_rows: list[Any]) -> tuple[np.ndarray, list[int | None]]:
    """File line of each parsed row and of each set-aside row (records count from 2, the header is 1)."""
    if not bad_rows:
        return 2 + np.arange(len(newlines)) + np.cumsum(newlines) - newlines, []
    if any(row.number is None for row in bad_rows):
        return 2 + np.arange(len(newlines)), [None] * len(bad_rows)
    total = len(newlines) + len(bad_rows)
    bad_records = np.array([row.number for row in bad_rows], dtype=np.int64)
    kept_records = np.setdiff1d(np.arange(2, total + 2), bad_records)
    per_record = np.zeros(total, dtype=np.int64)
    per_record[kept_records - 2] = newlines
    per_record[bad_records - 2] = [row.text.count("\n") for row in bad_rows]
    lines = np.arange(2, total + 2) + np.cumsum(per_record) - per_record
    return lines[kept_records - 2], [int(line) for line in lines[bad_records - 2]]


def _line_index(lines: np.ndarray) -> pd.Index:
    if len(lines) and lines[-1] - lines[0] == len(lines) - 1:
        return pd.RangeIndex(int(lines[0]), int(lines[-1]) + 1, name="line")
    return pd.Index(lines, dtype=np.int64, name="line") if len(lines) else pd.RangeIndex(2, 2, name="line")


def _read_parquet(path: Path, shown: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise _unreadable(shown, "cannot read as Parquet", str(exc).splitlines()[0]) from None
    text = pd.DataFrame({str(name): _as_text(frame[name]) for name in frame.columns})
    text.index = pd.RangeIndex(1, len(text) + 1, name="line")
    return text


def _as_text(values: pd.Series) -> pd.Series:
    """Parquet values as the text a CSV would hold, so both go through the same checks."""
    known = values.dropna()
    if pd.api.types.is_datetime64_any_dtype(values) and (known == known.dt.normalize()).all():
        text = values.dt.strftime("%Y-%m-%d")
    else:
        text = values.astype(str)
    return text.where(values.notna(), "").astype("str").reset_index(drop=True)
