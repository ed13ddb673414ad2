"""The fork server: a process that imports what notebooks use once, then forks a fresh process per notebook run.

Run as `python -m districtstat.forkserver SOCKET`. It is single-threaded so that forking is safe, prints
`ready` when its imports are done, answers one JSON request per connection on the Unix socket, and exits when
the process that started it closes its standard input (so it never outlives a build).

Requests:
- `{"op": "run", "cells": [...], "env": {...}, "cwd": "..."}`, with the write end of a pipe passed alongside
  (SCM_RIGHTS): fork a process that runs a notebook's cells (`cells.run_cells`) and writes what they showed to the
  pipe; the answer is its pid.
- `{"op": "preload", "params_file": "...", "release": ..., "rehearsals": [...]}`: open that release's tables in
  this process and compute what every district's pages share (`views.shared`), so every run forked afterwards
  starts with them read (see `report.preload`); then, between requests, rehearse these notebook runs once each
  (`Rehearsal`), so later runs also start past the first-run costs of the notebooks' code.
- `{"op": "rehearse", "rehearsals": [...]}`: rehearse more notebook runs on the tables already held.
- `{"op": "status"}`: the params file and release it holds, how many rehearsed cells are still to run, and which
  notebooks' rehearsals failed.

After `ready` its standard output goes to its log (its standard error), so nothing it or a rehearsed cell writes
there can fill a pipe no one reads.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import sys
import threading
import traceback
import types
import warnings

EXIT_WORDS = "the fork server exits:"  # how the reason it exits starts in its log (`warm.ForkServer.last_words`)

# What a notebook imports before its first analysis cell; the heavy part of a plain kernel's start.
PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "scipy.stats",
    "matplotlib.pyplot",
    "seaborn",
    "statsmodels.formula.api",
    "sklearn.model_selection",
    "districtstat.report",
    "districtstat.views",
    "districtstat.views.shared",
    "districtstat.analyses.support_services",
    "districtstat.analyses.topics",
    "districtstat.execution.cells",
    "districtstat.site.downloads",
    "matplotlib.backends.backend_svg",  # and these by what every page does: a chart as SVG, a table as CSV and HTML
    "pandas.core.methods.to_dict",
    "pandas.io.formats.csvs",
    "pandas.io.formats.string",
    "ipykernel.ipkernel",  # and these by the shell a notebook's cells run in (`cells.run_cells`)
    "ipykernel.zmqshell",
    "ipykernel.compiler",
    "matplotlib_inline.backend_inline",
    "IPython.core.logger",
    "stack_data",
    "pygments.formatters.html",
    "pygments.formatters.terminal256",
    "pygments.lexers.python",
    "pygments.styles",
    "IPython.core.application",
    "IPython.core.completerlib",
    "IPython.core.crashhandler",
    "IPython.core.oinspect",
    "IPython.utils.wildcard",
    "bdb",
)


def warm_up_charts() -> None:
    """Draw one throwaway chart as a page's charts are drawn (SVG), so fonts are loaded and cached before any run is forked.

    Inside `rc_context`, which puts matplotlib's settings back: a run starts with the defaults a plain
    kernel has. Also ask matplotlib whether the inline backend is one it knows, as every run does when its shell
    sets it (`cells.inline_figures`): the first such question reads every installed package's entry points, 3 ms
    of each run's time, here read once.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.backends import backend_registry

    from districtstat.execution.cells import INLINE
    from districtstat.site import charts

    backend_registry.is_valid_backend(INLINE[1])

    with matplotlib.rc_context():
        fig, ax = charts.figure()
        ax.bar(["a", "b"], [1, 2], label="c")
        ax.set_title("Warm-up 0123456789")
        ax.set_xlabel("x")
        ax.legend()
        charts.svg_markup(fig, "warm-up")
    plt.close("all")


REHEARSAL_SECONDS = 120


def code_cells(notebook: str, parameters: dict) -> list[str]:
    """A notebook's code cells as papermill would run them: the parameters cell, then the parameters it injects."""
    with open(notebook, encoding="utf-8") as stream:
        cells = json.load(stream)["cells"]
    sources = []
    for cell in cells:
        if cell["cell_type"] == "code":
            source, tags = "".join(cell["source"]), cell.get("metadata", {}).get("tags", [])
            if source.strip() and "skip-execution" not in tags:  # the cells a run runs (`cells.runs`)
                sources.append(source)
            if "parameters" in tags:
                sources.append("\n".join(f"{name} = {value!r}" for name, value in parameters.items()))
    return sources


class UnsafeToFork(RuntimeError):
    """A rehearsed cell left this process in a state its runs must not inherit; the server exits (see `serve`)."""


class ThreadLeft(UnsafeToFork):
    """A rehearsed cell left a thread running: a fork copies one thread, and a lock the other held stays locked."""


class ModulesChanged(UnsafeToFork):
    """A rehearsed cell set, replaced or deleted an attribute of a module loaded before it.

    The change is put back, but a module the same cell imported may have made it (a library patching another at
    import): put back, that library would believe in a patch its runs lack; kept, a notebook's own setting would
    reach every run. Neither is a plain kernel's state, so the server is replaced. districtstat's own notebooks
    change no module's attributes (measured: none of the example's or California's rehearsed cells).
    """


class Rehearsal:
    """Notebook runs done once in this process, with the parameters of real tasks, one cell at a time whenever
    no request is waiting.

    A run forked from a server that has only imported the libraries still pays, in every notebook, for what
    code pays the first time it runs in a process: modules its functions import, the type checks Python caches
    per class, fonts and text measured, patterns compiled. Measured, that was about 40% of a warm notebook's
    cells (`benchmarks/notebook_time.py`). Rehearsed here, every fork afterwards starts past it. A run asked
    for during the rehearsal waits for the cell under way (a fraction of a second for a district's page, at most
    `REHEARSAL_SECONDS` in Python code), then starts less warm.

    A rehearsed cell runs inside `kept_state`, which puts back what code commonly changes for the whole process
    (settings of matplotlib, pandas and numpy, random states, warnings, logging, the environment, signal handlers,
    the locale, the modules' attributes) and closes its figures (an open figure would be shown by the next run's
    inline backend); its output is discarded. What the release remembers is what any notebook would compute from the same tables. A
    notebook that changes state inside an object a module keeps (fills a list it holds) would hand that on to later
    runs: the test that warm runs and plain kernels write identical notebooks guards districtstat's own, and
    `districtstat verify --executor plain` any project's. A cell that fails, or runs past `REHEARSAL_SECONDS` in Python code,
    ends its notebook's rehearsal: the task itself reports the error. A cell that leaves a thread running, changes
    a module's attributes or leaves a state that cannot be put back raises `UnsafeToFork`, and the server exits (see
    `serve`). Putting the state back is not timed (the alarm is off by then); a server stuck there is stopped by the
    build's request timeout.
    """

    def __init__(self, rehearsals: list[dict] = ()):
        self.cells: collections.deque = collections.deque()
        self.failed: list[str] = []
        self.threads = threading.active_count()
        self.add(rehearsals)

    def add(self, rehearsals: list[dict]) -> None:
        for rehearsal in rehearsals:
            namespace = {"__name__": "__main__"}
            try:
                sources = code_cells(rehearsal["notebook"], rehearsal["parameters"])
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
        """Run the next cell; after the last, freeze the heap so a run's garbage collections skip what it
        inherited. The notebooks' namespaces are gone by then (`_run_next` has returned), so only what the
        release and the libraries keep is frozen."""
        self._run_next()
        if not self.cells:
            freeze_heap()

    def _run_next(self) -> None:
        notebook, cwd, namespace, source = self.cells.popleft()
        previous = signal.signal(signal.SIGALRM, _too_long)
        changed: list[str] = []
        try:
            signal.alarm(REHEARSAL_SECONDS)
            with kept_state(cwd, changed):
                try:
                    exec(compile(source, notebook, "exec"), namespace)
                finally:
                    signal.alarm(0)  # before the state is put back, which must not be interrupted
        except UnsafeToFork:
            raise
        except BaseException as error:  # a notebook's sys.exit() must not end the server
            self._failed(notebook, error)
            while self.cells and self.cells[0][0] == notebook:
                self.cells.popleft()
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        if threading.active_count() > self.threads:
            raise ThreadLeft(f"a rehearsed cell of {notebook} left {threading.active_count() - self.threads} thread(s) running")
        if changed:
            raise ModulesChanged(f"a rehearsed cell of {notebook} changed {', '.join(changed[:3])}" + (f" and {len(changed) - 3} more" if len(changed) > 3 else ""))

    def run(self) -> list[str]:
        """Every cell now (the benchmarks' stand-in for the server); gives back what failed."""
        while self.pending:
            self.step()
        return self.failed


@contextlib.contextmanager
def kept_state(cwd: str, changed_modules: list[str] | None = None):
    """Run code in `cwd` with its output discarded and warnings silenced; afterwards close its figures and put back
    what code commonly changes for the whole process (`process_state`, logging's handlers and levels, the attributes
    of every module). What it changes inside an object a module holds (a list it fills) stays. The module attributes
    it changed are added to `changed_modules`; a state that cannot be put back raises `UnsafeToFork`."""
    import matplotlib
    import matplotlib.pyplot as plt

    process, loggers, modules = process_state(), logging_state(), module_attributes()
    try:
        os.chdir(cwd)
        with matplotlib.rc_context(), warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        try:
            plt.close("all")
            restore_process_state(process)
            restore_logging(loggers)
            changed = restore_module_attributes(modules)
            if changed_modules is not None:
                changed_modules.extend(changed)
        except BaseException as error:  # a state half put back is not one to fork runs from
            raise UnsafeToFork(f"putting back the process's state after a rehearsed cell failed: {type(error).__name__}: {error}") from error


def module_attributes() -> dict:
    """Every loaded module and a shallow copy of its attributes (about 100,000 of them, in 5 ms)."""
    return {name: (module, dict(vars(module))) for name, module in list(sys.modules.items()) if isinstance(module, types.ModuleType)}


_MISSING = object()


def restore_module_attributes(before: dict) -> list[str]:
    """Put back the attributes of the modules loaded before a cell: what it set, replaced or deleted on them (a
    notebook's `sys.flag = ...`, a library's cache assigned on first use). Kept: the modules imported meanwhile, and
    the submodules those imports set on their packages, which a later `import` would not set again. Gives back what
    was put back that a run must not have seen (as `module.attribute`): a public name added, or any name replaced
    or deleted. A private name a library adds on first use (`pyarrow.lib.__pc`) or Python's `__warningregistry__` is
    put back quietly: the library makes it again. A name the module's own `__getattr__` caches (a lazy import) is
    kept, as it is (`_lazy_attribute`)."""
    changed = []
    for name, (module, attributes) in before.items():
        now = vars(module)
        if len(now) == len(attributes) and all(now.get(key, _MISSING) is value for key, value in attributes.items()):
            continue
        added = {key: now.pop(key) for key in [key for key, value in now.items() if key not in attributes and not _submodule(module, value)]}
        for key, value in attributes.items():
            if now.get(key, _MISSING) is not value:
                now[key] = value
                if key != "__warningregistry__":
                    changed.append(f"{name}.{key}")
        for key, value in added.items():  # asked once the module is as it was, so the cell's names cannot sway the answer
            if key.startswith("_"):
                continue
            if _lazy_attribute(attributes.get("__getattr__"), key, value):
                now[key] = value
            else:
                changed.append(f"{name}.{key}")
    return sorted(changed)


def _lazy_attribute(lazy, key: str, value) -> bool:
    """Whether the module's `__getattr__` (PEP 562) as it was before the cell gives this very object for the name: a
    lazy import it caches on first use (pydantic's `GetCoreSchemaHandler`), the same object every run would get.
    Such a name is kept; a name a notebook sets (`module.flag = 1`) is not one that `__getattr__` gives back. Asked
    only for a public name the module did not have; anything it raises counts as no."""
    if not callable(lazy):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return lazy(key) is value
    except BaseException:
        return False


def _submodule(package: types.ModuleType, value) -> bool:
    return isinstance(value, types.ModuleType) and value.__name__.rpartition(".")[0] == package.__name__


@functools.cache
def pandas_option_names() -> tuple[str, ...]:
    """Every pandas option's full name. pandas lists them only in `describe_option`'s text; its registry is the
    same list, read once."""
    from pandas._config import config

    return tuple(sorted(config._registered_options))


def process_state() -> dict:
    """What code commonly changes for the whole process, beyond logging and its modules' attributes: the working
    folder, the environment, `sys.path`, numpy's, pandas' and Python's settings and random states, the recursion
    limit, the garbage collector's settings, signal handlers set from Python and the blocked signals, the file
    creation mask, the locale, sockets' default timeout, and a trace or profile function. Not all there is (resource
    limits, `faulthandler`, `tracemalloc` are not kept)."""
    import locale
    import random

    import numpy as np
    import pandas as pd

    with warnings.catch_warnings():  # reading a deprecated option warns
        warnings.simplefilter("ignore")
        pandas_settings = {name: pd.get_option(name) for name in pandas_option_names()}
    return {
        "cwd": os.getcwd(),
        "environment": dict(os.environ),
        "path": list(sys.path),
        "numpy_print": np.get_printoptions(),
        "numpy_errors": np.geterr(),
        "numpy_random": np.random.get_state(),
        "python_random": random.getstate(),
        "pandas": pandas_settings,
        "recursion": sys.getrecursionlimit(),
        "collector": (gc.isenabled(), gc.get_threshold()),
        "signals": {number: handler for number in signal.valid_signals() if (handler := signal.getsignal(number)) is not None},
        "blocked": signal.pthread_sigmask(signal.SIG_BLOCK, []),
        "umask": _umask(),
        "locale": locale.setlocale(locale.LC_ALL),
        "socket_timeout": socket.getdefaulttimeout(),
        "trace": sys.gettrace(),
        "profile": sys.getprofile(),
    }


def _umask() -> int:
    """The file creation mask, read without changing it where the system says it (Linux); else set and put back."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        mask = os.umask(0o022)
        os.umask(mask)
        return mask


def restore_process_state(state: dict) -> None:
    import locale
    import random

    import numpy as np
    import pandas as pd

    os.chdir(state["cwd"])
    os.environ.clear()
    os.environ.update(state["environment"])
    sys.path[:] = state["path"]
    np.set_printoptions(**state["numpy_print"])
    np.seterr(**state["numpy_errors"])
    np.random.set_state(state["numpy_random"])
    random.setstate(state["python_random"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, value in state["pandas"].items():
            if pd.get_option(name) != value:
                pd.set_option(name, value)  # through pandas, so an option's callback runs as it would have
    sys.setrecursionlimit(state["recursion"])
    (gc.enable if state["collector"][0] else gc.disable)()
    gc.set_threshold(*state["collector"][1])
    for number, handler in state["signals"].items():
        if signal.getsignal(number) is not handler:
            signal.signal(number, handler)
    signal.pthread_sigmask(signal.SIG_SETMASK, state["blocked"])
    os.umask(state["umask"])
    if locale.setlocale(locale.LC_ALL) != state["locale"]:
        locale.setlocale(locale.LC_ALL, state["locale"])
    socket.setdefaulttimeout(state["socket_timeout"])
    if sys.gettrace() is not state["trace"]:  # set only when changed: setting a tracer again resets its running frames
        sys.settrace(state["trace"])
    if sys.getprofile() is not state["profile"]:
        sys.setprofile(state["profile"])


def logging_state() -> dict:
    import logging

    loggers = [logging.getLogger(), *(logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger))]
    state = {logger: (list(logger.handlers), logger.level, logger.propagate, logger.disabled) for logger in loggers}
    return state | {"disable": logging.root.manager.disable}


def restore_logging(state: dict) -> None:
    """Put back each logger's handlers and level, and `logging.disable`, as they were; a logger the code created loses
    the handlers it was given."""
    import logging

    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            handlers, level, logger.propagate, logger.disabled = state.get(logger, ([], logger.level, logger.propagate, logger.disabled))
            logger.handlers[:] = handlers
            logger.setLevel(level)
    logging.disable(state["disable"])


def _too_long(signum, frame):
    raise TimeoutError(f"a rehearsed cell ran longer than {REHEARSAL_SECONDS} s")


def preload(params_file: str, release: str | None, rehearsals: list[dict]) -> Rehearsal:
    """Read the release and compute what the pages share; gives back the rehearsal of the notebooks, still to run."""
    from districtstat import report
    from districtstat.views.shared import compute_shared

    if report.preloaded():
        gc.unfreeze()  # the previous preload's objects may be freed again (and the collection after walks the whole heap)
    compute_shared(report.preload(params_file, release))
    rehearsal = Rehearsal(rehearsals)
    if not rehearsal.pending:
        freeze_heap()
    return rehearsal


def freeze_heap() -> None:
    """Move what this process holds out of the garbage collector's reach: a run's collections then skip what it
    inherited, and its pages stay shared with this process's instead of being copied as the collector touches them."""
    gc.collect()
    gc.freeze()


def run_forked_cells(cells: list[dict], env: dict[str, str], cwd: str, result: int) -> None:
    """In the forked child: become what a kernel process starts as (its own session, so the build can stop it with
    its group; the kernel's environment and folder; no terminal; the default handling of interrupts and children),
    run a notebook's cells (`cells.run_cells`) and write what they showed to the pipe `result`. The build reads it to
    its end; a child that dies leaves it short, and the task fails. A child whose server died before answering
    writes to a pipe no one reads, and ends there."""
    os.setsid()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from districtstat.execution.cells import run_cells

    os.set_inheritable(result, False)  # a program a cell starts must not hold the build's pipe open
    try:
        answer = run_cells(cells)
    except Exception as error:  # the shell around the cells failed: said to the build, not to /dev/null
        answer = json.dumps({"failed": f"{type(error).__name__}: {error}"}).encode()
    answer = memoryview(len(answer).to_bytes(8, "big") + answer)  # its length first: the build stops reading at its end
    while answer:
        answer = answer[os.write(result, answer) :]
    os.close(result)


def fork_run(request: dict, result: int, listener: socket.socket, selector: selectors.BaseSelector, connection: socket.socket) -> int:
    """Fork a run of a notebook's cells (`run_forked_cells`); the child exits with its status, never returning to the
    server's loop."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            selector.close()
            listener.close()
            connection.close()  # else a server that dies before answering leaves the build waiting on this copy
            run_forked_cells(request["cells"], request["env"], request["cwd"], result)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 0
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    return pid


class Held:
    """What the server holds between requests: the release it preloaded and the rehearsal under way."""

    def __init__(self):
        self.release: dict | None = None
        self.rehearsal = Rehearsal()


def answer(connection: socket.socket, listener: socket.socket, selector: selectors.BaseSelector, held: Held) -> None:
    """Answer one request; a malformed one gets an error back and leaves the server running."""
    fds: list[int] = []
    with connection:
        try:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 1)
            while chunk := connection.recv(1 << 20):  # a request longer than one read, up to the build's end of writing
                message += chunk
            request = json.loads(message)
            if request["op"] == "run":
                reply = {"pid": fork_run(request, fds[0], listener, selector, connection)}
            elif request["op"] == "preload":
                held.release, held.rehearsal = None, Rehearsal()
                held.rehearsal = preload(request["params_file"], request.get("release"), request.get("rehearsals", []))
                held.release = {"params_file": request["params_file"], "release": request.get("release")}
                reply = {"ok": True}
            elif request["op"] == "rehearse":
                held.rehearsal.add(request["rehearsals"])
                reply = {"ok": True}
            elif request["op"] == "status":
                reply = {"holds": held.release, "pending": len(held.rehearsal.cells), "failed": held.rehearsal.failed}
            else:
                reply = {"error": f"unknown request {request['op']!r}"}
        except Exception as error:  # the answer carries the error to the build, which reports it for the task
            reply = {"error": f"{type(error).__name__}: {error}"}
        finally:
            for fd in fds:
                os.close(fd)
        try:
            connection.sendall(json.dumps(reply).encode() + b"\n")
        except OSError:  # the build stopped waiting (its timeout); the server goes on
            pass


def serve(path: str) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # runs are reaped by the system; the build reads their pipes to the end
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the build, which closes stdin to stop us
    gc.disable()  # else the collector walks the growing heap again and again while the libraries import: a sixth of their time
    try:
        for module in PRELOAD:
            importlib.import_module(module)
        warm_up_charts()
        gc.freeze()  # and not all at once in the first collection after: they live as long as the server (`preload` thaws them)
    finally:
        gc.enable()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "listener")
    selector.register(sys.stdin, selectors.EVENT_READ, "parent")
    print("ready", flush=True)
    os.dup2(2, 1)  # the build reads no more from our standard output
    held = Held()
    while True:
        events = selector.select(timeout=0 if held.rehearsal.pending else None)
        if not events and held.rehearsal.pending:
            try:
                held.rehearsal.step()
            except UnsafeToFork as error:
                # Exit rather than fork runs from this state; the build starts a new server that holds the same
                # tables and does not rehearse them again (`warm.fork_server`).
                print(f"\n{EXIT_WORDS} {str(error).replace(chr(10), ' ')}", file=sys.stderr, flush=True)
                os._exit(3)
        for key, _ in events:
            if key.data == "parent":
                if not sys.stdin.buffer.read1(4096):
                    return
                continue
            connection, _ = listener.accept()
            answer(connection, listener, selector, held)


if __name__ == "__main__":
    serve(sys.argv[1])
