"""Where a warm notebook's time goes: around its cells, the cells themselves, and within the cells the charts.

    python benchmarks/notebook_time.py [--params params/synthetic.yml] [--districts 3] [--repeats 3]

Runs the pages of the first few districts (and the overview and topics) one after the other with the warm
executor, as one build worker does, and splits each notebook's wall time into:
- around the cells: papermill, forking, the shell the cells run in, their messages kept and applied to the notebook
  (the wall time less the time of the same code run in a fork of this process with no shell around it);
- the cells (that same code), split by sampling it every millisecond of CPU into charts (any frame inside
  matplotlib or seaborn: laying out, drawing and writing the SVG) and the rest (reading the release, the analyses,
  tables, disclosure control, HTML);
- writing the executed notebook (cleaning it and `nbformat.writes`).
Each notebook also runs once with plain papermill (a new Python per notebook) for comparison. Medians of the
repeats, per notebook kind, in seconds per notebook.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib
import io
import json
import statistics
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHART_LIBRARIES = ("matplotlib", "seaborn")


class Sampler:
    """Samples this process's stack on a CPU-time timer (every millisecond of CPU) and counts the samples with a
    chart library frame in them. A signal, not a thread: a sampling thread gets the GIL back mostly while other
    code has released it (pandas, numpy), and so would undercount pure-Python drawing."""

    def __init__(self, interval: float = 0.001):
        self.interval, self.samples, self.charts = interval, 0, 0

    def _sample(self, signum, frame) -> None:
        in_charts = False
        while frame is not None:
            name = frame.f_code.co_filename
            if any(f"{library}/" in name or f"{library}\\" in name for library in CHART_LIBRARIES):
                in_charts = True
                break
            frame = frame.f_back
        self.samples += 1
        self.charts += in_charts

    def __enter__(self):
        self.previous = signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        return self

    def __exit__(self, *exc) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, self.previous)


def run_in_process(notebook: Path, parameters: dict) -> tuple[float, float]:
    """The notebook's code run as a warm run runs it, in a fork of this process (which has preloaded the release as
    the fork server does), with no shell around it: its wall time and the share of it in the chart libraries."""
    import os

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.chdir(notebook.parent)  # the notebook's relative params path, as its run sees it
        namespace = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()), Sampler() as sampler:
            started = time.perf_counter()
            from districtstat.execution.forkserver import code_cells

            for source in code_cells(str(notebook), parameters):
                exec(compile(source, str(notebook), "exec"), namespace)
            elapsed = time.perf_counter() - started
        os.write(write_end, json.dumps([elapsed, sampler.charts / max(sampler.samples, 1)]).encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as answer:
        elapsed, share = json.loads(answer.read())
    return elapsed, share


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(ROOT / "params" / "synthetic.yml"))
    parser.add_argument("--districts", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import nbformat
    import papermill

    from districtstat import pipeline
    from districtstat.build import reported_districts
    from districtstat.config import load_project
    from districtstat.execution import runner, warm

    project = load_project(args.params)
    pipeline.prepare(project)
    tasks = runner.plan(project, reported_districts(project)[: args.districts])
    figures: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    rehearsed = runner.worth_rehearsing(runner.plan(project, reported_districts(project)))
    warm.ensure_preloaded(project, rehearsed)  # the tables read and the notebooks rehearsed, as a build does
    warm.fork_server().wait_rehearsed()
    from districtstat.execution import forkserver

    for module in forkserver.PRELOAD:  # this process stands in for the fork server in the split of the cells' time
        importlib.import_module(module)
    forkserver.warm_up_charts()
    forkserver.preload(project.params_file, project.release, warm.rehearsals(project, rehearsed)).run()
    for _ in range(args.repeats):
        for task in tasks:
            source = project.notebooks_dir / f"{task.notebook}.ipynb"
            parameters = runner.parameters_for(project, task)
            started = time.perf_counter()
            executed = papermill.execute_notebook(str(source), None, parameters=parameters, engine_name="districtstat-warm", **runner.kernel_options(project.notebooks_dir, "warm"))
            wall = time.perf_counter() - started
            started = time.perf_counter()
            nbformat.writes(runner.clean(executed))
            written = time.perf_counter() - started
            cells, chart_share = run_in_process(source, parameters)
            kind = figures[task.notebook]
            kind["wall"].append(wall + written)
            kind["around"].append(wall - cells)
            kind["cells"].append(cells)
            kind["charts"].append(cells * chart_share)
            kind["rest"].append(cells * (1 - chart_share))
            kind["write"].append(written)
    warm.stop_fork_server()

    plain = collections.defaultdict(list)
    for task in tasks:  # once: a plain kernel's start is seconds, the same every time
        started = time.perf_counter()
        papermill.execute_notebook(str(project.notebooks_dir / f"{task.notebook}.ipynb"), None, parameters=runner.parameters_for(project, task), **runner.kernel_options(project.notebooks_dir))
        plain[task.notebook].append(time.perf_counter() - started)

    columns = ("plain", "wall", "around", "cells", "charts", "rest", "write")
    print(f"{len(tasks)} notebooks, warm × {args.repeats} repeats and plain × 1, one worker; seconds per notebook (medians)\n")
    print(f"{'notebook':14s}" + "".join(f"{c:>9s}" for c in columns) + f"{'charts %':>10s}")
    totals = collections.Counter()
    count = 0
    for name, kind in sorted(figures.items()):
        kind["plain"] = plain[name]
        medians = {c: statistics.median(kind[c]) for c in columns}
        per_kind = len(plain[name])
        for c in columns:
            totals[c] += medians[c] * per_kind
        count += per_kind
        print(f"{name:14s}" + "".join(f"{medians[c]:9.3f}" for c in columns) + f"{100 * medians['charts'] / medians['wall']:9.0f}%")
    print(f"{'mean':14s}" + "".join(f"{totals[c] / count:9.3f}" for c in columns) + f"{100 * totals['charts'] / totals['wall']:9.0f}%")
    print(f"\nwarm against plain: {totals['plain'] / totals['wall']:.1f}x; with nothing around the cells, no writing and no charts at all, warm would be {totals['plain'] / totals['rest']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
