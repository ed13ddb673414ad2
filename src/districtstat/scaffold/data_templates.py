"""Fill-in templates of the data contracts: one CSV per contract, its header and then `#` comment lines saying what
each column holds and showing one example row that passes.

Why read everything from the contract: a template is the contract said to the person who fills it in, so it must
change when the contract does. Nothing here knows any one file: the words are the contract's title and descriptions,
the rules its types and constraints, and the example row is made from those rules (a foreign key takes its parent's
example, so the examples of a whole dataset fit together). The reader skips the comment lines (see
`contracts.reading`), so a template nobody filled in yet is a valid empty file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from re import _parser as regex_parser  # the standard library's own parser: an example is built from the pattern

from districtstat.data.contracts.models import Contract, Field

TYPE_WORDS = {"string": "text", "integer": "whole number", "number": "number", "date": "date, YYYY-MM-DD", "boolean": "true or false"}
# Where a column has one bound or none, the example starts from these and moves inside the bound.
PLAIN_NUMBER = 100
PLAIN_DATE = dt.date(2000, 1, 1)
EXAMPLE_MARK = "# Example of a row that passes (copy it below the header without the leading '# '):"


class TemplateError(ValueError):
    """A contract for which no example row can be made: its pattern is beyond what `example_text` reads."""


def template_csv(contract: Contract, examples: dict[str, dict[str, str]]) -> str:
    """The fill-in CSV of one contract: header, comment lines on the table and each column, the example row."""
    lines = [_csv_line(contract.field_names)]
    about = " ".join(part for part in (_sentence(contract.title), _sentence(contract.description)) if part)
    lines.append(f"# {contract.name}.csv: {about}".rstrip())
    lines.append("# Write one row per line below the header. Lines starting with # are notes: they are skipped, so keep or delete them.")
    if set(contract.missing_values) - {""}:
        lines.append(f"# An optional value may be left empty (or written as {' or '.join(v for v in contract.missing_values if v)}).")
    else:
        lines.append("# An optional value may be left empty.")
    lines.append("# Columns:")
    parents = {name: key for key in contract.foreign_keys for name in key.fields}
    for field in contract.fields:
        lines.append(f"#   {field.name}: {_column_words(contract, field, parents)}")
    if contract.primary_key:
        lines.append(f"# No two rows may have the same {', '.join(contract.primary_key)} (the table's key).")
    for rule in contract.row_rules:
        lines.append(f"# Every row: {_sentence(rule.description) or rule.name} ({rule.expression})")
    lines.append(EXAMPLE_MARK)
    lines.append("# " + _csv_line([examples[contract.name][name] for name in contract.field_names]))
    return "\n".join(lines) + "\n"


def example_rows(contracts: dict[str, Contract]) -> dict[str, dict[str, str]]:
    """One value for each field of every contract, together a row per contract that passes validation."""
    examples = {name: {field.name: example_value(contract, field) for field in contract.fields} for name, contract in contracts.items()}
    for _ in contracts:  # a key's parent may itself refer on: as many passes as contracts settle any chain
        changed = False
        for name, contract in sorted(contracts.items()):
            for key in contract.foreign_keys:
                parent = examples.get(key.reference.resource or name)
                for child, referred in zip(key.fields, key.reference.fields):
                    if parent is not None and examples[name][child] != parent[referred]:
                        examples[name][child], changed = parent[referred], True
        if not changed:
            break
    return examples


def example_value(contract: Contract, field: Field) -> str:
    """A value the field's checks accept, as text: its first code, the middle of its range, a short id or words."""
    constraints = field.constraints
    if constraints.enum:
        return _text(constraints.enum[0])
    if field.type in ("integer", "number"):
        return _text(_inside(PLAIN_NUMBER, constraints.minimum, constraints.maximum, whole=field.type == "integer"))
    if field.type == "date":
        return _text(_inside(PLAIN_DATE, constraints.minimum, constraints.maximum, whole=True))
    if field.type == "boolean":
        return "true"
    plain = f"{field.name[0].upper()}1" if field.name.endswith("_id") else f"Example {(field.title or field.name.replace('_', ' ')).lower()}"
    if constraints.pattern is None:
        return plain
    if not contract.is_required(field):
        return ""  # an optional value in a set format is left empty: an example there would read as required
    if re.fullmatch(constraints.pattern, plain):
        return plain
    made = example_text(constraints.pattern)
    if made is None:
        raise TemplateError(f"{contract.name}.{field.name}: cannot make an example matching the pattern {constraints.pattern}")
    return made


def example_text(pattern: str) -> str | None:
    """The shortest text the pattern's first alternatives spell out, or None when that text does not match it."""
    try:
        text = _spelled(regex_parser.parse(pattern))
    except (re.error, TypeError):
        return None
    return text if text is not None and re.fullmatch(pattern, text) else None


def _spelled(items) -> str | None:
    parts = []
    for op, argument in items:
        kind = str(op)
        if kind == "LITERAL":
            parts.append(chr(argument))
        elif kind == "IN":
            parts.append(_one_of(argument))
        elif kind in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, repeated = argument
            parts.append((_spelled(repeated) or "") * low if low else "")
        elif kind in ("SUBPATTERN", "ATOMIC_GROUP"):
            parts.append(_spelled(argument[-1]))
        elif kind == "BRANCH":
            parts.append(_spelled(argument[1][0]))
        elif kind == "CATEGORY":
            parts.append(_category(argument))
        elif kind == "ANY":
            parts.append("a")
        elif kind != "AT":
            return None
        if parts[-1:] == [None]:
            return None
    return "".join(parts)


def _one_of(members) -> str | None:
    """A character of a set such as [A-Z0-9_]: its first member."""
    op, argument = members[0]
    kind = str(op)
    if kind == "LITERAL":
        return chr(argument)
    if kind == "RANGE":
        return chr(argument[0])
    if kind == "CATEGORY":
        return _category(argument)
    return None


def _category(category) -> str | None:
    return {"CATEGORY_DIGIT": "1", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}.get(str(category))


def _inside(plain, low, high, *, whole: bool):
    """The middle of a range with both bounds, else the plain value moved inside the one bound there is."""
    if low is not None and high is not None:
        if isinstance(low, dt.date):
            return low
        middle = (low + high) / 2
        return int(middle) if whole else middle
    if low is not None and plain < low:
        return low
    if high is not None and plain > high:
        return high
    return plain


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column_words(contract: Contract, field: Field, parents: dict) -> str:
    """What a column holds, then its rules: required or optional, type, code set, pattern, range, key."""
    about = " ".join(part for part in (_sentence(field.title), _sentence(field.description)) if part)
    rules = ["required" if contract.is_required(field) else "optional", TYPE_WORDS[field.type]]
    constraints = field.constraints
    if constraints.enum:
        codes = f"one of {', '.join(_text(code) for code in constraints.enum)}"
        if field.code_set is not None:
            codes += f" (code set {field.code_set.name}, version {field.code_set.version})"
        rules.append(codes)
    if constraints.pattern is not None:
        rules.append(f"matching the pattern {constraints.pattern}")
    low, high = constraints.minimum, constraints.maximum
    if low is not None and high is not None:
        rules.append(f"from {_text(low)} to {_text(high)}")
    elif low is not None:
        rules.append(f"at least {_text(low)}")
    elif high is not None:
        rules.append(f"at most {_text(high)}")
    if constraints.unique:
        rules.append("no two rows alike")
    if field.name in parents:
        key = parents[field.name]
        referred = key.reference.fields[key.fields.index(field.name)]
        rules.append(f"must be a {referred} of {key.reference.resource or contract.name}.csv")
    return f"{about} ({'; '.join(rules)})" if about else f"({'; '.join(rules)})"


def _sentence(text: str | None) -> str:
    """Contract text on one line, ending with a full stop."""
    if not text:
        return ""
    text = " ".join(text.split())
    return text if text.endswith((".", "?", "!", ")")) else text + "."


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()
