"""Tasks on Dask: the local in-process cluster by default, or any cluster given by its scheduler's address."""

import os

import psutil
import pytest

from districtstat.execution import dispatch
from districtstat.execution.runner import KeyIndex, Task, run_spec, triage
from helpers import kernel_line, make_notebook_project as make_project


def test_tasks_go_to_the_dask_cluster_at_the_given_address(tmp_path):
    from distributed import LocalCluster

    project = make_project(tmp_path, ["fresh_kernel", "broken"])
    tasks = [Task("fresh_kernel", d) for d in ("D01", "D02", "D03")] + [Task("broken", d) for d in ("D01", "D02")]
    spec = run_spec(project, "t", executor="warm")
    jobs, settled = triage(project, tasks, "t", KeyIndex(project.executed_dir))
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        results = {r.task: r for r in dispatch.run_jobs(spec, jobs, settled, scheduler=cluster.scheduler_address, quiet=True)}
        assert all(r.status == "ran" for t, r in results.items() if t != tasks[-1]), [r.error for r in results.values()]
        fork_servers = {kernel_line(project, task)[1] for task in tasks[:3]}
        workers = {psutil.Process(server).ppid() for server in fork_servers}
    assert [results[t].status for t in tasks] == ["ran", "ran", "ran", "ran", "failed"]
    assert "ValueError: no data for D02" in results[tasks[-1]].error
    assert len(fork_servers) == 1 and os.getpid() not in workers  # the worker process forked the kernels, not this one


def test_the_summary_counts_every_status():
    results = [dispatch.TaskResult(Task("a", d), status) for d, status in (("1", "ran"), ("2", "skipped"), ("3", "ran"), ("4", "failed"))]
    assert dispatch.summary(results) == "2 ran · 1 skipped · 1 failed"


def test_the_local_cluster_takes_no_statistical_profile_and_wakes_at_most_once_a_second(tmp_path, monkeypatch):
    """Dask samples every worker thread's stack every 10 ms for a dashboard the local cluster does not serve, and
    checks its event loop every 20 ms; one worker in the build's process needs neither, nor work stealing."""
    import distributed

    periodic = {}

    class Remembered(distributed.LocalCluster):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for server in [self.scheduler, *self.workers.values()]:
                periodic.update({f"{type(server).__name__} {name}": callback.callback_time for name, callback in server.periodic_callbacks.items()})

    monkeypatch.setattr(distributed, "LocalCluster", Remembered)
    project = make_project(tmp_path, ["fresh_kernel"])
    spec = run_spec(project, "t", executor="warm")
    jobs, settled = triage(project, [Task("fresh_kernel", "D01")], "t", KeyIndex(project.executed_dir))
    assert [r.status for r in dispatch.run_jobs(spec, jobs, settled, workers=1, quiet=True)] == ["ran"]
    assert "Worker heartbeat" in periodic and not {"Worker profile", "Worker profile-cycle", "Scheduler stealing"} & set(periodic), periodic
    often = {name: ms for name, ms in periodic.items() if ms < 1000 and not name.endswith("timeout")}  # the scheduler's own timeouts are cheap checks
    assert often == {}, often


def test_a_warm_build_starts_its_fork_server_before_the_local_cluster_so_the_two_starts_overlap(tmp_path, monkeypatch):
    """The server's imports take about 1.3 s, on another process: the build imports Dask and starts its cluster
    meanwhile, instead of first. A server that failed to start is not kept: the next run starts a new one."""
    import distributed

    from districtstat.execution import warm

    seen = []

    class Remembered(distributed.LocalCluster):
        def __init__(self, *args, **kwargs):
            seen.append(warm._server is not None and warm._server.process.poll() is None and not warm._server.started)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(distributed, "LocalCluster", Remembered)
    warm.stop_fork_server()
    project = make_project(tmp_path, ["fresh_kernel"])
    spec = run_spec(project, "t", executor="warm")
    jobs, settled = triage(project, [Task("fresh_kernel", "D01")], "t", KeyIndex(project.executed_dir))
    assert [r.status for r in dispatch.run_jobs(spec, jobs, settled, workers=1, quiet=True)] == ["ran"]
    assert seen == [True]

    warm.stop_fork_server()
    warm.start_fork_server()

    def does_not_start(server, timeout):
        server.close()
        raise warm.ForkServerError("did not start")

    monkeypatch.setattr(warm.ForkServer, "_wait_ready", does_not_start)
    with pytest.raises(warm.ForkServerError):
        warm.fork_server()
    assert warm._server is None
