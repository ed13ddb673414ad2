"""Warm kernels: forked from a pre-imported parent, one fresh process per notebook, outputs as a plain run's."""

import os
import subprocess
import sys
import time

import pytest

from districtstat.execution import warm
from districtstat.execution.runner import Job, Task, run_job, run_spec, task_key
from helpers import kernel_line, make_notebook_project as make_project


def test_papermill_finds_the_warm_engine_through_its_entry_point():
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine("districtstat-warm") is warm.WarmEngine


def test_every_notebook_gets_its_own_kernel_forked_from_the_fork_server(tmp_path):
    project = make_project(tmp_path, ["fresh_kernel"])
    spec = run_spec(project, "t", executor="warm")
    tasks = [Task("fresh_kernel", d) for d in ("D01", "D02", "D03")]
    results = [run_job(spec, Job(task, task_key(project, task, "t"))) for task in tasks]
    assert [r.status for r in results] == ["ran"] * 3, [r.error for r in results]
    kernels = [kernel_line(project, task) for task in tasks]
    server = warm.fork_server().process.pid
    assert len({pid for pid, _ in kernels}) == 3
    assert {parent for _, parent in kernels} == {server}  # forked warm, not started by Popen
    assert server != os.getpid()


def test_a_kernel_that_dies_fails_its_task_only(tmp_path):
    project = make_project(tmp_path, ["dies"])
    spec = run_spec(project, "t", executor="warm")
    started = time.monotonic()
    results = {d: run_job(spec, Job(Task("dies", d), "k")) for d in ("D01", "D02", "D03")}
    assert [results[d].status for d in ("D01", "D02", "D03")] == ["ran", "failed", "ran"]
    assert "DeadKernelError" in results["D02"].error or "died" in results["D02"].error.lower()
    assert time.monotonic() - started < 60


def test_the_fork_server_ends_with_the_process_that_started_it(tmp_path):
    script = "from districtstat.execution import warm; print(warm.fork_server().process.pid, flush=True)"
    child = subprocess.run([sys.executable, "-c", script + "; import os; os._exit(0)"], capture_output=True, text=True, timeout=120)
    pid = int(child.stdout.split()[0])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail(f"fork server {pid} outlived its parent")


def test_a_kernel_command_other_than_ipykernel_is_refused():
    with pytest.raises(warm.ForkServerError, match="ipykernel only"):
        warm.kernel_arguments(["/usr/bin/R", "--slave", "-e", "IRkernel::main()"])
    assert warm.kernel_arguments([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"]) == ["-f", "c.json"]


def test_a_warm_kernel_talks_over_unix_sockets_of_its_own_so_parallel_builds_cannot_take_its_ports():
    import asyncio
    import glob

    async def start_run_stop() -> tuple[str, list[str], str]:
        manager = warm.WarmKernelManager(kernel_name="python3")
        await manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            sockets = sorted(glob.glob(manager.ip + "-*"))
            reply = await client.execute_interactive("print(6 * 7)", output_hook=lambda message: outputs.append(message), timeout=60)
            return manager.transport, sockets, reply["content"]["status"]
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)

    outputs: list[dict] = []
    transport, sockets, status = asyncio.run(start_run_stop())
    assert transport == "ipc" and status == "ok"
    assert len(sockets) == 5 and all(path.startswith(warm.fork_server().folder) for path in sockets)  # shell, iopub, stdin, control, heartbeat
    assert any(message["content"].get("text") == "42\n" for message in outputs)
