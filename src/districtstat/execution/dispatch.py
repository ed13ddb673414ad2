"""Where notebook tasks run: threads of a local Dask cluster by default, or any Dask cluster by address.

The local cluster runs its workers as threads of this process: each task's work happens in its own forked
process anyway, and threads share one fork server (see `warm`) and this machine's folders, so a task is
`runner.run_job` reading and writing the project's files. With `--scheduler ADDRESS` the workers need
districtstat installed but not the project: each task carries its inputs and hands back its notebook
(`carried.run_carried`), and each worker starts its own fork server.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from dataclasses import replace

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from districtstat.config import load_project
from districtstat.execution import carried
from districtstat.execution.runner import Job, RunSpec, TaskResult, run_job, worth_rehearsing


def progress_bar(quiet: bool) -> Progress:
    columns = [
        TextColumn("notebooks"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[summary]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    ]
    return Progress(*columns, disable=quiet, transient=False)


def summary(results: list[TaskResult]) -> str:
    counts = Counter(result.status for result in results)
    return " · ".join(f"{counts[status]} {status}" for status in ("ran", "skipped", "failed"))


def run_jobs(
    spec: RunSpec,
    jobs: list[Job],
    settled: list[TaskResult],
    workers: int | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
) -> list[TaskResult]:
    """Run the jobs on Dask, with a progress bar counting them with the tasks already settled (skipped or failed)."""
    results = list(settled)
    if spec.executor == "warm":
        if jobs and scheduler is None:
            from districtstat.execution.warm import start_fork_server

            start_fork_server()
        if not spec.rehearsed:
            spec = replace(spec, rehearsed=worth_rehearsing([job.task for job in jobs]))
    with progress_bar(quiet) as progress:
        bar = progress.add_task("run", total=len(jobs) + len(settled), completed=len(settled), summary=summary(results))
        if jobs:
            for result in _on_dask(spec, jobs, workers, scheduler):
                results.append(result)
                progress.update(bar, advance=1, summary=summary(results))
    return results


# The local cluster is one worker of threads in the build's own process, with no dashboard. Dask's defaults wake it
# 150 times a second for what serves a dashboard or a cluster of many machines: a statistical profile sampling every
# worker thread's stack every 10 ms, an event-loop health check every 20 ms in the scheduler and in the worker, the
# process's memory read every 100 ms and its system counters every 500 ms, work stealing between workers every
# second. Quieter, the build's own share of the cores falls from about 19 to 16 ms a notebook on the example.
QUIET_LOCAL_CLUSTER = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.scheduler.work-stealing": False,  # one worker: nothing to steal
}


def _on_dask(spec: RunSpec, jobs: list[Job], workers: int | None, scheduler: str | None):
    import dask
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        threads = workers or os.cpu_count() or 1
        with dask.config.set(QUIET_LOCAL_CLUSTER):
            cluster = LocalCluster(n_workers=1, threads_per_worker=threads, processes=False, dashboard_address=None)
    client = Client(cluster if cluster is not None else scheduler, set_as_default=False)
    futures = {}
    try:
        if cluster is not None:
            task, sent, keep = run_job, (), None
        else:
            project = load_project(spec.params_file, spec.release)
            inputs = carried.inputs_for(project, jobs)
            sent = (client.scatter({inputs.key: inputs}, broadcast=True)[inputs.key],)  # once to every worker
            task, keep = carried.run_carried, functools.partial(carried.keep, project)
        for job in jobs:
            future = client.submit(task, spec, job, *sent, key=f"notebook-{job.task.label}-{job.key[:16]}", pure=False, retries=0)
            futures[future] = job
        for future in as_completed(futures, loop=client.loop):
            job = futures[future]
            if future.status == "finished":
                yield keep(future.result()) if keep else future.result()
            else:  # the worker died or the task was lost: this task failed, the others go on
                yield TaskResult(job.task, "failed", f"the Dask worker failed: {future.exception()!r}")
    except BaseException:
        client.cancel(list(futures))
        if cluster is not None:  # the worker threads' forked runs would run on: an interrupted build ends them
            from districtstat.execution.warm import end_runs

            end_runs()
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
