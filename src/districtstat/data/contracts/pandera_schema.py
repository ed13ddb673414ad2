"""Compiling a contract to pandera: its constraints, key and row rules as a schema over the typed table, each check
carrying the rule text a report shows."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa

from districtstat.data.contracts.models import Contract, Field, RowRule
from districtstat.data.contracts.typed import _DTYPES


def to_pandera(contract: Contract) -> pa.DataFrameSchema:
    """The contract as a pandera schema over the typed table, for any later stage to re-check."""
    return _schema(contract, contract.field_names, with_row_rules=True)


def _schema(contract: Contract, columns: list[str], *, with_row_rules: bool, values: bool = True, uniqueness: bool = True) -> pa.DataFrameSchema:
    """The schema of the fields present; `values` (constraints and required) and `uniqueness` (the key and unique
    columns) can be checked apart, as a file read in chunks checks values chunk by chunk and uniqueness over all."""
    fields = [field for field in contract.fields if field.name in columns]
    key = _checkable_key(contract, columns) if uniqueness else []
    return pa.DataFrameSchema(
        {field.name: _column(field, contract, values=values, uniqueness=uniqueness) for field in fields},
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


def _column(field: Field, contract: Contract, *, values: bool = True, uniqueness: bool = True) -> pa.Column:
    return pa.Column(
        _DTYPES[field.type],
        checks=_checks(field) if values else None,
        nullable=not (values and contract.is_required(field)),
        unique=bool(uniqueness and field.constraints.unique),
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
