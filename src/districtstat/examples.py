"""Example datasets that `districtstat example NAME` writes in the contract format."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from . import synthetic

EXAMPLES = {"synthetic": "A seeded consortium of 14 districts with planted truths, three school years."}


def write_example(name: str, out_dir: Path, *, students: int | None = None, seed: int | None = None) -> Path:
    if name not in EXAMPLES:
        raise KeyError(f"no example dataset {name!r}; choose one of: {', '.join(sorted(EXAMPLES))}")
    spec = synthetic.ConsortiumSpec()
    overrides = {key: value for key, value in {"students": students, "seed": seed}.items() if value is not None}
    if overrides:
        spec = dataclasses.replace(spec, **overrides)
    return synthetic.write_consortium(out_dir, spec)
