"""Warm runs: forked from a pre-imported parent, one fresh process per notebook, outputs as a plain run's."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from districtstat.execution import forkserver, warm
from districtstat.execution import runner
from districtstat.execution.runner import Job, Task, run_job, run_spec, task_key
from helpers import kernel_line, make_notebook_project as make_project


def test_papermill_finds_the_warm_engine_through_its_entry_point():
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine("districtstat-warm") is warm.WarmEngine


def test_every_notebook_runs_in_its_own_process_forked_from_the_fork_server(tmp_path):
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


def test_a_run_whose_process_dies_fails_its_task_only(tmp_path):
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
    assert gone_within(pid, 20), f"fork server {pid} outlived its parent"


def gone_within(pid: int, seconds: float) -> bool:
    """Whether the process has ended, or does within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_warm_run_shows_what_a_kernel_shows_for_every_kind_of_output(tmp_path):
    """Streams, displays, a display updated from a later cell, a cleared output, results and a suppressed one, a
    warning, a figure left open (a kernel's inline backend shows it), an empty and a skipped cell: the notebook a warm
    run writes is byte for byte the one a plain kernel writes."""
    import nbformat

    project = make_project(tmp_path, ["every_kind_of_output"])
    task = Task("every_kind_of_output", "D01")
    runs = {executor: runner.executed_text(project, Job(task, "k"), run_spec(project, "t", executor=executor)) for executor in ("plain", "warm")}
    assert [result.status for result, _ in runs.values()] == ["ran", "ran"], [result.error for result, _ in runs.values()]
    assert runs["warm"][1] == runs["plain"][1]
    cells = nbformat.reads(runs["warm"][1], as_version=4).cells
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    assert {"stream", "display_data", "execute_result"} == {output["output_type"] for output in outputs}
    assert any("image/png" in output.get("data", {}) for output in outputs)  # the figure left open
    assert [output["data"]["text/markdown"] for output in outputs if "text/markdown" in output.get("data", {})] == ["updated"]
    assert not any("shown, then cleared" in str(output) or "never run" in str(output) for output in outputs)


def test_a_notebook_of_another_language_is_refused_by_warm_runs(tmp_path):
    import json

    project = make_project(tmp_path, ["echo"])
    notebook = project.notebooks_dir / "echo.ipynb"
    content = json.loads(notebook.read_text())
    content["metadata"]["kernelspec"] = {"display_name": "R", "language": "R", "name": "ir"}
    notebook.write_text(json.dumps(content))
    result = run_job(run_spec(project, "t", executor="warm"), Job(Task("echo", "D01"), "k"))
    assert result.status == "failed" and "Python notebooks only" in result.error and "--executor plain" in result.error


def test_plain_kernels_talk_over_unix_sockets_of_their_own_so_parallel_builds_cannot_take_their_ports():
    import asyncio
    import glob

    async def start_run_stop() -> tuple[str, list[str], str, int]:
        manager = warm.UnixSocketKernelManager(kernel_name="python3")
        await manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            sockets = sorted(glob.glob(manager.ip + "-*"))
            reply = await client.execute_interactive("import os; print(6 * 7, os.getppid())", output_hook=lambda message: outputs.append(message), timeout=60)
            return manager.transport, sockets, reply["content"]["status"]
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)

    outputs: list[dict] = []
    transport, sockets, status = asyncio.run(start_run_stop())
    assert transport == "ipc" and status == "ok"
    assert len(sockets) == 5 and all(path.startswith(warm.socket_folder()) for path in sockets)  # shell, iopub, stdin, control, heartbeat
    answer, parent = next(message["content"]["text"] for message in outputs if "text" in message["content"]).split()
    assert answer == "42" and int(parent) == os.getpid()  # started by this process, as papermill starts it


def test_a_temporary_folder_too_long_for_a_socket_path_puts_the_sockets_in_tmp(tmp_path, monkeypatch):
    """macOS's `TMPDIR` (`/var/folders/xy/.../T/`) left a kernel's socket path over the 104 bytes a Unix socket's
    path may have; the folder is then made in /tmp, and a plain kernel started there runs."""
    import asyncio

    long_temporary = tmp_path / ("a-temporary-folder-as-long-as-macos-makes-" * 2)
    long_temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long_temporary))
    monkeypatch.setattr(warm, "_folder", None)
    longest = len(os.fsencode(str(long_temporary))) + 1 + warm.FOLDER_NAME + 1 + warm.LONGEST_SOCKET_NAME
    assert warm.socket_base(limit=longest) == str(long_temporary)  # just fits
    assert warm.socket_base(limit=longest - 1) == "/tmp"
    assert warm.socket_base() == "/tmp"

    async def start_run_stop() -> str:
        manager = warm.UnixSocketKernelManager(kernel_name="python3")
        await manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive("6 * 7", timeout=60)
            return manager.ip, reply["content"]["status"]
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)

    try:
        prefix, status = asyncio.run(start_run_stop())
        assert status == "ok" and prefix.startswith("/tmp/districtstat-fork-")
        assert len(os.fsencode(prefix + "-5")) <= warm.SOCKET_PATH_LIMIT
    finally:
        shutil.rmtree(warm.socket_folder(), ignore_errors=True)


def test_a_rehearsal_leaves_runs_forked_after_it_the_state_a_fresh_kernel_has(tmp_path):
    """The notebook changes pandas', numpy's and matplotlib's settings, the environment and the random states, and
    leaves a figure open; rehearsed in the server, none of it reaches a kernel, which also still shows its warning."""
    import nbformat

    project = make_project(tmp_path, ["changes_state"])
    warm.ensure_preloaded(project, (Task("changes_state", "D01"),))
    assert warm.fork_server().wait_rehearsed() == []
    spec = run_spec(project, "t", executor="warm")
    result = run_job(spec, Job(Task("changes_state", "D02"), "k"))
    assert result.status == "ran", result.error
    cells = [cell for cell in nbformat.read(project.executed_dir / "D02" / "changes_state.ipynb", as_version=4).cells if "injected-parameters" not in cell.metadata.get("tags", [])]
    assert [o["text"] for o in cells[1].outputs] == ["60 8 white None 0\n"]
    assert "a warning every kernel shows" in cells[2].outputs[0]["text"] and cells[2].outputs[0]["name"] == "stderr"


def holds(project) -> dict:
    return {"params_file": str(project.params_file), "release": project.release}


@pytest.mark.parametrize(("notebook", "reason"), [("dies", ""), ("leaves_thread", "left 1 thread(s) running"), ("fresh_kernel", "changed sys.districtstat_marker")])
def test_a_rehearsal_that_ends_the_fork_server_costs_no_task(tmp_path, notebook, reason):
    """A rehearsed notebook that exits its process, leaves a thread running or sets an attribute on a module
    (`fresh_kernel` sets one on `sys`: a kernel must not inherit either) ends the server: kernels are forked from a
    new one that holds the same tables and does not rehearse them."""
    project = make_project(tmp_path, [notebook, "fresh_kernel"])
    warm.ensure_preloaded(project, (Task(notebook, "D02"), Task("fresh_kernel", "D01")))  # `dies` exits for D02
    ended = warm.fork_server()
    assert ended.ended(grace=60)
    words = ended.last_words()  # what an error about the ended server says; `dies` exits without a word
    assert reason in words and (forkserver.EXIT_WORDS in words) == bool(reason) and ended.log in words
    warm.stopped_rehearsals()  # forget what ended before this test
    spec = run_spec(project, "t", executor="warm")
    task = Task("fresh_kernel", "D01")
    assert runner.execute(project, Job(task, "k"), spec).status == "ran"
    assert warm.stopped_rehearsals() == [ended.exit_reason()] and (reason or "without a word") in ended.exit_reason()  # what the build tells its user
    server = warm.fork_server()
    assert server is not ended and server.process.poll() is None
    assert kernel_line(project, task)[1] == server.process.pid
    assert server.status() == {"holds": holds(project), "pending": 0, "failed": []}  # the tables, not the rehearsal
    warm.ensure_preloaded(project, (Task(notebook, "D02"), Task("fresh_kernel", "D03")))
    assert run_job(spec, Job(Task("fresh_kernel", "D03"), "k")).status == "ran"
    assert warm.fork_server() is server and server.status()["pending"] == 0  # not rehearsed again


def test_a_server_that_exits_before_a_run_is_forked_costs_that_task_nothing(tmp_path, monkeypatch):
    """The server ends between the build choosing it and asking it to fork a run: the run is forked from a new server
    holding the same tables."""
    project = make_project(tmp_path, ["fresh_kernel"])
    warm.ensure_preloaded(project)
    ended = warm.fork_server()
    run = ended.run

    def ends_first(*args, **kwargs):
        ended.process.kill()
        return run(*args, **kwargs)

    monkeypatch.setattr(ended, "run", ends_first)
    task = Task("fresh_kernel", "D01")
    assert runner.execute(project, Job(task, "k"), run_spec(project, "t", executor="warm")).status == "ran"
    server = warm.fork_server()
    assert server is not ended and kernel_line(project, task)[1] == server.process.pid
    assert server.status()["holds"] == holds(project)


def test_a_run_that_dies_fails_its_task_at_once_and_the_server_goes_on(tmp_path, monkeypatch):
    """Only a server that has gone is waited for and replaced; a forked run that dies is the task's own failure,
    reported without asking whether the server is ending, and no cell of it is run again."""
    server = warm.fork_server()
    monkeypatch.setattr(warm.ForkServer, "ended", lambda self, grace=5.0: pytest.fail("waited for a server that is running"))
    marker = tmp_path / "ran"
    cells = [{"source": f"open({str(marker)!r}, 'a').write('x')\nimport os\nos._exit(1)", "stop_on_error": True}]
    with pytest.raises(warm.DeadKernelError, match="ended before it had handed back its outputs"):
        warm.run_cells(cells, dict(os.environ), str(tmp_path))
    assert marker.read_text() == "x"  # once: a run that died is not retried
    assert warm.fork_server() is server and server.process.poll() is None


def run_alone(tmp_path, *sources: str) -> list[dict]:
    """The messages of each cell, run warm in `tmp_path`."""
    answer = warm.run_cells([{"source": source, "stop_on_error": True} for source in sources], dict(os.environ), str(tmp_path))
    return [cell["messages"] for cell in answer["cells"]]


def shown_text(messages: list[dict]) -> str:
    return "".join(message["content"].get("text", "") for message in messages if message["msg_type"] == "stream")


def test_a_notebook_longer_than_one_read_of_the_server_s_socket_runs(tmp_path):
    long_text = "x" * 200_000  # the request carries every cell's source
    cells = run_alone(tmp_path, f"text = {long_text!r}", "print(len(text))")
    assert shown_text(cells[1]) == "200000\n"


def test_a_process_a_cell_leaves_running_neither_holds_the_task_nor_outlives_it(tmp_path):
    """As a kernel's shutdown kills its process group: the run ends when its cells do, and what they started goes."""
    started = time.monotonic()
    cells = run_alone(tmp_path, "import subprocess\nprint(subprocess.Popen(['sleep', '60']).pid)", "import multiprocessing, time\nmultiprocessing.Process(target=time.sleep, args=(60,), daemon=True).start()")
    assert time.monotonic() - started < 30  # not the minute the sleepers would hold the pipe
    sleeper = int(shown_text(cells[0]))
    assert gone_within(sleeper, 10), f"the process {sleeper} a cell started outlived its run"


def test_a_run_has_the_kernel_s_module_path_streams_and_magics(tmp_path):
    """A module beside the notebook imports ('' on `sys.path`, the notebook's folder first); `%matplotlib inline` and
    `exit()` find a kernel to ask; `subprocess` and `faulthandler` get the streams' descriptors; and what the shell
    writes while starting is in no cell's output."""
    (tmp_path / "beside.py").write_text("WHERE = 'beside the notebook'\n")
    cells = run_alone(
        tmp_path,
        "import sys, beside\nprint(beside.WHERE, sys.path[0] == __import__('os').getcwd(), '' in sys.path)",
        "%matplotlib inline",
        "import faulthandler, subprocess, sys\nfaulthandler.enable()\nsubprocess.run(['true'], stdout=sys.stdout, check=True)",
        "exit()",
        "print('after')",
    )
    assert shown_text(cells[0]) == "beside the notebook True True\n"
    assert [message["msg_type"] for message in cells[0]] == ["execute_input", "stream"]
    assert all(message["msg_type"] != "error" for cell in cells for message in cell)
    assert shown_text(cells[4]) == "after\n"


def test_text_that_is_not_valid_unicode_is_shown_replaced_not_lost(tmp_path):
    cells = run_alone(tmp_path, "import os\nprint(os.fsdecode(b'caf\\xff'))", "print('a\\ud800b')")
    assert shown_text(cells[0]) == "caf\ufffd\n" and shown_text(cells[1]) == "a?b\n"


def test_a_failing_display_fails_its_cell_as_in_a_kernel(tmp_path):
    answer = warm.run_cells(
        [{"source": "class Broken:\n    def _repr_html_(self):\n        raise ValueError('no html')\nBroken()", "stop_on_error": True}, {"source": "print('never')", "stop_on_error": True}],
        dict(os.environ),
        str(tmp_path),
    )
    assert [cell["reply"]["status"] for cell in answer["cells"]] == ["error"]


def test_a_run_whose_shell_fails_says_why(tmp_path):
    """What fails around the cells (here a request without a cell's source) is told to the build, not written to the
    forked process's /dev/null."""
    with pytest.raises(warm.ForkServerError, match="could not run its cells: KeyError: 'source'"):
        warm.run_cells([{"stop_on_error": True}], dict(os.environ), str(tmp_path))


def test_a_plain_kernel_restarts_on_its_sockets_and_on_new_ones_once_their_folder_is_made_anew():
    """A restart keeps the manager's socket names; after the fork server is stopped (the socket folder removed) the
    names and the connection file are made anew, so the restarted kernel is found."""
    import asyncio

    async def answers(manager) -> str:
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            return (await client.execute_interactive("6 * 7", timeout=60))["content"]["status"]
        finally:
            client.stop_channels()

    async def start_restart_stop() -> list:
        manager = warm.UnixSocketKernelManager(kernel_name="python3")
        await manager.start_kernel()
        try:
            seen = [(manager.ip, await answers(manager))]
            await manager.restart_kernel(now=True)
            seen.append((manager.ip, await answers(manager)))
            warm.stop_fork_server()
            await manager.restart_kernel(now=True)
            seen.append((manager.ip, await answers(manager)))
            return seen
        finally:
            await manager.shutdown_kernel(now=True)

    (first, first_status), (again, again_status), (anew, anew_status) = asyncio.run(start_restart_stop())
    assert first_status == again_status == anew_status == "ok"
    assert again == first and anew != first and os.path.dirname(anew) == warm.socket_folder()


def fake_server(tmp_path, answer: bytes) -> warm.ForkServer:
    """A `ForkServer` whose process runs and whose socket answers every request with `answer`, then closes."""
    import socket
    import threading

    server = object.__new__(warm.ForkServer)
    server.address, server.log, server.preloading = str(tmp_path / "s.sock"), str(tmp_path / "s.log"), False
    server.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(server.address)
    listener.listen(4)

    def answering() -> None:
        while True:
            connection, _ = listener.accept()
            with connection:
                connection.recv(1 << 16)
                connection.sendall(answer)

    threading.Thread(target=answering, daemon=True).start()
    return server


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b'{"pid": 7}\n', None),
        (b'{"error": "no such notebook"}\n', "no such notebook"),
        (b'"an error"\n', "with 'an error', not an object"),
        (b"[1]\n", "with \\[1\\], not an object"),
        (b"\xff\xfe\n", "something not JSON"),
        (b"not json\n", "something not JSON"),
    ],
)
def test_a_running_server_s_answer_is_read_or_its_fault_named(tmp_path, answer, error):
    server = fake_server(tmp_path, answer)
    try:
        if error is None:
            assert server.request(op="status") == {"pid": 7}
        else:
            with pytest.raises(warm.ForkServerError, match=error) as raised:
                server.request(op="status")
            assert not isinstance(raised.value, warm.ForkServerGone)  # the server runs: nothing to retry elsewhere
    finally:
        server.process.kill()
        server.process.wait()


def test_an_ended_server_s_reason_is_the_line_it_wrote_on_exiting_not_a_note_after_it(tmp_path):
    server = object.__new__(warm.ForkServer)
    server.log = str(tmp_path / "server.log")
    (tmp_path / "server.log").write_text(f"a library's note\n{forkserver.EXIT_WORDS} a rehearsed cell of topic.ipynb changed sys.flag\n0.00s - Debugger warning: a note\n")
    assert server.last_words() == f": {forkserver.EXIT_WORDS} a rehearsed cell of topic.ipynb changed sys.flag (its log: {server.log})"
    (tmp_path / "server.log").write_text("0.00s - Debugger warning: a note\nTraceback (most recent call last):\n  a kernel's\n")
    assert server.last_words() == f" (its log: {server.log})"


def test_a_request_the_server_does_not_answer_in_time_stops_it(monkeypatch):
    """A server stuck in a rehearsed cell (a long call below Python) is stopped, so the build replaces it."""
    server = warm.fork_server()
    server.process.send_signal(19)  # SIGSTOP: it accepts connections but answers nothing
    with pytest.raises(warm.ForkServerError, match="did not answer 'status' within 1 s"):
        server.request(op="status", timeout=1)
    assert server.ended(grace=10)
    assert warm.fork_server() is not server


def test_a_fork_server_stopped_between_builds_is_started_again_with_a_folder_of_its_own(tmp_path):
    """The benchmarks stop the server between runs, so each pays for its own; the next kernel must not look for the
    removed folder."""
    project = make_project(tmp_path, ["fresh_kernel"])
    spec = run_spec(project, "t", executor="warm")
    assert run_job(spec, Job(Task("fresh_kernel", "D01"), "k")).status == "ran"
    folder = warm.socket_folder()
    warm.stop_fork_server()
    assert not os.path.exists(folder)
    result = run_job(spec, Job(Task("fresh_kernel", "D02"), "k"))
    assert result.status == "ran", result.error
    assert os.path.isdir(warm.socket_folder()) and warm.socket_folder() != folder


def test_the_fork_server_has_imported_what_every_page_of_the_example_imports(built):
    """A module a page imports that the server has not is imported again in every run: `forkserver.PRELOAD` names
    them all, so a run's cells import nothing."""
    import json

    from districtstat.build import reported_districts
    from districtstat.config import load_project

    project = load_project(built[1])
    warm.ensure_preloaded(project)
    tasks = {task.notebook: task for task in runner.plan(project, reported_districts(project)[:1])}
    assert {"scorecard", "peers", "operations", "topic", "overview"} <= set(tasks)
    for notebook, task in tasks.items():
        sources = forkserver.code_cells(str(project.notebooks_dir / f"{notebook}.ipynb"), runner.parameters_for(project, task))
        cells = [{"source": "import sys\nmodules_before = set(sys.modules)", "stop_on_error": True}]
        cells += [{"source": source, "stop_on_error": True} for source in sources]
        cells += [{"source": "import json\nprint(json.dumps(sorted(set(sys.modules) - modules_before)))", "stop_on_error": True}]
        answer = warm.run_cells(cells, dict(os.environ), str(project.notebooks_dir))
        assert len(answer["cells"]) == len(cells) and all(cell["reply"]["status"] == "ok" for cell in answer["cells"]), notebook
        printed = [m["content"]["text"] for m in answer["cells"][-1]["messages"] if m["msg_type"] == "stream"]
        assert json.loads(printed[0]) == [], notebook
