"""How a build's costs grow with the number of districts: thousands of small synthetic districts, measured.

    python benchmarks/scale.py [--districts 100 400 1600 3200] [--scale 0.02] [--sample 2] [--repeats 3]
                               [--dask-districts 4] [--dask-repeats 2] [--no-dask] [--pieces 1000 2000 ...]

For each count it writes a synthetic consortium of that many small districts (`--scale` multiplies every
district's enrollment) into a copy of the project in a temporary folder, then:
- times the data stage: validation, aggregation and the consortium models (`pipeline.prepare`, each part timed);
- runs the consortium's own notebooks (overview, topics, actions: one each, whatever the count) and every
  notebook of a `--sample` of districts, warm, on 2 threads, one after another on one worker for a per-task cost;
- copies the sample's executed notebooks to every other district (its id put in, its task key recorded), so the
  rest of a real build sees a notebook for every page without running thousands of them;
- runs `build` itself, which now runs no notebook, and times its stages: triage (task keys), writing the site
  project, render, the privacy audit, publish; then renders and audits again `--repeats` times for medians.
Then it times alone, up to 13,000 districts, the pieces of the fixed stages that grew with the square of the number
of districts (`--pieces`), and it runs the notebooks of `--dask-districts` districts on a local Dask cluster of 1 and of 2 worker
processes (one thread each, `--scheduler` to its address, as a remote cluster is used), alternating.

It prints each stage's time per count, the ratio per doubling of districts (2 ** exponent: 2.0 is linear,
4.0 quadratic) and the exponent fitted over all counts, then the per-notebook cost and the Dask figures.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2


class Stopwatch:
    """Seconds spent in named functions of districtstat's modules: a build times its stages without knowing it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.originals: list[tuple[object, str, object]] = []

    def wrap(self, module, name: str, label: str) -> None:
        function = getattr(module, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started

        self.originals.append((module, name, function))
        setattr(module, name, timed)

    def restore(self) -> None:
        for module, name, function in reversed(self.originals):
            setattr(module, name, function)
        self.originals.clear()

    def __call__(self, label: str):
        watch = self

        class Span:
            def __enter__(self):
                self.started = time.perf_counter()

            def __exit__(self, *exc):
                watch.seconds[label] += time.perf_counter() - self.started

        return Span()


def project_copy(target: Path, n_districts: int, scale: float) -> Path:
    """The synthetic example's project with `n_districts` small districts as its data."""
    from districtstat.data.examples import write_example

    shutil.copy(ROOT / "_quarto.yml", target / "_quarto.yml")
    for folder in ("notebooks", "data_contracts"):
        shutil.copytree(ROOT / folder, target / folder)
    (target / "params").mkdir()
    params = target / "params" / "synthetic.yml"
    shutil.copy(ROOT / "params" / "synthetic.yml", params)
    write_example("synthetic", target / "data" / "synthetic", n_districts=n_districts, scale=scale)
    return params


def clone_notebooks(project, tasks, source: str, tables_hash: str) -> int:
    """Every district's notebooks as copies of `source`'s, its id put in and its task key recorded."""
    from districtstat.execution import runner
    from districtstat.execution.runner import Task

    texts = {}
    cloned = 0
    pattern = re.compile(rf"\b{re.escape(source)}\b")
    for task in tasks:
        if task.district_id is None or (project.executed_dir / task.output_name).is_file():
            continue
        if task.notebook not in texts:
            texts[task.notebook] = (project.executed_dir / Task(task.notebook, source).output_name).read_text(encoding="utf-8")
        notebook = json.loads(pattern.sub(task.district_id, texts[task.notebook]))
        notebook["metadata"][runner.METADATA_KEY]["task_key"] = runner.task_key(project, task, tables_hash)
        output = project.executed_dir / task.output_name
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        cloned += 1
    return cloned


def run_tasks(project, manifest, tasks, workers: int = WORKERS, scheduler: str | None = None) -> float:
    from districtstat.execution import dispatch, runner

    spec = runner.run_spec(project, manifest["tables_hash"], manifest["data_hash"], "warm")
    index = runner.KeyIndex(project.executed_dir)
    jobs, settled = runner.triage(project, tasks, manifest["tables_hash"], index, force=True)
    started = time.perf_counter()
    results = dispatch.run_jobs(spec, jobs, settled, workers=workers, scheduler=scheduler, quiet=True)
    elapsed = time.perf_counter() - started
    failed = [result for result in results if result.status == "failed"]
    if failed:
        sys.exit(f"{len(failed)} notebook(s) failed, e.g. {failed[0].task.label}: {failed[0].error[-2000:]}")
    keys = {job.task: job.key for job in jobs}
    for result in results:
        index.note(result.task, keys[result.task])
    index.save()
    return elapsed


def reference_work() -> float:
    """Seconds for a fixed piece of work (hashing, sorting, a small matrix product): on a shared machine, its change
    from one count to the next is the machine's, not the build's, so the stages' ratios can be read against it."""
    import hashlib

    import numpy as np

    started = time.perf_counter()
    data = bytes(range(256)) * 40_000
    for _ in range(20):
        hashlib.sha256(data).hexdigest()
    sorted(str(number) for number in range(300_000))
    matrix = np.arange(250_000, dtype=float).reshape(500, 500) / 1e5
    for _ in range(10):
        matrix @ matrix
    return time.perf_counter() - started


def measure(n_districts: int, args, folder: Path) -> dict[str, float]:
    """One consortium of `n_districts`: every stage's seconds, and a few counts."""
    from districtstat import build, pipeline
    from districtstat.config import load_project
    from districtstat.execution import runner, warm
    from districtstat.privacy import audit
    from districtstat.site import project as site, render

    watch = Stopwatch()
    before = reference_work()
    with watch("generate data"):
        params = project_copy(folder, n_districts, args.scale)
    project = load_project(params)
    for name, label in (("validate", "validate"), ("quality_record", "validate"), ("aggregate", "aggregate"), ("fit_models", "consortium models"), ("write_tables", "write tables")):
        watch.wrap(pipeline, name, label)
    try:
        with watch("data stage (prepare)"):
            manifest = pipeline.prepare(project)
    finally:
        watch.restore()

    districts = build.reported_districts(project)
    tasks = runner.plan(project, districts)
    consortium = [task for task in tasks if task.district_id is None]
    sample_ids = [districts[len(districts) // 2], districts[-1]][: args.sample] if args.sample <= 2 else districts[-args.sample:]
    sample = [task for task in tasks if task.district_id in sample_ids]
    watch.seconds["consortium notebooks (2 threads)"] = run_tasks(project, manifest, consortium)
    serial = run_tasks(project, manifest, sample, workers=1)
    watch.seconds["s per district notebook (1 thread)"] = serial / len(sample)
    warm.stop_fork_server()
    with watch("clone notebooks (benchmark only)"):
        clone_notebooks(project, tasks, sample_ids[0], manifest["tables_hash"])

    watch.wrap(build.runner, "triage", "triage (task keys)")
    watch.wrap(build.site, "write_project", "write site project")
    watch.wrap(build.render, "render", "render")
    watch.wrap(build.audit, "audit_release", "privacy audit")
    checked = build.audit.audit_release
    findings = []

    def audit_of_clones(*args, **kwargs):
        """The copied pages show the sample district's counts beside every district's own data, which the audit
        rightly calls a disclosure; it does all its work before saying so, so the time is a real audit's."""
        try:
            checked(*args, **kwargs)
        except audit.DisclosureAuditError as error:
            findings.append(str(error).splitlines()[0])

    build.audit.audit_release = audit_of_clones
    watch.wrap(build.site, "publish", "publish")
    try:
        with watch("build, no notebook to run"):
            outcome = build.build(project, workers=WORKERS, quiet=True)
    finally:
        watch.restore()
    if outcome.count("ran"):
        sys.exit(f"the build ran {outcome.count('ran')} notebooks: the clones were not taken as up to date")

    generated = project.project_dir
    renders, audits = [], []
    published = site.published_tables(project)
    import pandas as pd

    outcomes = pd.read_parquet(project.tables_dir / "subgroup_outcomes.parquet", columns=["school_year", "district_id", "subject", "grade", "subgroup", "n"])
    for _ in range(args.repeats):
        started = time.perf_counter()
        rendered = render.render(generated, render.choose_renderer("auto"))
        renders.append(time.perf_counter() - started)
        started = time.perf_counter()
        try:
            audit.audit_release(rendered.output, project.data_dir, published, outcomes=outcomes, min_n=project.settings.min_n, margin=project.settings.margin)
        except audit.DisclosureAuditError:
            pass  # the copies' counts, as above
        audits.append(time.perf_counter() - started)
        shutil.rmtree(rendered.output, ignore_errors=True)
    watch.seconds["render, full (median)"] = statistics.median(renders)
    watch.seconds["privacy audit (median)"] = statistics.median(audits)
    watch.seconds["pages"] = float(sum(1 for _ in project.release_site_dir.rglob("*.html")))
    watch.seconds["files published"] = float(sum(1 for path in project.release_site_dir.rglob("*") if path.is_file()))
    watch.seconds["notebooks"] = float(len(tasks))
    watch.seconds["reference work, fixed (median of before and after)"] = statistics.median([before, reference_work(), reference_work()])
    return dict(watch.seconds)


def dask_processes(args, folder: Path) -> dict[int, list[float]]:
    """The notebooks of a few districts on a local Dask cluster of 1 and of 2 worker processes, alternating."""
    from distributed import LocalCluster

    from districtstat import build, pipeline
    from districtstat.config import load_project
    from districtstat.execution import runner

    params = project_copy(folder, max(args.districts[0] if args.districts else 100, 14), args.scale)
    project = load_project(params)
    manifest = pipeline.prepare(project)
    districts = build.reported_districts(project)
    tasks = [task for task in runner.plan(project, districts[-args.dask_districts:]) if task.district_id is not None]
    timings: dict[int, list[float]] = {1: [], 2: []}
    print(f"\nDask, {len(tasks)} notebooks of {args.dask_districts} districts, worker processes with one thread each (cluster start excluded, each worker's fork server start included):")
    for repeat in range(args.dask_repeats):
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                elapsed = run_tasks(project, manifest, tasks, scheduler=cluster.scheduler_address)
            timings[workers].append(elapsed)
            print(f"  repeat {repeat + 1}, {workers} worker(s): {elapsed:6.1f} s  ({len(tasks) / elapsed:.2f} notebooks/s)")
    one, two = statistics.median(timings[1]), statistics.median(timings[2])
    print(f"  medians: 1 worker {one:.1f} s, 2 workers {two:.1f} s: {one / two:.2f}x the throughput (2.0 would be perfect)")
    return timings


def pieces(counts: list[int]) -> dict[int, dict[str, float]]:
    """The parts of the fixed stages that once grew with the square of the districts, alone, up to the plan's 13,000
    districts, which a whole build on this machine cannot reach: the peers (`find_peers`) and every brief finding
    its district's row of the overview (`at_a_glance`). Medians of 3."""
    import numpy as np
    import pandas as pd

    from districtstat import views
    from districtstat.analyses.peers import find_peers
    from districtstat.site.brief.content import at_a_glance
    from districtstat.site.brief.reading import Page

    rng = np.random.default_rng(20241)
    students = views.CONSORTIUM_LABELS["enrollment"]
    results: dict[int, dict[str, float]] = {}
    for n in counts:
        ids = [f"D{number:02d}" for number in range(1, n + 1)]
        table = pd.DataFrame({"district_id": ids, "enrollment": rng.lognormal(7, 1, n), "pct_ecodis": rng.uniform(0, 1, n), "pct_el": rng.uniform(0, 0.3, n), "pct_swd": rng.uniform(0.1, 0.2, n), "locale": rng.choice(["city", "suburb", "town", "rural"], n)})
        markup = f"<table><tr><th scope=\"col\">District</th><th scope=\"col\">{students}</th></tr>" + "".join(f"<tr><td>{d}</td><td>{100 + i}</td></tr>" for i, d in enumerate(ids)) + "</table>"
        about = {"counts": {students: [f"enrollment/{d}/2024" for d in ids]}}
        timings: dict[str, list[float]] = defaultdict(list)
        for _ in range(3):
            started = time.perf_counter()
            find_peers(table, numeric=["log(enrollment)", "pct_ecodis", "pct_el", "pct_swd"], indicators=["locale"], k=5, weights={"log(enrollment)": 5})
            timings["peers (find_peers)"].append(time.perf_counter() - started)
            overview = Page([], [(about, markup)])
            started = time.perf_counter()
            for district in ids:
                at_a_glance(overview, district)
            timings["every brief's row of the overview"].append(time.perf_counter() - started)
        results[n] = {label: statistics.median(values) for label, values in timings.items()}
    return results


def print_table(results: dict[int, dict[str, float]], title: str) -> None:
    counts = sorted(results)
    labels = list(dict.fromkeys(label for n in counts for label in results[n]))
    width = max(len(title), *(len(label) for label in labels))
    print(f"\n{title:{width}s} " + " ".join(f"{n:>9d}" for n in counts) + "   per doubling       exponent")
    for label in labels:
        values = [results[n].get(label, 0.0) for n in counts]
        ratios, exponent = growth(counts, values)
        print(f"{label:{width}s} " + " ".join(f"{v:9.3f}" for v in values) + f"   {ratios:18s} {exponent}")


def growth(counts: list[int], values: list[float]) -> tuple[str, str]:
    """The ratio per doubling between each pair of counts, and the exponent fitted over all (time ~ n ** exponent)."""
    ratios = []
    for (n0, v0), (n1, v1) in zip(zip(counts, values), zip(counts[1:], values[1:])):
        ratios.append(f"{(v1 / v0) ** (math.log(2) / math.log(n1 / n0)):.2f}" if v0 > 0 and v1 > 0 else "-")
    points = [(math.log(n), math.log(v)) for n, v in zip(counts, values) if v > 0]
    if len(points) < 2:
        return " ".join(ratios), "-"
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    return " ".join(ratios), f"{slope:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, nargs="*", default=[100, 400, 1600, 3200])
    parser.add_argument("--scale", type=float, default=0.02, help="multiplies every district's enrollment (0.02: about 100 students)")
    parser.add_argument("--sample", type=int, default=2, help="districts whose notebooks run for real")
    parser.add_argument("--repeats", type=int, default=3, help="renders and audits for the medians")
    parser.add_argument("--dask-districts", type=int, default=4)
    parser.add_argument("--dask-repeats", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--pieces", type=int, nargs="*", default=[1000, 2000, 4000, 8000, 13000], help="district counts for the pieces measured alone")
    args = parser.parse_args()

    results: dict[int, dict[str, float]] = {}
    for n in args.districts:
        with tempfile.TemporaryDirectory(prefix="districtstat-scale-") as folder:
            started = time.perf_counter()
            results[n] = measure(n, args, Path(folder))
            print(f"{n} districts measured in {time.perf_counter() - started:.0f} s", flush=True)
            print(json.dumps({key: round(value, 3) for key, value in results[n].items()}), flush=True)

    if results:
        print_table(results, "stage (s)")
    if args.pieces:
        print_table(pieces(args.pieces), "piece (s), alone")
    if not args.no_dask:
        with tempfile.TemporaryDirectory(prefix="districtstat-scale-dask-") as folder:
            dask_processes(args, Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
