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
import json, resource, sys, time
from pathlib import Path
from districtstat.data.aggregate import aggregate
from districtstat.data.contracts import load_contracts, validate_dataset
data, contracts = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
report = validate_dataset(data, load_contracts(contracts), display_root=data)
validated = time.perf_counter()
assert report.ok, "\n".join(report.lines())
tables = aggregate(report.tables, intersections=[["EL", "ECODIS"]])
done = time.perf_counter()
rows = sum(info["rows"] for info in report.files.values())
print(json.dumps({"rows": rows, "validate_s": validated - started, "aggregate_s": done - validated,
                  "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                  "districts": int(tables["districts"].shape[0])}))
"""


def measure(data: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", MEASURE, str(data), str(ROOT / "data_contracts")], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--keep", help="write the dataset here and keep it (default: a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="districtstat-scale-") as folder:
        data = Path(args.keep) if args.keep else Path(folder) / "synthetic"
        if not (data / "students.csv").is_file():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "districtstat.cli", "example", "synthetic", "--students", str(args.students), "--out", str(data)], check=True)
            print(f"wrote {args.students:,} students in {time.perf_counter() - started:.1f} s (not part of the target)")
        size = sum(p.stat().st_size for p in data.iterdir()) / 2**30
        big = measure(data)
        small_dir = ROOT / "data" / "synthetic"
        small = measure(small_dir) if (small_dir / "students.csv").is_file() else None

    print()
    print(f"{'dataset':28s} {'rows':>11s} {'validate':>9s} {'aggregate':>10s} {'total':>7s} {'peak RSS':>9s}")
    for name, figures in ((f"{args.students:,} students ({size:.1f} GiB)", big), ("README example", small)):
        if figures:
            total = figures["validate_s"] + figures["aggregate_s"]
            print(f"{name:28s} {figures['rows']:>11,} {figures['validate_s']:8.1f}s {figures['aggregate_s']:9.1f}s {total:6.1f}s {figures['peak_rss_gib']:7.2f} GiB")
    total = big["validate_s"] + big["aggregate_s"]
    print(f"\ntarget: under 60 s and under 4 GiB -> {total:.1f} s, {big['peak_rss_gib']:.2f} GiB: {'met' if total < 60 and big['peak_rss_gib'] < 4 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
