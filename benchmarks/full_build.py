"""A whole build from an empty cache, a rebuild with nothing changed, and a rebuild after one district's params change.

    python benchmarks/full_build.py [--params params/california.yml] [--workers 2] [--noop-repeats 3]

It works on a copy of the project in a temporary folder (the project's own build/ and site/ are not
touched) and times the `districtstat build` command itself, process start included. It prints:
- the full build (every notebook, rendered and published) from an empty cache;
- the median of several rebuilds with nothing changed;
- the rebuild after adding a goal for one district: its time and which notebooks ran.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_project(target: Path, params: Path) -> Path:
    from districtstat.config import load_project
    from districtstat.pipeline import ensure_data

    project = load_project(params)
    ensure_data(project)
    for name in ("_quarto.yml",):
        shutil.copy(ROOT / name, target / name)
    for folder in ("notebooks", "data_contracts", "params"):
        shutil.copytree(ROOT / folder, target / folder)
    shutil.copytree(project.data_dir, target / project.data_dir.relative_to(ROOT))
    return target / params.relative_to(ROOT)


def districtstat(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "districtstat.cli", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"districtstat {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return elapsed, result.stderr.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(ROOT / "params" / "california.yml"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noop-repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="districtstat-bench-") as folder:
        params = copy_project(Path(folder), Path(args.params).resolve())
        common = ["build", "--params", str(params), "--quiet", "--workers", str(args.workers)]

        full, line = districtstat(*common)
        print(f"full build from an empty cache: {full:7.1f} s   {line}")

        noop = [districtstat(*common)[0] for _ in range(args.noop_repeats)]
        print(f"rebuild, nothing changed:       {statistics.median(noop):7.2f} s   (median of {len(noop)}: {', '.join(f'{t:.2f}' for t in noop)})")

        from districtstat.config import load_project

        project = load_project(params)
        district = sorted(p.name for p in project.executed_dir.iterdir() if p.is_dir())[len(list(project.executed_dir.iterdir())) // 2]
        before = {p: p.stat().st_mtime_ns for p in project.executed_dir.rglob("*.ipynb")}
        text = params.read_text()
        goal = f"\n  \"{district}\":\n    goals:\n      mean_score_math: 700\n"
        params.write_text(re.sub(r"^districts:\s*\{\}\s*$", "districts:", text, flags=re.M) + goal if re.search(r"^districts:", text, re.M) else text + "\ndistricts:" + goal)
        changed, line = districtstat(*common)
        reran = sorted(p.relative_to(project.executed_dir).as_posix() for p in project.executed_dir.rglob("*.ipynb") if p.stat().st_mtime_ns != before.get(p))
        print(f"rebuild after {district}'s goals changed: {changed:5.1f} s   {line}")
        print(f"  notebooks that ran: {', '.join(reran)}")
        keys = json.loads((project.build_dir / "render-keys.json").read_text())
        print(f"  notebook pages in the render cache: {len(keys)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
