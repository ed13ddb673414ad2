"""Data contracts: what each input file must look like, and a check of a whole dataset against them.

Each input entity has a Table Schema in ``data_contracts/``. A data steward hands over a folder with
one file per entity; :func:`validate_dataset` says, by file and line, everything to fix before any
analysis runs, and hands the typed tables on to the next stage.

Every frame read here is indexed by the file's own line number (index name ``line``; for Parquet, the
row number from 1), so any later stage can still point the steward at the line to fix.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as arrow_compute
import pyarrow.csv as arrow_csv
import pydantic
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator
from pydantic.alias_generators import to_camel

__all__ = [
    "CodeSet",
    "Constraints",
    "Contract",
    "ContractError",
    "DataFileError",
    "Failure",
    "Field",
    "ForeignKey",
    "Reference",
    "RowRule",
    "ValidationReport",
    "load_contract",
    "load_contracts",
    "read_raw",
    "read_typed",
    "to_pandera",
    "validate_dataset",
]

DATA_SUFFIXES = (".csv", ".parquet")
FieldType = Literal["string", "integer", "number", "date", "boolean"]


# --- The contract itself -------------------------------------------------------------------------


class ContractError(ValueError):
    """A contract file that cannot be used, explained for the person who edits the YAML."""


def _as_list(value: Any) -> Any:
    """Table Schema lets a single key field be written as a bare string."""
    return [value] if isinstance(value, str) else value


FieldNames = Annotated[list[str], BeforeValidator(_as_list)]


class _ContractPart(BaseModel):
    """Every part of a contract refuses keys it does not know, and reads the YAML's camelCase keys."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)


class CodeSet(_ContractPart):
    """The published code set an enum follows, so reports can cite it."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    name: str
    version: str


class Constraints(_ContractPart):
    required: bool = False
    unique: bool = False
    enum: list[str | bool | int | float | dt.date] | None = None
    minimum: int | float | dt.date | None = None
    maximum: int | float | dt.date | None = None
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, pattern: str | None) -> str | None:
        """A broken pattern should stop the contract loading, not the validation of a file."""
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None
        return pattern


class Field(_ContractPart):
    name: str
    title: str | None = None
    description: str | None = None
    type: FieldType = "string"
    constraints: Constraints = pydantic.Field(default_factory=Constraints)
    code_set: CodeSet | None = None


class Reference(_ContractPart):
    resource: str
    fields: FieldNames


class ForeignKey(_ContractPart):
    fields: FieldNames
    reference: Reference


class RowRule(_ContractPart):
    name: str
    expression: str
    description: str | None = None


class Contract(_ContractPart):
    name: str
    title: str | None = None
    description: str | None = None
    fields: list[Field]
    primary_key: FieldNames = []
    foreign_keys: list[ForeignKey] = []
    missing_values: list[str] = [""]
    row_rules: list[RowRule] = []

    @property
    def field_names(self) -> list[str]:
        return [field.name for field in self.fields]

    def is_required(self, field: Field) -> bool:
        """Primary-key fields are required unless the contract says `required: false` for one.

        Table Schema makes every key field required; districtstat lets a contract opt one out explicitly, so a key
        part may be empty (a monthly KPI's month is empty for a whole-year value). An empty part is then a value
        of the key like any other: two rows that agree on every other part are still duplicates.
        """
        if "required" in field.constraints.model_fields_set:
            return field.constraints.required
        return field.name in self.primary_key

    @property
    def required_key(self) -> list[str]:
        """The primary-key fields a row must fill in."""
        by_name = {field.name: field for field in self.fields}
        return [name for name in self.primary_key if name in by_name and self.is_required(by_name[name])]


_CONTRACT_MODELS = (CodeSet, Constraints, Field, Reference, ForeignKey, RowRule, Contract)
_CONTRACT_KEYS = {
    info.alias or name for model in _CONTRACT_MODELS for name, info in model.model_fields.items()
}
_EXPECTED_WORDS = {
    "string": "text",
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "date": "a date",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping",
}


def load_contract(path: Path | str) -> Contract:
    """Read one contract, so that a typo in the YAML is caught before any data file is judged by it."""
    path = Path(path)
    shown = path.as_posix()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContractError(f"{shown}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ContractError(f"{shown}: not UTF-8") from None
    except yaml.YAMLError as exc:
        raise ContractError(f"{shown}: not valid YAML{_yaml_place(exc)}") from None
    if not isinstance(document, dict):
        found = type(document).__name__
        raise ContractError(f"{shown}: expected keys such as name and fields, found {found}")
    try:
        contract = Contract.model_validate(document)
    except ValidationError as exc:
        raise ContractError("\n".join(f"{shown}: {problem}" for problem in _plain_problems(exc))) from None
    problems = _contract_problems(contract)
    if problems:
        raise ContractError("\n".join(f"{shown}: {problem}" for problem in problems))
    return contract


def load_contracts(contracts_dir: Path | str) -> dict[str, Contract]:
    """Read every contract in a folder and check that their foreign keys point at each other."""
    contracts_dir = Path(contracts_dir)
    paths = sorted([*contracts_dir.glob("*.yaml"), *contracts_dir.glob("*.yml")])
    if not paths:
        raise ContractError(f"{contracts_dir.as_posix()}: no contracts (*.yaml)")
    contracts: dict[str, Contract] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    for path in paths:
        try:
            contract = load_contract(path)
        except ContractError as exc:
            problems.append(str(exc))
            continue
        if contract.name in contracts:
            first = sources[contract.name]
            problems.append(f"{path.as_posix()}: name {contract.name!r} is already used by {first}")
            continue
        contracts[contract.name] = contract
        sources[contract.name] = path.as_posix()
    for name, contract in contracts.items():
        problems += [f"{sources[name]}: {problem}" for problem in _reference_problems(contract, contracts)]
    if problems:
        raise ContractError("\n".join(problems))
    return dict(sorted(contracts.items()))


def _yaml_place(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or ""
    return f" (line {mark.line + 1}: {problem})" if mark is not None else ""


def _where(loc: tuple[Any, ...]) -> str:
    """fields[2].constraints, the way a person would point into the YAML."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in _CONTRACT_KEYS:
            text += f".{part}" if text else part
    return text


def _plain_problems(exc: ValidationError) -> list[str]:
    """Turn pydantic's report into one plain sentence per place in the YAML."""
    problems: list[str] = []
    expected: dict[str, list[str]] = {}
    received: dict[str, Any] = {}
    for error in exc.errors():
        loc, kind = error["loc"], error["type"]
        if kind in ("extra_forbidden", "missing"):
            where = _where(loc[:-1])
            word = "unknown" if kind == "extra_forbidden" else "missing"
            problems.append(f"{where + ': ' if where else ''}{word} key {loc[-1]!r}")
            continue
        where = _where(loc)
        if kind == "literal_error":
            problems.append(f"{where}: {error['input']!r} is not one of {error['ctx']['expected']}")
        elif kind == "value_error":
            problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
        elif (word := _expected_word(kind)) is not None:
            if where not in expected:
                problems.append(where)
                expected[where], received[where] = [], error["input"]
            if word not in expected[where]:
                expected[where].append(word)
        else:
            problems.append(f"{where}: {error['msg']}")
    return [_expected_sentence(p, expected[p], received[p]) if p in expected else p for p in problems]


def _expected_word(error_type: str) -> str | None:
    prefix = error_type.split("_")[0]
    return _EXPECTED_WORDS.get(prefix)


def _expected_sentence(where: str, words: list[str], received: Any) -> str:
    wanted = words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" or {words[-1]}"
    return f"{where}: expected {wanted}, found {received!r}"


def _contract_problems(contract: Contract) -> list[str]:
    """Mistakes pydantic cannot see: keys that name no field, enums of the wrong type, bad rules."""
    names = contract.field_names
    repeated = sorted({name for name in names if names.count(name) > 1})
    problems = [f"fields: {name!r} appears twice" for name in repeated]
    for number, field in enumerate(contract.fields):
        problems += [f"fields[{number}] ({field.name}): {p}" for p in _field_problems(field)]
    problems += [f"primaryKey: {name!r} is not a field" for name in contract.primary_key if name not in names]
    for number, key in enumerate(contract.foreign_keys):
        where = f"foreignKeys[{number}]"
        problems += [f"{where}: {name!r} is not a field" for name in key.fields if name not in names]
        if len(key.fields) != len(key.reference.fields):
            problems.append(f"{where}: {len(key.fields)} fields refer to {len(key.reference.fields)}")
    if not problems:
        problems += _row_rule_problems(contract)
    return problems


def _field_problems(field: Field) -> list[str]:
    constraints = field.constraints
    problems = []
    if field.code_set is not None and constraints.enum is None:
        problems.append("codeSet needs an enum listing its codes")
    for value in constraints.enum or []:
        if not _fits_type(value, field.type):
            hint = '; quote codes such as "01" so YAML keeps them as text' if field.type == "string" else ""
            problems.append(f"enum value {value!r} is not of type {field.type}{hint}")
    for bound in ("minimum", "maximum"):
        value = getattr(constraints, bound)
        if value is not None and (field.type in ("string", "boolean") or not _fits_type(value, field.type)):
            problems.append(f"{bound} {value!r} does not fit type {field.type}")
    if constraints.pattern is not None and field.type != "string":
        problems.append(f"pattern applies to text, but the type is {field.type}")
    return problems


def _fits_type(value: Any, field_type: str) -> bool:
    if field_type == "string":
        return isinstance(value, str)
    if field_type == "boolean":
        return isinstance(value, bool)
    if field_type == "date":
        return isinstance(value, dt.date)
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (field_type == "number" and isinstance(value, float))


def _row_rule_problems(contract: Contract) -> list[str]:
    """Evaluate each rule on an empty table of the contract's types, to catch typos at load time."""
    empty = _empty_typed(contract)
    problems = []
    for number, rule in enumerate(contract.row_rules):
        where = f"rowRules[{number}] ({rule.name})"
        try:
            result = empty.eval(rule.expression)
        except Exception as exc:  # noqa: BLE001 - any failure of eval means the rule cannot be used
            problems.append(f"{where}: cannot evaluate {rule.expression!r} ({exc})")
            continue
        if not (isinstance(result, pd.Series) and pd.api.types.is_bool_dtype(result.dtype)):
            problems.append(f"{where}: {rule.expression!r} does not give true or false for each row")
    return problems


def _reference_problems(contract: Contract, contracts: dict[str, Contract]) -> list[str]:
    problems = []
    for number, key in enumerate(contract.foreign_keys):
        parent = contracts.get(key.reference.resource or contract.name)
        if parent is None:
            problems.append(f"foreignKeys[{number}]: no contract named {key.reference.resource!r}")
            continue
        problems += [
            f"foreignKeys[{number}]: {parent.name} has no field {name!r}"
            for name in key.reference.fields
            if name not in parent.field_names
        ]
    return problems


# --- Compiling a contract to pandera -------------------------------------------------------------

_DTYPES = {
    "string": "str",
    "integer": "Int64",
    "number": "float64",
    "date": "datetime64[us]",
    "boolean": "boolean",
}


def to_pandera(contract: Contract) -> pa.DataFrameSchema:
    """The contract as a pandera schema over the typed table, for any later stage to re-check."""
    return _schema(contract, contract.field_names, with_row_rules=True)


def _schema(contract: Contract, columns: list[str], *, with_row_rules: bool) -> pa.DataFrameSchema:
    fields = [field for field in contract.fields if field.name in columns]
    key = _checkable_key(contract, columns)
    return pa.DataFrameSchema(
        {field.name: _column(field, contract) for field in fields},
        checks=[_row_rule_check(rule) for rule in contract.row_rules] if with_row_rules else None,
        unique=key or None,
        report_duplicates="exclude_first",
        name=contract.name,
        title=contract.title,
        description=contract.description,
    )


def _checkable_key(contract: Contract, columns: list[str]) -> list[str]:
    """The key parts a file holds, when it holds every required one: an optional part left out is empty throughout."""
    if not set(contract.required_key) <= set(columns):
        return []
    return [name for name in contract.primary_key if name in columns]


def _column(field: Field, contract: Contract) -> pa.Column:
    return pa.Column(
        _DTYPES[field.type],
        checks=_checks(field),
        nullable=not contract.is_required(field),
        unique=field.constraints.unique,
        report_duplicates="exclude_first",
        title=field.title,
        description=field.description,
    )


def _checks(field: Field) -> list[pa.Check]:
    """Each check carries its rule text as its error, so pandera's report already reads plainly."""
    constraints = field.constraints
    checks = []
    if constraints.enum is not None:
        values = [_typed_literal(value, field.type) for value in constraints.enum]
        checks.append(pa.Check.isin(values, error=_enum_rule(field)))
    if constraints.minimum is not None:
        minimum = _typed_literal(constraints.minimum, field.type)
        checks.append(pa.Check.ge(minimum, error=f"minimum {_number_text(constraints.minimum)}"))
    if constraints.maximum is not None:
        maximum = _typed_literal(constraints.maximum, field.type)
        checks.append(pa.Check.le(maximum, error=f"maximum {_number_text(constraints.maximum)}"))
    if constraints.pattern is not None:
        whole = f"(?:{constraints.pattern})$"
        checks.append(pa.Check.str_matches(whole, error=f"pattern {constraints.pattern}"))
    return checks


def _row_rule_check(rule: RowRule) -> pa.Check:
    def holds(frame: pd.DataFrame) -> pd.Series:
        return frame.eval(rule.expression).astype("boolean").fillna(True).astype(bool)

    return pa.Check(holds, name=rule.name, error=_row_rule_text(rule))


def _typed_literal(value: Any, field_type: str) -> Any:
    if field_type == "date":
        return pd.Timestamp(value)
    if field_type == "string":
        return str(value)
    return value


def _enum_rule(field: Field) -> str:
    if field.code_set is not None:
        return f"not in code set {field.code_set.name}@{field.code_set.version}"
    return "not one of " + ", ".join(str(value) for value in field.constraints.enum or [])


def _row_rule_text(rule: RowRule) -> str:
    return f"row rule {rule.name} ({rule.expression})"


def _number_text(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


# --- Reading a data file -------------------------------------------------------------------------


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


class DataFileError(Exception):
    """A data file that cannot be read as a table at all; the failures say why."""

    def __init__(self, failures: list[Failure]) -> None:
        super().__init__("\n".join(failure.format() for failure in failures))
        self.failures = failures


def _unreadable(shown: str, rule: str, value: str | None = None, *, line: int | None = None) -> DataFileError:
    return DataFileError([Failure(shown, line, None, rule, value)])


def _shorten(value: str, limit: int = 80) -> str:
    value = value.replace("\r", "\\r").replace("\n", "\\n")
    return value if len(value) <= limit else value[: limit - 3] + "..."


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
    names = _header(data)
    _require_usable_header(names, shown)
    table, bad_rows = _parse_csv(data, names, shown)
    text = table.to_pandas()
    newlines = _embedded_newlines(text) if b'"' in data else np.zeros(len(text), dtype=np.int64)
    lines, bad_lines = _physical_lines(newlines, bad_rows)
    if bad_rows:
        raise DataFileError(
            [
                Failure(shown, line, None, _field_count_rule(row), _found(row))
                for line, row in zip(bad_lines, bad_rows)
            ]
        )
    text.index = _line_index(lines)
    blank = (text == "").all(axis=1)
    return text[~blank] if blank.any() else text


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


def _require_usable_header(names: list[str], shown: str) -> None:
    """Stop at a header that would make every later message wrong: wrong delimiter, unnamed, twice."""
    if len(names) == 1:
        found = max(";\t|", key=names[0].count)
        if found in names[0]:
            raise _unreadable(shown, f"wrong delimiter: found {found!r}, expected ','", line=1)
    failures = [
        Failure(shown, 1, None, "column without a name", f"column {number}")
        for number, name in enumerate(names, start=1)
        if not name.strip()
    ]
    repeated = sorted({name for name in names if name.strip() and names.count(name) > 1})
    failures += [Failure(shown, 1, name, "duplicate column", None) for name in repeated]
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


# --- Typing the text ---------------------------------------------------------------------------

_INTEGER = r"[+-]?\d+(?:\.0*)?"
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_DATE = r"\d{4}-\d{2}-\d{2}"
_TRUE = ["true", "True", "TRUE", "1"]
_FALSE = ["false", "False", "FALSE", "0"]
_TYPE_RULES = {
    "string": "type (string)",
    "integer": "type (integer)",
    "number": "type (number)",
    "date": "type (date YYYY-MM-DD)",
    "boolean": "type (boolean)",
}


def read_typed(path: Path | str, contract: Contract) -> pd.DataFrame:
    """A file as the contract's typed columns, for stages that read a file already validated.

    Values that are not of their column's type become missing; columns the file lacks are all missing.
    """
    typed, _ = _typed(read_raw(path), contract)
    return typed


def _typed(raw: pd.DataFrame, contract: Contract) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Typed columns, and per column where a value was present but not of the type."""
    columns: dict[str, pd.Series] = {}
    unparsed: dict[str, np.ndarray] = {}
    for field in contract.fields:
        if field.name not in raw.columns:
            columns[field.name] = pd.Series(index=raw.index, dtype=_DTYPES[field.type])  # all missing, in the field's type
            continue
        text = raw[field.name]
        present = ~text.isin(contract.missing_values)
        typed = _parse(text.where(present), field.type)
        columns[field.name] = typed
        unparsed[field.name] = (present & typed.isna()).to_numpy(dtype=bool)
    return pd.DataFrame(columns, index=raw.index), unparsed


def _parse(text: pd.Series, field_type: str) -> pd.Series:
    """Values of one type, vectorised; anything that is not a literal of that type becomes missing."""
    if field_type == "string":
        return text.astype("str")
    if field_type == "integer":
        numbers = _to_float(_matching(text, _INTEGER))
        return numbers.where(numbers.abs() < 2**53).astype("Int64")
    if field_type == "number":
        return _to_float(_matching(text, _NUMBER))
    if field_type == "date":
        return pd.to_datetime(_matching(text, _DATE), format="%Y-%m-%d", errors="coerce").astype(_DTYPES["date"])
    flags = pd.Series(pd.NA, index=text.index, dtype="boolean")
    flags[text.isin(_TRUE)] = True
    flags[text.isin(_FALSE)] = False
    return flags


def _matching(text: pd.Series, pattern: str) -> pd.Series:
    """The text that is a literal of the type; the rest becomes missing, to be reported as a type failure."""
    return text.where(text.str.fullmatch(pattern).fillna(False).astype(bool))


def _to_float(text: pd.Series) -> pd.Series:
    """Arrow's cast is ten times faster than numpy's on Arrow-backed text; both read the same literals."""
    try:
        return text.astype("float64[pyarrow]").astype("float64")
    except (ValueError, TypeError):
        return text.astype("float64")


def _empty_typed(contract: Contract) -> pd.DataFrame:
    return pd.DataFrame({field.name: pd.Series(dtype=_DTYPES[field.type]) for field in contract.fields})


# --- Checking a dataset ------------------------------------------------------------------------

_FAILURE_COLUMNS = ["file", "line", "column", "rule", "value"]


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


# --- The report --------------------------------------------------------------------------------


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
