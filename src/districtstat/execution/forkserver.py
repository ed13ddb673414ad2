"""The fork server: a process that imports what notebooks use once, then forks a fresh kernel per notebook.

Run as `python -m districtstat.forkserver SOCKET`. It is single-threaded so that forking is safe, prints
`ready` when its imports are done, answers one JSON request per connection on the Unix socket, and exits when
the process that started it closes its standard input (so it never outlives a build).

Requests:
- `{"op": "fork", "argv": [...], "env": {...}, "cwd": "..."}`, with the write end of a pipe passed alongside
  (SCM_RIGHTS): fork a kernel; the answer is its pid. The kernel writes to the pipe once its sockets are
  bound, so the build connects at once instead of retrying every 100 ms.
- `{"op": "preload", "params_file": "...", "release": ..., "rehearsals": [...]}`: open that release's tables in
  this process and compute what every district's pages share (`views.shared`), so every kernel forked afterwards
  starts with them read (see `report.preload`); then, between requests, rehearse each kind of notebook once
  (`Rehearsal`), so later kernels also start past the first-run costs of the notebooks' code.
- `{"op": "rehearsal"}`: how many rehearsed cells are still to run, and which notebooks' rehearsals failed.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import sys
import traceback
import warnings

# What a notebook imports before its first analysis cell; the heavy part of a kernel's start.
PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "scipy.stats",
    "matplotlib.pyplot",
    "seaborn",
    "statsmodels.formula.api",
    "sklearn.model_selection",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.debugger",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "matplotlib_inline.backend_inline",
    "districtstat.report",
    "districtstat.views",
    "districtstat.views.shared",
    "IPython.core.completerlib",  # imported by each kernel's shell as it starts
    "IPython.core.debugger",  # and these by each kernel's app as it initialises
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "IPython.utils.wildcard",
    "sqlite3",
    "pdb",
    "tornado.platform.asyncio",
)


def warm_up_charts() -> None:
    """Draw one throwaway chart, so fonts are loaded and cached before any kernel is forked.

    Inside `rc_context`, which puts matplotlib's settings back: a kernel starts with the defaults a plain
    kernel has.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    from districtstat.site import charts

    with matplotlib.rc_context():
        fig, ax = charts.figure()
        ax.bar(["a", "b"], [1, 2], label="c")
        ax.set_title("Warm-up 0123456789")
        ax.set_xlabel("x")
        ax.legend()
        charts.png_bytes(fig)
    plt.close("all")


REHEARSAL_SECONDS = 120


def code_cells(notebook: str) -> list[str]:
    """A notebook's code cells, but for the parameters cell, whose defaults a rehearsal replaces."""
    with open(notebook, encoding="utf-8") as stream:
        cells = json.load(stream)["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code" and "parameters" not in cell.get("metadata", {}).get("tags", [])]


class Rehearsal:
    """Each notebook's code run once in this process, with the parameters of a real task, one cell at a time
    whenever no request is waiting.

    A kernel forked from a server that has only imported the libraries still pays, in every notebook, for what
    code pays the first time it runs in a process: modules its functions import, the type checks Python caches
    per class, fonts and text measured, patterns compiled. Measured, that was about 40% of a warm notebook's
    cells (`benchmarks/notebook_time.py`). Rehearsed here, every fork afterwards starts past it; kernels
    forked meanwhile start at once, less warm, so no core waits for the rehearsal.

    A rehearsed cell runs inside `kept_state`, which puts back what code commonly changes for the whole process
    (settings of matplotlib, pandas and numpy, random states, warnings, the environment) and closes its figures (an
    open figure would be shown by the next kernel's inline backend); its output is discarded. What the release
    remembers is what any notebook would compute from the same tables. A notebook that changes other state of a
    module (sets an attribute on it, fills a list it keeps) would hand that on to later kernels: the test that
    warm and plain kernels write identical notebooks guards districtstat's own, and `districtstat verify
    --executor plain` any project's. A cell that fails, or runs past `REHEARSAL_SECONDS`, ends its notebook's
    rehearsal: the task itself reports the error.
    """

    def __init__(self, rehearsals: list[dict]):
        self.cells: collections.deque = collections.deque()
        self.failed: list[str] = []
        for rehearsal in rehearsals:
            namespace = {"__name__": "__main__", **rehearsal["parameters"]}
            try:
                sources = code_cells(rehearsal["notebook"])
            except (OSError, ValueError, KeyError) as error:
                self._failed(rehearsal["notebook"], error)
                continue
            self.cells.extend((rehearsal["notebook"], rehearsal["cwd"], namespace, source) for source in sources)

    @property
    def pending(self) -> bool:
        return bool(self.cells)

    def _failed(self, notebook: str, error: BaseException) -> None:
        self.failed.append(f"{notebook}: {type(error).__name__}: {error}")
        print(f"rehearsal of {notebook} stopped: {type(error).__name__}: {error}", file=sys.stderr, flush=True)

    def step(self) -> None:
        """Run the next cell; after the last, freeze the heap so a kernel's garbage collections skip what it inherited."""
        notebook, cwd, namespace, source = self.cells.popleft()
        previous = signal.signal(signal.SIGALRM, _too_long)
        try:
            signal.alarm(REHEARSAL_SECONDS)
            with kept_state(cwd):
                exec(compile(source, notebook, "exec"), namespace)
        except BaseException as error:  # a notebook's sys.exit() must not end the server
            self._failed(notebook, error)
            while self.cells and self.cells[0][0] == notebook:
                self.cells.popleft()
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        if not self.cells:
            freeze_heap()

    def run(self) -> list[str]:
        """Every cell now (the benchmarks' stand-in for the server); gives back what failed."""
        while self.pending:
            self.step()
        return self.failed


@contextlib.contextmanager
def kept_state(cwd: str):
    """Run code in `cwd` with its output discarded, warnings silenced, and afterwards put back what code commonly
    changes for the whole process: matplotlib's, pandas' and numpy's settings, numpy's and Python's global
    random states, the environment, `sys.path` and the working folder; and close its figures."""
    import random

    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    from pandas._config import config as pandas_options

    here, environment, path = os.getcwd(), dict(os.environ), list(sys.path)
    numpy_print, numpy_errors, numpy_random, python_random = np.get_printoptions(), np.geterr(), np.random.get_state(), random.getstate()
    pandas_settings = copy.deepcopy(pandas_options._global_config)
    try:
        os.chdir(cwd)
        with matplotlib.rc_context(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        plt.close("all")
        os.chdir(here)
        os.environ.clear()
        os.environ.update(environment)
        sys.path[:] = path
        np.set_printoptions(**numpy_print)
        np.seterr(**numpy_errors)
        np.random.set_state(numpy_random)
        random.setstate(python_random)
        pandas_options._global_config.clear()
        pandas_options._global_config.update(pandas_settings)


def _too_long(signum, frame):
    raise TimeoutError(f"a rehearsed cell ran longer than {REHEARSAL_SECONDS} s")


def preload(params_file: str, release: str | None, rehearsals: list[dict]) -> Rehearsal:
    """Read the release and compute what the pages share; gives back the rehearsal of the notebooks, still to run."""
    from districtstat import report
    from districtstat.views.shared import compute_shared

    gc.unfreeze()  # the previous preload's objects may be freed again
    compute_shared(report.preload(params_file, release))
    rehearsal = Rehearsal(rehearsals)
    if not rehearsal.pending:
        freeze_heap()
    return rehearsal


def freeze_heap() -> None:
    """Move what this process holds out of the garbage collector's reach: a kernel's collections then skip what it
    inherited, and its pages stay shared with this process's instead of being copied as the collector touches them."""
    gc.collect()
    gc.freeze()


def run_kernel(argv: list[str], env: dict[str, str], cwd: str, ready: int) -> None:
    """In the forked child: become the kernel that `python -m ipykernel_launcher ARGV` would have been."""
    os.setsid()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.argv = ["ipykernel_launcher", *argv]
    from ipykernel import kernelapp

    app = kernelapp.IPKernelApp.instance()
    app.initialize(argv)
    os.write(ready, b"1")
    os.close(ready)
    app.start()


def fork_kernel(request: dict, ready: int, listener: socket.socket, selector: selectors.BaseSelector) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            selector.close()
            listener.close()
            run_kernel(request["argv"], request["env"], request["cwd"], ready)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 0
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    return pid


def answer(connection: socket.socket, listener: socket.socket, selector: selectors.BaseSelector, rehearsal: Rehearsal) -> Rehearsal:
    """Answer one request; a malformed one gets an error back and leaves the server running. Gives back the
    rehearsal to run between requests: a preload's, or the one under way."""
    fds: list[int] = []
    with connection:
        try:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 1)
            request = json.loads(message)
            if request["op"] == "fork":
                reply = {"pid": fork_kernel(request, fds[0], listener, selector)}
            elif request["op"] == "preload":
                rehearsal = preload(request["params_file"], request.get("release"), request.get("rehearsals", []))
                reply = {"ok": True}
            elif request["op"] == "rehearsal":
                reply = {"pending": len(rehearsal.cells), "failed": rehearsal.failed}
            else:
                reply = {"error": f"unknown request {request['op']!r}"}
        except Exception as error:  # the answer carries the error to the build, which reports it for the task
            reply = {"error": f"{type(error).__name__}: {error}"}
        finally:
            for fd in fds:
                os.close(fd)
        connection.sendall(json.dumps(reply).encode() + b"\n")
    return rehearsal


def serve(path: str) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped by the system; the build polls their pids
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the build, which closes stdin to stop us
    for module in PRELOAD:
        importlib.import_module(module)
    warm_up_charts()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "listener")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")
    print("ready", flush=True)
    rehearsal = Rehearsal([])
    while True:
        events = selector.select(timeout=0 if rehearsal.pending else None)
        if not events and rehearsal.pending:
            rehearsal.step()
        for key, _ in events:
            if key.data == "parent":
                if not sys.stdin.buffer.read1(4096):
                    return
                continue
            connection, _ = listener.accept()
            rehearsal = answer(connection, listener, selector, rehearsal)


if __name__ == "__main__":
    serve(sys.argv[1])
