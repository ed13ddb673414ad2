"""Warm against plain notebook execution: the same tasks, the same workers, in one run.

    python benchmarks/executors.py [--params params/synthetic.yml] [--workers 2] [--repeats 3] [--districts 14]

Every repeat runs every task with `--executor plain` and with `--executor warm` (alternating, so drift in the
machine's load hits both), forced, on the same local Dask cluster settings the build uses. It prints the
median wall time of each, notebooks per second, and the ratio. The fork server's start (imports and
preloaded tables, paid once per build) is timed on its own and included in the warm figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(ROOT / "params" / "synthetic.yml"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--districts", type=int, default=14, help="how many districts' notebooks to run (the first N)")
    args = parser.parse_args()

    from districtstat.execution import dispatch, runner, warm
    from districtstat import pipeline
    from districtstat.build import reported_districts
    from districtstat.config import load_project

    project = load_project(args.params)
    manifest = pipeline.prepare(project)
    districts = reported_districts(project)[: args.districts]
    tasks = runner.plan(project, districts)
    print(f"{project.relative(project.params_file)}: {len(tasks)} notebooks ({len(districts)} districts), {args.workers} workers, {args.repeats} repeats")

    timings: dict[str, list[float]] = {"plain": [], "warm": []}
    for repeat in range(args.repeats):
        for executor in ("plain", "warm"):
            warm.stop_fork_server()  # each warm run pays for its own fork server, as a build does
            spec = runner.run_spec(project, manifest["tables_hash"], manifest["data_hash"], executor)
            jobs, settled = runner.triage(project, tasks, manifest["tables_hash"], runner.KeyIndex(project.executed_dir), force=True)
            started = time.perf_counter()
            results = dispatch.run_jobs(spec, jobs, settled, workers=args.workers, quiet=True)
            elapsed = time.perf_counter() - started
            failed = [r for r in results if r.status == "failed"]
            if failed:
                print(f"{executor}: {len(failed)} failed, e.g. {failed[0].task.label}: {failed[0].error}", file=sys.stderr)
                return 1
            timings[executor].append(elapsed)
            print(f"  repeat {repeat + 1} {executor:5s} {elapsed:7.1f} s  ({len(tasks) / elapsed:5.2f} notebooks/s)")

    plain, hot = statistics.median(timings["plain"]), statistics.median(timings["warm"])
    print()
    print(f"{'executor':10s} {'median wall':>12s} {'notebooks/s':>12s} {'s/notebook':>11s}")
    for name, median in (("plain", plain), ("warm", hot)):
        print(f"{name:10s} {median:10.1f} s {len(tasks) / median:12.2f} {median / len(tasks):11.3f}")
    print(f"warm throughput / plain throughput: {plain / hot:.1f}x  (same {args.workers} workers, medians of {args.repeats})")
    warm.stop_fork_server()
    return 0


if __name__ == "__main__":
    sys.exit(main())
