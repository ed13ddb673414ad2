"""Reading a data file: every value of a CSV or Parquet file as text, indexed by the file's own line number (index
name ``line``; for Parquet, the row number from 1), or a DataFileError saying why the file is not a table at all.

A CSV line whose first character is ``#`` is a comment and is skipped, wherever it is (the fill-in templates that
`districtstat new consortium` writes explain every column that way). Only ``#`` at the very start of a line counts: a
value starting with ``#`` in a later column, or after a space, is data, and so is a line inside a quoted value that
runs over several lines. A data row whose first value starts with ``#`` must therefore quote it (``"#12",...``).
Every line number, in the index and in every failure, stays the line of the file as the steward opens it.

A file larger than memory is read in chunks (`read_raw_chunks`): each chunk ends at the end of a record, never inside
a quoted value, and carries the lines of the file, so a chunked read finds the same values and the same failures on
the same lines as a whole one.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.csv as arrow_csv
import pyarrow.parquet as parquet

from districtstat.data.contracts.report import Failure


WHOLE = -1  # chunk_bytes that reads a file in one piece


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
    text, bad = _records(data, comments, names, shown)
    if bad:
        raise DataFileError(bad)
    text.attrs["header_line"] = header_line  # 1 unless comment lines come before the header
    return text


def _records(data: bytes, comments: np.ndarray, names: list[str], shown: str, first_line: int = 1) -> tuple[pd.DataFrame, list[Failure]]:
    """The records below the header of `data` (comments already taken out), indexed by file line, and the failures
    of rows with the wrong number of fields. `data` starts with the header; its first record is on `first_line` + 1
    of the file."""
    table, bad_rows = _parse_csv(data, names, shown)
    text = table.to_pandas()
    newlines = _embedded_newlines(text) if b'"' in data else np.zeros(len(text), dtype=np.int64)
    lines, bad_lines = _physical_lines(newlines, bad_rows)
    offset = first_line - 1
    if bad_rows:
        file_lines = _file_lines(np.array([line or 0 for line in bad_lines], dtype=np.int64), comments) + offset
        failures = [
            Failure(shown, None if line is None else int(file_line), None, _field_count_rule(row), _found(row))
            for line, file_line, row in zip(bad_lines, file_lines, bad_rows)
        ]
        return text.iloc[:0], failures
    text.index = _line_index(_file_lines(lines, comments) + offset)
    blank = (text == "").all(axis=1)
    return (text[~blank] if blank.any() else text), []


def read_raw_chunks(path: Path | str, *, display: str | None = None, chunk_bytes: int = 64 * 2**20) -> Iterator[pd.DataFrame]:
    """The file as `read_raw` reads it, in pieces of about `chunk_bytes` (`WHOLE`: one piece), each
    indexed by its file lines; the first carries ``attrs["header_line"]``.

    The failures are `read_raw`'s: a file that is not a table raises DataFileError, after every piece before the
    problem was yielded; rows with the wrong number of fields are gathered over the whole file first, so the error
    lists every one of them, as a whole read does."""
    path = Path(path)
    shown = display or path.as_posix()
    if path.suffix.lower() == ".parquet":
        yield from _parquet_chunks(path, shown, chunk_bytes)
        return
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise _unreadable(shown, "cannot read", exc.strerror) from None
    with handle:
        pieces = _record_pieces(handle, chunk_bytes)
        first, first_line = next(pieces, (b"", 1))
        text = _read_csv_or_bad_rows(first, shown)
        header, names, bad = text.attrs.pop("header", b""), text.attrs.pop("names", []), text.attrs.pop("bad", [])
        if not bad:
            yield text
        for piece, first_line in pieces:
            _require_utf8(piece, shown, first_line)
            body, comments = _without_comments(piece)
            more, found = _records(header + body, comments + 1 if len(comments) else comments, names, shown, first_line - 1)
            bad += found
            if not bad:
                yield more
        if bad:
            raise DataFileError(bad)


def _read_csv_or_bad_rows(data: bytes, shown: str) -> pd.DataFrame:
    """The first piece read as a whole file, keeping (not raising) its rows with the wrong number of fields, and
    noting the header's own bytes and names for the pieces after it."""
    try:
        text = _read_csv(data, shown)
        bad: list[Failure] = []
    except DataFileError as exc:
        if not all(failure.rule.startswith("wrong number of fields") for failure in exc.failures):
            raise
        text, bad = pd.DataFrame(), exc.failures
    stripped, _ = _without_comments(data.removeprefix(codecs.BOM_UTF8))
    end = stripped.find(b"\n")
    header = stripped if end < 0 else stripped[: end + 1]
    text.attrs.update(header=header if header.endswith(b"\n") else header + b"\n", names=_header(stripped), bad=bad)
    return text


def _record_pieces(handle: Any, chunk_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Pieces of a CSV file, each ending where a record ends (a line break outside quotes), with the file line each
    starts on. The first piece always holds the header."""
    if chunk_bytes == WHOLE:
        yield handle.read(), 1
        return
    line, carry = 1, b""
    while True:
        block = handle.read(chunk_bytes)
        data = carry + block
        if len(block) < chunk_bytes:  # the end of the file: the rest is one piece
            if data or line == 1:
                yield data, line
            return
        end = _last_record_end(data, first=line == 1)
        if end is None:
            carry = data
            continue
        piece, carry = data[:end], data[end:]
        yield piece, line
        line += piece.count(b"\n")


def _last_record_end(data: bytes, *, first: bool) -> int | None:
    """The position just after the last line break in `data` that ends a record: the quotes before it, leaving out
    those of comment lines, are even in number. None when there is none (or, in the first piece, no header yet)."""
    body = data.removeprefix(codecs.BOM_UTF8) if first else data
    skip = len(data) - len(body)
    kept, comments = _without_comments(body)
    if first and not kept.lstrip():
        return None
    end, quotes, previous = kept.rfind(b"\n"), None, 0
    while end >= 0:
        quotes = kept.count(b'"', 0, end) if quotes is None else quotes - kept.count(b'"', end, previous)
        if quotes % 2 == 0:
            break
        previous, end = end, kept.rfind(b"\n", 0, end)
    if end < 0 or (first and not kept[:end].strip()):
        return None
    if not len(comments):
        return skip + end + 1
    kept_lines = kept.count(b"\n", 0, end) + 1  # the line this break ends, counted without comments
    file_line = int(_file_lines(np.array([kept_lines]), comments)[0])
    breaks = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord("\n"))
    return skip + int(breaks[file_line - 1]) + 1


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


def _require_utf8(data: bytes, shown: str, first_line: int = 1) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + first_line
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


def _parquet_chunks(path: Path, shown: str, chunk_bytes: int) -> Iterator[pd.DataFrame]:
    """A Parquet file in batches of rows, each written as text as the whole file would be (`_timestamp_styles`)."""
    try:
        source = parquet.ParquetFile(path)
        rows = max(1, source.metadata.num_rows if chunk_bytes == WHOLE else chunk_bytes // (16 * max(1, source.metadata.num_columns)))
        styles = _timestamp_styles(source, rows)
        start = 1
        batches = source.iter_batches(batch_size=rows) if source.metadata.num_rows else [source.schema_arrow.empty_table()]
        for batch in batches:
            frame = batch.to_pandas()
            text = pd.DataFrame({str(name): _as_text(frame[name], styles.get(name, WHOLE_DAYS)) for name in frame.columns})
            text.index = pd.RangeIndex(start, start + len(text), name="line")
            start += len(text)
            yield text
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise _unreadable(shown, "cannot read as Parquet", str(exc).splitlines()[0]) from None


WHOLE_DAYS = None  # a timestamp column written as dates: every value in it is a whole day


def _timestamp_styles(source: parquet.ParquetFile, rows: int) -> dict[str, pd.Timestamp | None]:
    """How each timestamp column is written as text, decided over the whole column as pandas decides it for one
    series: as dates if every value is a whole day (`WHOLE_DAYS`), else to the finest fraction of a second any
    value has, given as a timestamp of that fraction (see `_as_text`). Read in one pass over those columns alone,
    batch by batch, so no column is held whole."""
    names = [name for name in source.schema_arrow.names if pyarrow.types.is_timestamp(source.schema_arrow.field(name).type)]
    whole_days, digits, last = dict.fromkeys(names, True), dict.fromkeys(names, 0), {}
    for batch in source.iter_batches(batch_size=rows, columns=names) if names else ():
        for name in names:
            last[name] = values = batch.column(name).to_pandas()
            whole_days[name] = whole_days[name] and _whole_days(values)
            digits[name] = max(digits[name], _fraction_digits(values))
    styles = {}
    for name in names:
        if whole_days[name] or name not in last:
            styles[name] = WHOLE_DAYS
            continue
        values = last[name]
        finest = pd.Timestamp("1970-01-01 00:00:01") if digits[name] == 0 else pd.Timestamp(10 ** (9 - digits[name]), unit="ns")
        styles[name] = (finest if values.dt.tz is None else finest.tz_localize(values.dt.tz)).as_unit(values.dt.unit)
    return styles


def _fraction_digits(values: pd.Series) -> int:
    """The digits after the second the finest value needs: 0, 3, 6 or 9."""
    known = values.dropna()
    nanoseconds = known.dt.microsecond.to_numpy(dtype="int64") * 1000 + known.dt.nanosecond.to_numpy(dtype="int64")
    for digits in (9, 6, 3):
        if (nanoseconds % 10 ** (12 - digits) != 0).any():
            return digits
    return 0


def _whole_days(values: pd.Series) -> bool:
    known = values.dropna()
    return bool((known == known.dt.normalize()).all())


def _as_text(values: pd.Series, style: pd.Timestamp | None = WHOLE_DAYS) -> pd.Series:
    """Parquet values as the text a CSV would hold, so both go through the same checks.

    A batch of a timestamp column is written with its column's `style`: pandas writes a series of times to the
    finest fraction of a second among its values, so one value of the column's finest is written along with the
    batch and dropped.
    """
    if pd.api.types.is_datetime64_any_dtype(values) and style is WHOLE_DAYS and _whole_days(values):
        text = values.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_datetime64_any_dtype(values) and style is not WHOLE_DAYS:
        text = pd.concat([values, pd.Series([style], dtype=values.dtype)], ignore_index=True).astype(str).iloc[:-1]
    else:
        text = values.astype(str)
    return text.where(values.notna().to_numpy(), "").astype("str").reset_index(drop=True)
