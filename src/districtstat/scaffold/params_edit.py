"""Adding a name to a list setting of a params file (`district_notebooks: [...]`) without touching anything else.

Why by text: params files are written by people and explain themselves in comments, and PyYAML (the project's YAML
library; ruamel.yaml is not a dependency) would drop every comment on a round trip. So the list is found through
PyYAML's node positions and the name is inserted at that place in the text, in the list's own style; the result is
parsed again and must hold the same settings with the name added, or nothing is written.
"""

from __future__ import annotations

import yaml

from districtstat.config import parse_settings
from districtstat.scaffold.files import ScaffoldError


def with_list_item(text: str, key: str, item: str, source: str) -> tuple[str, bool]:
    """The params text with `item` appended to the top-level list `key`, and whether it was added (False: already there).

    A key the file does not set is added at its end with its default list and the item, so the file keeps meaning
    what it meant."""
    before = parse_settings(text, source)
    current = list(getattr(before, key))
    if item in current:
        return text, False
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise ScaffoldError(f"{source}: cannot add {item} to {key}: the file is not a plain mapping of settings; add it by hand")
    value = next((node for name, node in root.value if name.value == key), None)
    try:
        if value is None:
            edited = _appended_key(text, key, current, item)
        elif isinstance(value, yaml.SequenceNode) and value.flow_style:
            edited = _into_flow(text, value, item)
        elif isinstance(value, yaml.SequenceNode) and value.value:
            edited = _into_block(text, value, item)
        else:
            raise ValueError(f"write it as a list, such as {key}: [{', '.join([*current, item])}]")
    except ValueError as error:
        raise ScaffoldError(f"{source}: cannot add {item} to {key}: {error}; add it by hand") from None
    after = parse_settings(edited, source)
    if list(getattr(after, key)) != [*current, item] or after.model_copy(update={key: current}) != before:
        raise ScaffoldError(f"{source}: cannot add {item} to {key} without changing other settings; add it by hand")
    return edited, True


def _into_flow(text: str, node: yaml.SequenceNode, item: str) -> str:
    """`[a, b]` becomes `[a, b, item]`; `[]` becomes `[item]`; comments after the list stay where they are."""
    close = node.end_mark.index - 1
    if text[close] != "]":
        raise ValueError("the list does not end with ]")
    inside = text[node.start_mark.index + 1 : close]
    joined = f", {item}" if inside.strip() else item
    stripped = len(inside) - len(inside.rstrip())  # keep "[a, b ]" as "[a, b, item ]"
    return text[: close - stripped] + joined + text[close - stripped :]


def _into_block(text: str, node: yaml.SequenceNode, item: str) -> str:
    """A new `- item` line after the last item's line, indented as that line is."""
    last = node.value[-1]
    if last.start_mark.line != last.end_mark.line:
        raise ValueError("the list's last item runs over several lines")
    lines = text.splitlines(keepends=True)
    line = lines[last.start_mark.line]
    prefix = line[: last.start_mark.column]
    if prefix.strip() != "-":
        raise ValueError("the list's last item is not on a line of its own")
    lines[last.start_mark.line] = line if line.endswith("\n") else line + "\n"
    lines.insert(last.start_mark.line + 1, f"{prefix}{item}\n")
    return "".join(lines)


def _appended_key(text: str, key: str, default: list, item: str) -> str:
    """`key: [default..., item]` as a new last line, saying where the list came from."""
    listed = yaml.safe_dump([*default, item], default_flow_style=True, width=10_000).strip()
    separator = "" if not text or text.endswith("\n") else "\n"
    origin = f"{item} added by `districtstat new notebook`" + (" to the default pages" if default else "")
    return f"{text}{separator}{key}: {listed}  # {origin}\n"
