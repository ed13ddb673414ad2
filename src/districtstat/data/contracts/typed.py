"""Typing the text: each column read as its contract type, noting where a value was present but not of the type."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from districtstat.data.contracts.models import Contract
from districtstat.data.contracts.reading import read_raw

_DTYPES = {
    "string": "str",
    "integer": "Int64",
    "number": "float64",
    "date": "datetime64[us]",
    "boolean": "boolean",
}
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
