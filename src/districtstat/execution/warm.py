"""Warm runs: each notebook's cells run in a fresh process forked from a parent that has imported everything.

A plain papermill run starts a new Python, which spends seconds importing pandas, seaborn, statsmodels and
scikit-learn before the first cell runs. Here a fork server (`districtstat.forkserver`) does those imports once
and reads the release's tables; each notebook's cells run in a fork of it, in ipykernel's own shell, and what they
show comes back to the build as the kernel's messages would have (`cells`). A notebook cannot see another's state,
and its outputs are those of a plain run: the tests compare them byte for byte.

papermill finds the engine through the `papermill.engine` entry point: `papermill --engine districtstat-warm`.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError

from districtstat.execution.forkserver import EXIT_WORDS


class ForkServerError(RuntimeError):
    """The fork server would not start, or would not fork a notebook's run."""


class ForkServerGone(ForkServerError):
    """The fork server has exited (or was stopped, stuck): a new one can take its request."""


_serials = itertools.count(1)
_folder: tuple[int, str] | None = None  # this process's id and its folder
_kernel_serials = itertools.count(1)
# A Unix socket's path must fit in 104 bytes on macOS (108 on Linux), its closing NUL included. The longest socket
# name made in the folder is a plain kernel's (`kernel-<serial>-<port>`); a server's is `server-<serial>.sock`.
SOCKET_PATH_LIMIT = 103
LONGEST_SOCKET_NAME = len("kernel-999999999-5")
FOLDER_NAME = len("districtstat-fork-") + 8  # mkdtemp's random part


def socket_folder() -> str:
    """This process's folder for its fork servers' sockets and logs and its plain kernels' sockets.

    One per process, not per server: a plain kernel's connection file names its sockets here, and a server replaced
    meanwhile does not take the folder with it. A forked copy of this process makes its own. It is made in the
    temporary folder unless that is too long a path for a socket in it (macOS's `TMPDIR` under `/var/folders/...`
    can be), then in `/tmp`.
    """
    global _folder
    if _folder is None or _folder[0] != os.getpid() or not os.path.isdir(_folder[1]):
        _folder = (os.getpid(), tempfile.mkdtemp(prefix="districtstat-fork-", dir=socket_base()))
    return _folder[1]


def socket_base(limit: int = SOCKET_PATH_LIMIT) -> str:
    """Where the socket folder is made: the temporary folder if a socket path under it fits `limit`."""
    room = 1 + FOLDER_NAME + 1 + LONGEST_SOCKET_NAME
    for base in (tempfile.gettempdir(), "/tmp"):
        if len(os.fsencode(base)) + room <= limit and os.path.isdir(base) and os.access(base, os.W_OK):
            return base
    raise ForkServerError(
        f"the temporary folder {tempfile.gettempdir()!r} is too long a path for the kernels' sockets (at most "
        f"{limit - room} characters) and /tmp is not writable: set TMPDIR to a shorter folder"
    )


# How long a request may go unanswered. The server answers between two rehearsed cells, and a cell is stopped after
# `forkserver.REHEARSAL_SECONDS` unless it is stuck below Python; reading a release's tables takes longer.
REQUEST_SECONDS = 300.0
PRELOAD_SECONDS = 1800.0


class ForkServer:
    """The client side of one fork server process, and what it was asked to hold."""

    def __init__(self, start_timeout: float = 120.0, wait: bool = True):
        self.serial = next(_serials)
        folder = socket_folder()
        self.address = os.path.join(folder, f"server-{self.serial}.sock")
        self.log = os.path.join(folder, f"server-{self.serial}.log")
        self.holds: tuple | None = None  # the params file, release and versions of the tables it preloaded
        self.rehearsed: set[str] = set()  # the notebooks it was asked to rehearse on them
        self.preloading = False  # a preload request is under way
        with open(self.log, "wb") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [sys.executable, "-m", "districtstat.execution.forkserver", self.address],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=os.environ.copy(),
            )
        self.start_timeout, self.started = start_timeout, False
        if wait:
            self.wait_started()

    def wait_started(self) -> None:
        """Wait for the server's imports, once: a server started early (`start_fork_server`) imports meanwhile."""
        if not self.started:
            self._wait_ready(self.start_timeout)
            self.started = True

    def _wait_ready(self, timeout: float) -> None:
        ready: list[bytes] = []
        reader = threading.Thread(target=lambda: ready.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not ready or ready[0].strip() != b"ready":
            self.close()
            raise ForkServerError(f"the fork server did not start within {timeout:.0f} s (its log: {self.log})")
        self.process.stdout.close()  # the server writes to its log from now on

    def request(self, fds: tuple[int, ...] = (), timeout: float = REQUEST_SECONDS, **message) -> dict:
        """Send one request and read its answer. A server that does not answer in time is stuck (a rehearsed cell
        in a long C call): it is stopped, so `ended` is true and the build replaces it."""
        if self.process.poll() is not None:
            raise ForkServerGone(f"the fork server has exited (status {self.process.returncode}){self.last_words()}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(timeout)
                connection.connect(self.address)
                socket.send_fds(connection, [json.dumps(message).encode()], list(fds))
                connection.shutdown(socket.SHUT_WR)  # the end of a request longer than one read (a notebook's cells)
                with connection.makefile("rb") as stream:
                    answer = stream.readline()
        except TimeoutError as error:
            stuck = not self.preloading  # else it is reading a release, which may take longer
            if stuck:
                self.process.kill()
                self.process.wait()
            raise (ForkServerGone if stuck else ForkServerError)(f"the fork server did not answer {message['op']!r} within {timeout:.0f} s (its log: {self.log})") from error
        except OSError as error:  # refused or reset: the server has exited or is exiting
            raise self._broke_off(f"the fork server broke off {message['op']!r}: {error}") from error
        if not answer.endswith(b"\n"):  # the connection closed before a whole answer
            raise self._broke_off(f"the fork server gave no answer to {message['op']!r}")
        try:
            reply = json.loads(answer)
        except ValueError as error:  # not JSON, or not UTF-8
            raise ForkServerError(f"the fork server answered {message['op']!r} with something not JSON: {error}") from error
        if not isinstance(reply, dict):
            raise ForkServerError(f"the fork server answered {message['op']!r} with {reply!r}, not an object")
        if "error" in reply:
            raise ForkServerError(str(reply["error"]))
        return reply

    def run(self, cells: list[dict], env: dict[str, str], cwd: str) -> dict:
        """Run a notebook's cells in a fork (`cells.run_cells`) and give back what they showed. A fork that ends before
        it has written all of it (killed, crashed, `os._exit`) is the notebook's error. Once the answer is read, the
        fork's process group is killed, as a kernel's is when it is shut down: a process a cell left running neither
        holds the task nor outlives it."""
        read_end, write_end = os.pipe()
        pid = None
        try:
            try:
                pid = int(self.request(fds=(write_end,), op="run", cells=cells, env=env, cwd=cwd)["pid"])
            finally:
                os.close(write_end)
            with _runs_lock:
                _runs.add(pid)
            length = _read_exactly(read_end, 8)
            answer = _read_exactly(read_end, int.from_bytes(length, "big")) if length else None
        finally:
            os.close(read_end)
            if pid is not None:
                end_run(pid)
        if answer is None:
            raise DeadKernelError("the notebook's process ended before it had handed back its outputs (killed or crashed)")
        answer = json.loads(answer.decode("utf-8", "replace"))  # as jupyter_client reads a kernel's messages
        if "failed" in answer:
            raise ForkServerError(f"the notebook's process could not run its cells: {answer['failed']}")
        return answer

    def preload(self, holds: tuple, rehearsals: list[dict] = ()) -> None:
        """Have the server read the release of `holds` (params file, release, versions) now, and rehearse these
        notebook runs between its requests."""
        self.holds, self.preloading = None, True
        try:
            self.request(op="preload", timeout=PRELOAD_SECONDS, params_file=str(holds[0]), release=holds[1], rehearsals=list(rehearsals))
        finally:
            self.preloading = False
        self.holds, self.rehearsed = holds, {run["name"] for run in rehearsals}

    def rehearse(self, rehearsals: list[dict]) -> None:
        """Have the server rehearse more notebook runs on the tables it holds."""
        self.request(op="rehearse", rehearsals=list(rehearsals))
        self.rehearsed |= {run["name"] for run in rehearsals}

    def status(self) -> dict:
        """What the server holds (`holds`: its params file and release), its rehearsed cells still to run (`pending`)
        and the rehearsals that failed (`failed`)."""
        return self.request(op="status")

    def wait_rehearsed(self, timeout: float = 300.0) -> list[str]:
        """Wait until the server has rehearsed every notebook (the benchmarks and tests); gives back what failed."""
        deadline = time.monotonic() + timeout
        while (status := self.status())["pending"]:
            if time.monotonic() > deadline:
                raise ForkServerError(f"the fork server's rehearsal did not finish within {timeout:.0f} s")
            time.sleep(0.05)
        return status["failed"]

    def _broke_off(self, what: str) -> ForkServerError:
        """The error for a connection the server ended: `ForkServerGone`, with its reason, if it has exited (or does
        within a few seconds); else a plain error, for something else went wrong."""
        if self.ended():
            return ForkServerGone(what + self.last_words())
        return ForkServerError(what)

    def last_words(self) -> str:
        """Why the server exited, as `serve` wrote it in its log, for an error message; else where its log is. Other
        lines of the log (a library's notes, a forked run's traceback) are not a reason and are not given as one."""
        try:
            with open(self.log, "rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - 16384))
                lines = log.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        reason = next((line[line.index(EXIT_WORDS) :].strip() for line in reversed(lines) if EXIT_WORDS in line), None)
        return f": {reason} (its log: {self.log})" if reason else f" (its log: {self.log})"

    def exit_reason(self) -> str:
        """`last_words` as a clause of its own: the reason the server gave, without its opening words, and its log."""
        words = self.last_words()
        return words.removeprefix(f": {EXIT_WORDS} ") if words.startswith(f": {EXIT_WORDS} ") else f"without a word{words}"

    def ended(self, grace: float = 5.0) -> bool:
        """Whether the server has exited, or does within `grace` seconds (one that broke off an answer is exiting)."""
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            return False
        return True

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if not self.process.stdout.closed:
            self.process.stdout.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.address)  # the log stays, with the server's last words, until this process exits


_server: ForkServer | None = None
_server_lock = threading.RLock()
_unrehearsed: set[tuple] = set()  # the tables a rehearsal ended a server on
_stopped_rehearsals: list[str] = []  # why, for the build to tell (`stopped_rehearsals`)
_runs: set[int] = set()  # the forks running a notebook's cells, each its own process group
_runs_lock = threading.Lock()


def _read_exactly(fd: int, size: int) -> bytes | None:
    """`size` bytes from a pipe, or None if it ends first."""
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def end_run(pid: int) -> None:
    """Kill a forked run's process group (it, and anything its cells started) and forget it."""
    with _runs_lock:
        _runs.discard(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def end_runs() -> None:
    """Kill every forked run still under way: an interrupted build's, whose worker threads are still reading."""
    with _runs_lock:
        running = list(_runs)
    for pid in running:
        end_run(pid)


def fork_server() -> ForkServer:
    """This process's fork server, started on first use and stopped when the process exits.

    A server that has exited is replaced. If it held a release, a rehearsed notebook ended it (`os._exit`, a crash,
    a thread left running: a forked run cannot), so the new server reads the same tables and does not rehearse them.
    """
    global _server
    with _server_lock:
        if _server is not None and _server.process.poll() is not None:
            ended, _server = _server, None
            ended.close()
            if ended.holds is not None:
                _unrehearsed.add(ended.holds)
                _stopped_rehearsals.append(ended.exit_reason())
                _server = ForkServer()
                _server.preload(ended.holds)
        if _server is None:
            _server = ForkServer()
        try:
            _server.wait_started()
        except ForkServerError:
            _server = None
            raise
        return _server


def start_fork_server() -> None:
    """Start this process's fork server without waiting for it: its imports (about 1.3 s) then overlap what the
    build does before its first run needs it (Dask's import and the local cluster's start)."""
    global _server
    with _server_lock:
        if _server is None:
            _server = ForkServer(wait=False)


def stopped_rehearsals() -> list[str]:
    """Why fork servers holding a release ended since the last call (a rehearsed notebook, a crash): the runs
    after that came from a new server that does not rehearse, slower with the same outputs. The build says so,
    rather than leave a slower build unexplained."""
    reasons = list(_stopped_rehearsals)
    _stopped_rehearsals.clear()
    return reasons


def rehearsals(project, tasks) -> list[dict]:
    """The runs of these tasks as the fork server rehearses them: the notebook, its parameters and the folder it
    runs in (see `forkserver.Rehearsal`)."""
    from districtstat.execution import runner

    runs = []
    for task in tasks:
        notebook = project.notebooks_dir / f"{task.notebook}.ipynb"
        if notebook.is_file():
            runs.append({"name": task.notebook, "notebook": str(notebook), "parameters": runner.parameters_for(project, task), "cwd": str(project.notebooks_dir)})
    return runs


def ensure_preloaded(project, rehearsed: tuple = ()) -> None:
    """Have this process's fork server hold the project's tables, once per version of the tables and params, and
    rehearse the runs of these tasks (`runner.worth_rehearsing`), each notebook once."""
    manifest = project.tables_dir / "manifest.json"
    wanted = (str(project.params_file), project.release, project.params_file.stat().st_mtime_ns, manifest.stat().st_mtime_ns if manifest.is_file() else None)
    with _server_lock:
        server = fork_server()
        if wanted in _unrehearsed:
            rehearsed = ()
        if server.holds != wanted:
            server.preload(wanted, rehearsals(project, rehearsed))
        elif new := [task for task in rehearsed if task.notebook not in server.rehearsed]:
            server.rehearse(rehearsals(project, new))


def run_cells(cells: list[dict], env: dict[str, str], cwd: str) -> dict:
    """Run a notebook's cells in a fork (`ForkServer.run`); in a new server if this one exits meanwhile. Only the fork
    is retried, never cells that ran."""
    server = fork_server()
    try:
        return server.run(cells, env, cwd)
    except ForkServerGone:
        pass
    return fork_server().run(cells, env, cwd)


@atexit.register
def stop_fork_server() -> None:
    """Stop this process's fork server and remove its folder; the next warm run starts a new one."""
    global _server, _folder
    end_runs()
    with _server_lock:
        if _server is not None:
            _server.close()
            _server = None
        if _folder is not None and _folder[0] == os.getpid():
            shutil.rmtree(_folder[1], ignore_errors=True)
            _folder = None


class UnixSocketKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, talking to its kernel over Unix sockets named for it, not TCP ports.

    A TCP port is chosen by binding port 0 and letting it go; the kernel binds it later, and in between another
    process starting a kernel (a parallel build, another test worker) can take it, so the kernel dies with "Address
    already in use". A socket file in this process's own folder, named by a serial, cannot be taken by anyone
    else. Plain kernels (`--executor plain`) are started by this manager as papermill starts them, with `Popen`.
    """

    def use_unix_sockets(self) -> None:
        """Sockets named by a serial, once per manager, not by the 36 characters of the kernel's id: their paths
        must stay short."""
        self.transport = "ipc"
        if not getattr(self, "_socket_prefix", None) or os.path.dirname(self._socket_prefix) != socket_folder():
            self._socket_prefix = os.path.join(socket_folder(), f"kernel-{next(_kernel_serials)}")
            if self._connection_file_written:  # a restart after the folder was made anew: new names, a new file
                self.cleanup_connection_file()
        self.ip = self._socket_prefix

    async def _async_pre_start_kernel(self, **kw):
        self.use_unix_sockets()
        return await super()._async_pre_start_kernel(**kw)


@functools.cache
def papermill_engine() -> type:
    """papermill's engine for cells run in a fork of the fork server (`cells`), without a kernel."""
    from papermill.engines import Engine

    from districtstat.execution import cells

    class ForkedEngine(Engine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, resources=None, **kwargs):
            language = nb_man.nb.metadata.get("kernelspec", {}).get("language", "python")
            if language != "python":
                raise ValueError(f"warm runs run Python notebooks only; this one's kernel runs {language} (use --executor plain)")
            folder = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
            cells.apply(nb_man, run_cells(cells.to_run(nb_man.nb), dict(os.environ), str(folder)))

    return ForkedEngine


class WarmEngine:
    """The `districtstat-warm` papermill engine: a notebook's cells run in a fork of the fork server.

    Built on first use: papermill loads its engine entry points while it is itself being imported, so this module
    must not import papermill at the top."""

    @classmethod
    def execute_notebook(cls, *args, **kwargs):
        return papermill_engine().execute_notebook(*args, **kwargs)

    @classmethod
    def nb_kernel_name(cls, *args, **kwargs):
        return papermill_engine().nb_kernel_name(*args, **kwargs)

    @classmethod
    def nb_language(cls, *args, **kwargs):
        return papermill_engine().nb_language(*args, **kwargs)
