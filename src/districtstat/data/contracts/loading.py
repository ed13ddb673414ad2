"""Loading contracts: reading the YAML into the models, every mistake in it explained for the person who edits it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from districtstat.data.contracts.models import CodeSet, Constraints, Contract, Field, ForeignKey, Reference, RowRule
from districtstat.data.contracts.typed import _empty_typed


class ContractError(ValueError):
    """A contract file that cannot be used, explained for the person who edits the YAML."""


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


def with_code_set(contracts: dict[str, Contract], name: str, codes: list[str], version: str) -> dict[str, Contract]:
    """The contracts with every field following code set `name` checked against `codes`: a code set a project
    declares (its subjects, say) replaces the contract's default list, and reports cite where it came from."""

    def declared(field: Field) -> Field:
        if field.code_set is None or field.code_set.name != name:
            return field
        constraints = field.constraints.model_copy(update={"enum": list(codes)})
        return field.model_copy(update={"constraints": constraints, "code_set": CodeSet(name=name, version=version)})

    return {entity: contract.model_copy(update={"fields": [declared(field) for field in contract.fields]}) for entity, contract in contracts.items()}
