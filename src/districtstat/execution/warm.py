"""Warm kernels: each notebook gets a fresh kernel process, forked from a parent that has imported everything.

A plain papermill run starts a new Python, which spends seconds importing pandas, seaborn, statsmodels and
scikit-learn before the first cell runs. Here a fork server (`districtstat.forkserver`) does those imports
once; a jupyter_client kernel provisioner asks it to fork each kernel. The kernel is still a real, separate
ipykernel process, started from the same command line and environment, so a notebook cannot see another's
state and its outputs are those of a plain run.

papermill finds the engine through the `papermill.engine` entry point: `papermill --engine districtstat-warm`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import itertools
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Type

from districtstat.execution.forkserver import EXIT_WORDS


class ForkServerError(RuntimeError):
    """The fork server would not start or could not fork a kernel."""


class ForkServerGone(ForkServerError):
    """The fork server has exited (or was stopped, stuck): a new one can take its request."""


_serials = itertools.count(1)
_folder: tuple[int, str] | None = None  # this process's id and its folder
_kernel_serials = itertools.count(1)
# A Unix socket's path must fit in 104 bytes on macOS (108 on Linux), its closing NUL included. The longest socket
# name made in the folder is a kernel's (`kernel-<serial>-<port>`); a server's is `server-<serial>.sock`.
SOCKET_PATH_LIMIT = 103
LONGEST_SOCKET_NAME = len("kernel-999999999-5")
FOLDER_NAME = len("districtstat-fork-") + 8  # mkdtemp's random part


def socket_folder() -> str:
    """This process's folder for its fork servers' sockets and logs and its kernels' sockets.

    One per process, not per server: a kernel's connection file names its sockets here before the kernel is forked,
    and stays valid if the server it was to be forked from is replaced meanwhile. A forked copy of this process
    makes its own. It is made in the temporary folder unless that is too long a path for a socket in it (macOS's
    `TMPDIR` under `/var/folders/...` can be), then in `/tmp`.
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

    def __init__(self, start_timeout: float = 120.0):
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
        self._wait_ready(start_timeout)

    def _wait_ready(self, timeout: float) -> None:
        ready: list[bytes] = []
        reader = threading.Thread(target=lambda: ready.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not ready or ready[0].strip() != b"ready":
            self.close()
            raise ForkServerError(f"the kernel fork server did not start within {timeout:.0f} s (its log: {self.log})")
        self.process.stdout.close()  # the server writes to its log from now on

    def request(self, fds: tuple[int, ...] = (), timeout: float = REQUEST_SECONDS, **message) -> dict:
        """Send one request and read its answer. A server that does not answer in time is stuck (a rehearsed cell
        in a long C call): it is stopped, so `ended` is true and the build replaces it."""
        if self.process.poll() is not None:
            raise ForkServerGone(f"the kernel fork server has exited (status {self.process.returncode}){self.last_words()}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(timeout)
                connection.connect(self.address)
                socket.send_fds(connection, [json.dumps(message).encode()], list(fds))
                with connection.makefile("rb") as stream:
                    answer = stream.readline()
        except TimeoutError as error:
            stuck = not self.preloading  # else it is reading a release, which may take longer
            if stuck:
                self.process.kill()
                self.process.wait()
            raise (ForkServerGone if stuck else ForkServerError)(f"the kernel fork server did not answer {message['op']!r} within {timeout:.0f} s (its log: {self.log})") from error
        except OSError as error:  # refused or reset: the server has exited or is exiting
            raise self._broke_off(f"the kernel fork server broke off {message['op']!r}: {error}") from error
        if not answer.endswith(b"\n"):  # the connection closed before a whole answer
            raise self._broke_off(f"the kernel fork server gave no answer to {message['op']!r}")
        try:
            reply = json.loads(answer)
        except ValueError as error:  # not JSON, or not UTF-8
            raise ForkServerError(f"the kernel fork server answered {message['op']!r} with something not JSON: {error}") from error
        if not isinstance(reply, dict):
            raise ForkServerError(f"the kernel fork server answered {message['op']!r} with {reply!r}, not an object")
        if "error" in reply:
            raise ForkServerError(str(reply["error"]))
        return reply

    def fork(self, argv: list[str], env: dict[str, str], cwd: str, timeout: float = 60.0) -> int:
        """Fork a kernel and return its pid once its sockets are bound."""
        read_end, write_end = os.pipe()
        try:
            try:
                pid = int(self.request(fds=(write_end,), op="fork", argv=argv, env=env, cwd=cwd)["pid"])
            finally:
                os.close(write_end)
            if not select.select([read_end], [], [], timeout)[0] or os.read(read_end, 1) != b"1":
                ForkedKernel(pid).kill()
                raise ForkServerError(f"the forked kernel was not ready within {timeout:.0f} s or exited first")
            return pid
        finally:
            os.close(read_end)

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
        lines of the log (a library's notes, a forked kernel's traceback) are not a reason and are not given as one."""
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


def fork_server() -> ForkServer:
    """This process's fork server, started on first use and stopped when the process exits.

    A server that has exited is replaced. If it held a release, a rehearsed notebook ended it (`os._exit`, a crash,
    a thread left running: a kernel cannot), so the new server reads the same tables and does not rehearse them.
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
        return _server


def stopped_rehearsals() -> list[str]:
    """Why fork servers holding a release ended since the last call (a rehearsed notebook, a crash): the kernels
    after that came from a new server that does not rehearse, slower with the same outputs. The build says so,
    rather than leave a slower build unexplained."""
    reasons = list(_stopped_rehearsals)
    _stopped_rehearsals.clear()
    return reasons


def rehearsals(project, tasks) -> list[dict]:
    """The runs of these tasks as the fork server rehearses them: the notebook, its parameters and the folder its
    kernel starts in (see `forkserver.Rehearsal`)."""
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


def fork_kernel(argv: list[str], env: dict[str, str], cwd: str) -> int:
    """Fork a kernel; from a new server if this one exits meanwhile (a rehearsal ended it, see `fork_server`). Only
    the fork is retried: a new server that cannot read the tables is the task's error."""
    server = fork_server()
    try:
        return server.fork(argv, env, cwd)
    except ForkServerGone:
        pass
    return fork_server().fork(argv, env, cwd)


@atexit.register
def stop_fork_server() -> None:
    """Stop this process's fork server and remove its folder; the next warm kernel starts a new one."""
    global _server, _folder
    with _server_lock:
        if _server is not None:
            _server.close()
            _server = None
        if _folder is not None and _folder[0] == os.getpid():
            shutil.rmtree(_folder[1], ignore_errors=True)
            _folder = None


class ForkedKernel:
    """The `Popen`-like handle the provisioner keeps for a kernel the fork server started."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        """None while the kernel runs; the fork server reaps it, so its exit status is not known and reads 0."""
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def terminate(self) -> None:
        self.send_signal(15)

    def kill(self) -> None:
        self.send_signal(9)


class ForkProvisioner(LocalProvisioner):
    """A local provisioner whose kernels are forked by the fork server instead of started by `Popen`."""

    async def launch_kernel(self, cmd: list[str], **kwargs) -> dict:
        argv = kernel_arguments(cmd)
        env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        pid = await asyncio.to_thread(fork_kernel, argv, env, cwd)
        self.process = ForkedKernel(pid)
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info

    async def poll(self) -> int | None:
        return self.process.poll() if self.process else 0

    async def wait(self) -> int | None:
        if not self.process:
            return 0
        while await self.poll() is None:
            await asyncio.sleep(0.02)
        code, self.process = self.process.returncode, None
        return code


def kernel_arguments(cmd: list[str]) -> list[str]:
    """The ipykernel arguments of a kernel command line such as `python -m ipykernel_launcher -f FILE`."""
    if "-m" in cmd and cmd[cmd.index("-m") + 1] in ("ipykernel_launcher", "ipykernel"):
        return cmd[cmd.index("-m") + 2 :]
    raise ForkServerError(f"warm kernels run ipykernel only; this kernel starts with {' '.join(cmd[:3])}")


class WarmKernelClient(AsyncKernelClient):
    """Knows when the kernel is ready instead of waiting for IOPub to fall quiet.

    jupyter_client asks for the kernel's info, then waits until IOPub has been silent for 0.2 s: a small
    cost after a plain kernel's seconds of imports, but most of a warm kernel's start. This client waits for
    the IOPub welcome (the subscription is live), asks for the kernel's info and reads IOPub up to the idle
    status of that request, which is the last message it causes.
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else 60.0)
        if not await self._iopub_until(lambda message: message["msg_type"] == "iopub_welcome", min(deadline, time.monotonic() + 1.0)):
            return await super()._async_wait_for_ready(timeout)  # a kernel that sends no welcome
        request = self.kernel_info()
        try:
            reply = await self._async_recv_reply(request, timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError as error:
            raise RuntimeError(f"Kernel didn't respond in {timeout} seconds") from error
        self._handle_kernel_info_reply(reply)

        def idle_after_request(message: dict) -> bool:
            return message["msg_type"] == "status" and message["parent_header"].get("msg_id") == request and message["content"]["execution_state"] == "idle"

        await self._iopub_until(idle_after_request, deadline)

    wait_for_ready = _async_wait_for_ready

    async def _iopub_until(self, wanted, deadline: float) -> bool:
        while (left := deadline - time.monotonic()) > 0:
            try:
                if wanted(await self.iopub_channel.get_msg(timeout=left)):
                    return True
            except Empty:
                break
        return False


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


class WarmKernelManager(UnixSocketKernelManager):
    """A kernel manager that forks its kernel from the fork server."""

    client_factory = Type(klass=AsyncKernelClient, default_value=WarmKernelClient)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """Poll a stopping kernel every 5 ms, not 100: a killed fork is gone within a few."""
        await super()._async_wait(pollinterval=0.005)

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        """Kill the kernel's process group and go on without waiting for it to be gone.

        A killed kernel cannot send or write anything more, and every output has arrived before the build stops a
        kernel. The system takes about 10 ms to tear down a fork of the server; nothing needs to wait for it.
        """
        if self.has_kernel:
            await self.provisioner.kill(restart=restart)
            self.provisioner.process = None

    async def _async_pre_start_kernel(self, **kw):
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
        if self.provisioner is None:  # before jupyter_client would make its own
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


@functools.cache
def nbclient_engine() -> type:
    """papermill's nbclient engine with warm kernels.

    Built on first use: papermill loads its engine entry points while it is itself being imported, so this
    module must not import papermill at the top.
    """
    from papermill.engines import NBClientEngine

    class WarmNBClientEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            kwargs.setdefault("kernel_manager_class", WarmKernelManager)
            kwargs.setdefault("shutdown_kernel", "immediate")  # every output has arrived; the process is done
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    return WarmNBClientEngine


class WarmEngine:
    """The `districtstat-warm` papermill engine: nbclient, with kernels forked warm."""

    @classmethod
    def execute_notebook(cls, *args, **kwargs):
        return nbclient_engine().execute_notebook(*args, **kwargs)

    @classmethod
    def nb_kernel_name(cls, *args, **kwargs):
        return nbclient_engine().nb_kernel_name(*args, **kwargs)

    @classmethod
    def nb_language(cls, *args, **kwargs):
        return nbclient_engine().nb_language(*args, **kwargs)
