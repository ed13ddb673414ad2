"""The fork server: a process that imports what notebooks use once, then forks a fresh kernel per notebook.

Run as `python -m districtstat.forkserver SOCKET`. It is single-threaded so that forking is safe, prints
`ready` when its imports are done, answers one JSON request per connection on the Unix socket, and exits when
the process that started it closes its standard input (so it never outlives a build).

Requests:
- `{"op": "fork", "argv": [...], "env": {...}, "cwd": "..."}`, with the write end of a pipe passed alongside
  (SCM_RIGHTS): fork a kernel; the answer is its pid. The kernel writes to the pipe once its sockets are
  bound, so the build connects at once instead of retrying every 100 ms.
- `{"op": "preload", "params_file": "...", "release": ..., "rehearsals": [...]}`: open that release's tables in
  this process, compute what every district's pages share (`views.shared`), and rehearse each kind of notebook
  once (`rehearse`), so every kernel forked afterwards starts with the tables read and past the first-run costs
  of the notebooks' code (see `report.preload`).
"""

from __future__ import annotations

import contextlib
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


def rehearse(rehearsals: list[dict]) -> list[str]:
    """Run each notebook's code once in this process, with the parameters of a real task; gives back what failed.

    A kernel forked from a server that has only imported the libraries still pays, in every notebook, for what
    code pays the first time it runs in a process: modules its functions import, the type checks Python caches
    per class, fonts and text measured, patterns compiled. Measured, that is a third of a warm notebook
    (`benchmarks/notebook_time.py`). Run once here, every fork starts past it. What the rehearsal leaves behind
    cannot reach a kernel's outputs: matplotlib's settings are put back, figures closed, warnings silenced (so
    no kernel misses a warning it would have shown) and its output discarded; what the release remembers is
    what any notebook would compute from the same tables. A rehearsal that fails, or runs past
    `REHEARSAL_SECONDS`, is left: the task itself reports the error.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    def too_long(signum, frame):
        raise TimeoutError(f"rehearsal longer than {REHEARSAL_SECONDS} s")

    failed = []
    here = os.getcwd()
    previous = signal.signal(signal.SIGALRM, too_long)
    for rehearsal in rehearsals:
        namespace = {"__name__": "__main__", **rehearsal["parameters"]}
        try:
            signal.alarm(REHEARSAL_SECONDS)
            os.chdir(rehearsal["cwd"])
            with matplotlib.rc_context(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                for source in code_cells(rehearsal["notebook"]):
                    exec(compile(source, rehearsal["notebook"], "exec"), namespace)
        except BaseException as error:  # a notebook's sys.exit() must not end the server
            failed.append(f"{rehearsal['notebook']}: {type(error).__name__}: {error}")
        finally:
            signal.alarm(0)
            os.chdir(here)
            plt.close("all")
    signal.signal(signal.SIGALRM, previous)
    return failed


def preload(params_file: str, release: str | None, rehearsals: list[dict]) -> list[str]:
    """Read the release, compute what the pages share and rehearse the notebooks; gives back the failed rehearsals."""
    from districtstat import report
    from districtstat.views.shared import compute_shared

    gc.unfreeze()  # the previous preload's objects may be freed again
    compute_shared(report.preload(params_file, release))
    failed = rehearse(rehearsals)
    gc.collect()
    gc.freeze()  # a kernel's collections then skip what it inherited, and do not copy its pages
    return failed


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


def answer(connection: socket.socket, listener: socket.socket, selector: selectors.BaseSelector) -> None:
    """Answer one request; a malformed one gets an error back and leaves the server running."""
    fds: list[int] = []
    with connection:
        try:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 1)
            request = json.loads(message)
            if request["op"] == "fork":
                reply = {"pid": fork_kernel(request, fds[0], listener, selector)}
            elif request["op"] == "preload":
                reply = {"ok": True, "rehearsals_failed": preload(request["params_file"], request.get("release"), request.get("rehearsals", []))}
            else:
                reply = {"error": f"unknown request {request['op']!r}"}
        except Exception as error:  # the answer carries the error to the build, which reports it for the task
            reply = {"error": f"{type(error).__name__}: {error}"}
        finally:
            for fd in fds:
                os.close(fd)
        connection.sendall(json.dumps(reply).encode() + b"\n")


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
    while True:
        for key, _ in selector.select():
            if key.data == "parent":
                if not sys.stdin.buffer.read1(4096):
                    return
                continue
            connection, _ = listener.accept()
            answer(connection, listener, selector)


if __name__ == "__main__":
    serve(sys.argv[1])
