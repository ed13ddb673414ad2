"""The contract itself: the pydantic models a contract's YAML is read into (a Table Schema with districtstat's code sets
and row rules)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

FieldType = Literal["string", "integer", "number", "date", "boolean"]


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
