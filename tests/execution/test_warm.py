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


def rehearsing(monkeypatch, project, notebook: str, district: str) -> None:
    """Have the fork server rehearse `notebook` for `district`, as a build has it rehearse the first district's pages."""
    rehearsal = {"notebook": str(project.notebooks_dir / f"{notebook}.ipynb"), "parameters": {"district_id": district}, "cwd": str(project.notebooks_dir)}
    monkeypatch.setattr(warm, "rehearsals", lambda project, notebooks=None: [rehearsal])


def test_a_rehearsal_leaves_kernels_forked_after_it_the_state_a_fresh_kernel_has(tmp_path, monkeypatch):
    """The notebook changes pandas', numpy's and matplotlib's settings, the environment and the random states, and
    leaves a figure open; rehearsed in the server, none of it reaches a kernel, which also still shows its warning."""
    import nbformat

    project = make_project(tmp_path, ["changes_state"])
    rehearsing(monkeypatch, project, "changes_state", "D01")
    warm.ensure_preloaded(project)
    assert warm.fork_server().wait_rehearsed() == []
    spec = run_spec(project, "t", executor="warm")
    result = run_job(spec, Job(Task("changes_state", "D02"), "k"))
    assert result.status == "ran", result.error
    cells = [cell for cell in nbformat.read(project.executed_dir / "D02" / "changes_state.ipynb", as_version=4).cells if "injected-parameters" not in cell.metadata.get("tags", [])]
    assert [o["text"] for o in cells[1].outputs] == ["60 8 white None 0\n"]
    assert "a warning every kernel shows" in cells[2].outputs[0]["text"] and cells[2].outputs[0]["name"] == "stderr"


def test_a_rehearsal_that_ends_the_fork_server_costs_no_task(tmp_path, monkeypatch):
    """A rehearsed notebook that exits its process ends the server: kernels are forked from a new one, unrehearsed."""
    from districtstat.execution import runner

    project = make_project(tmp_path, ["dies", "fresh_kernel"])
    rehearsing(monkeypatch, project, "dies", "D02")  # os._exit(3)
    warm.ensure_preloaded(project)
    ended = warm.fork_server()
    assert warm.server_ended(ended, grace=60)
    spec = run_spec(project, "t", executor="warm")
    task = Task("fresh_kernel", "D01")
    assert runner.execute(project, Job(task, "k"), spec).status == "ran"  # the fork itself finds the server gone
    server = warm.fork_server()
    assert server is not ended and server.process.poll() is None
    assert kernel_line(project, task)[1] == server.process.pid
    assert run_job(spec, Job(Task("fresh_kernel", "D03"), "k")).status == "ran"
    assert server.wait_rehearsed() == []  # not rehearsed again
