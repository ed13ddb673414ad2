"""Writing a consortium: `<entity>.csv` for every entity beside planted_truths.json, same spec, same bytes; and the
command line that writes one and times it."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from districtstat.data.synthetic.model import ENTITIES
from districtstat.data.synthetic.simulate import generate
from districtstat.data.synthetic.spec import ConsortiumSpec
from districtstat.data.synthetic.truths import planted_truths


FLOAT_FORMATS = {"assessments": "%.1f", "finance": "%.2f", "operations_kpis": "%.1f"}
TRUTHS_FILE = "planted_truths.json"


def _operations_text(operations: pd.DataFrame) -> pd.DataFrame:
    """Counts as whole numbers, every other value to one decimal, as the yearly values have always been written."""
    counts = operations["unit"].to_numpy() == "count"
    value = operations["value"].to_numpy(dtype=float)
    text = np.where(counts, np.char.mod("%.0f", value), np.char.mod(FLOAT_FORMATS["operations_kpis"], value))
    return operations.assign(value=text)


def write_consortium(out_dir: Path, spec: ConsortiumSpec = ConsortiumSpec()) -> Path:
    """Write `<entity>.csv` for every entity and planted_truths.json; same spec, same bytes."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = generate(spec)
    for entity in ENTITIES:
        frame = _operations_text(frames[entity]) if entity == "operations_kpis" else frames[entity]
        frame.to_csv(out_dir / f"{entity}.csv", index=False, lineterminator="\n", float_format=FLOAT_FORMATS.get(entity))
    truths = planted_truths(spec, frames)
    (out_dir / TRUTHS_FILE).write_text(json.dumps(truths, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out_dir


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m districtstat.synthetic OUT_DIR [--students N]`: write a consortium and time it."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=ConsortiumSpec.seed)
    parser.add_argument("--scale", type=float, default=ConsortiumSpec.scale)
    parser.add_argument("--students", type=int, default=None)
    parser.add_argument("--districts", type=int, default=ConsortiumSpec.n_districts)
    args = parser.parse_args(argv)
    spec = ConsortiumSpec(seed=args.seed, scale=args.scale, students=args.students, n_districts=args.districts)
    start = time.perf_counter()
    write_consortium(args.out_dir, spec)
    print(f"wrote {args.out_dir} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
