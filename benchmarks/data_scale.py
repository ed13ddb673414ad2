"""Data scale: a synthetic state of 1,000,000 students over 3 years, validated and aggregated.

    python benchmarks/data_scale.py [--students 1000000] [--keep FOLDER]

Writes the dataset with `districtstat example synthetic --students N` (timed, but not part of the
target), then, in a fresh process, validates every file against the data contracts and aggregates it into
the release tables, printing the wall time and the peak resident memory of that process. The target is
under 60 s and under 4 GiB. For comparison it also prints the same two steps on the README example.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MEASURE = r"""
import hashlib, json, resource, sys, tempfile, time
from pathlib import Path
from districtstat.data.aggregate import aggregate
from districtstat.data.contracts import load_contracts, validate_dataset
from districtstat.pipeline import write_tables
data, contracts, mode, out = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
with tempfile.TemporaryDirectory(dir=out) as spool:
    started = time.perf_counter()
    report = validate_dataset(data, load_contracts(contracts), display_root=data, spool_dir=Path(spool) if mode == "chunked" else None)
    validated = time.perf_counter()
    assert report.ok, "\n".join(report.lines())
    tables = aggregate(report.tables, intersections=[["EL", "ECODIS"]])
    done = time.perf_counter()
write_tables(tables, out / mode)
rows = sum(info["rows"] for info in report.files.values())
digests = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted((out / mode).glob("*.parquet"))}
print(json.dumps({"rows": rows, "validate_s": validated - started, "aggregate_s": done - validated,
                  "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                  "report": "\n".join(report.lines(cap=10**9)), "tables": digests}))
"""


def measure(data: Path, mode: str, out: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", MEASURE, str(data), str(ROOT / "data_contracts"), mode, str(out)], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--keep", help="write the dataset here and keep it (default: a temporary folder)")
    parser.add_argument("--skip-whole", action="store_true", help="measure only the chunked way (the whole way needs about 2.2 GiB per million students)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="districtstat-scale-") as folder:
        data = Path(args.keep) if args.keep else Path(folder) / "synthetic"
        if not (data / "students.csv").is_file():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "districtstat.cli", "example", "synthetic", "--students", str(args.students), "--out", str(data)], check=True)
            print(f"wrote {args.students:,} students in {time.perf_counter() - started:.1f} s (not part of the target)")
        size = sum(p.stat().st_size for p in data.iterdir() if p.is_file()) / 2**30
        small_dir = ROOT / "data" / "synthetic"
        rows = []
        for name, where in ((f"{args.students:,} students ({size:.1f} GiB)", data), ("README example", small_dir)):
            if not (where / "students.csv").is_file():
                continue
            modes = ("chunked",) if args.skip_whole and where == data else ("whole", "chunked")
            figures = {mode: measure(where, mode, Path(folder)) for mode in modes}
            if len(figures) == 2:
                same = figures["whole"]["report"] == figures["chunked"]["report"] and figures["whole"]["tables"] == figures["chunked"]["tables"]
                if not same:
                    sys.exit(f"{name}: the chunked way gave a different report or different tables")
            rows += [(name, mode, result) for mode, result in figures.items()]

    print()
    print(f"{'dataset':28s} {'way':8s} {'rows':>11s} {'validate':>9s} {'aggregate':>10s} {'total':>7s} {'peak RSS':>9s}")
    for name, mode, figures in rows:
        total = figures["validate_s"] + figures["aggregate_s"]
        print(f"{name:28s} {mode:8s} {figures['rows']:>11,} {figures['validate_s']:8.1f}s {figures['aggregate_s']:9.1f}s {total:6.1f}s {figures['peak_rss_gib']:7.2f} GiB")
    print("\nthe two ways gave the same validation report and the same tables, byte for byte, wherever both ran")
    big = next(figures for name, mode, figures in rows if mode == "chunked")
    print(f"target: under 4 GiB -> chunked {big['peak_rss_gib']:.2f} GiB: {'met' if big['peak_rss_gib'] < 4 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
