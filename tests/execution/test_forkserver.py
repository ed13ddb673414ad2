"""The fork server's rehearsal, run in this process: what it executes and what it puts back."""

import builtins
import contextlib
import gc
import logging
import os
import threading

import nbformat
import pandas as pd
import pytest

from districtstat.execution import forkserver


def notebook(tmp_path, *sources: str, parameters: str = 'district_id = "D00"\nthreshold = 3') -> dict:
    cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})] + [nbformat.v4.new_code_cell(source) for source in sources]
    path = tmp_path / "rehearsed.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return {"name": "rehearsed", "notebook": str(path), "parameters": {"district_id": "D07"}, "cwd": str(tmp_path)}


def test_a_rehearsal_runs_the_parameters_cell_then_the_injected_parameters(tmp_path):
    """A default the build does not inject (`threshold`) is defined, and an injected one replaces its default."""
    run = notebook(tmp_path, "open('seen.txt', 'w').write(repr((district_id, threshold)))")
    assert forkserver.code_cells(run["notebook"], run["parameters"])[:2] == ['district_id = "D00"\nthreshold = 3', "district_id = 'D07'"]
    try:
        assert forkserver.Rehearsal([run]).run() == []
        assert (tmp_path / "seen.txt").read_text() == "('D07', 3)"
    finally:
        gc.unfreeze()


def test_a_rehearsed_cell_that_changes_a_module_stops_the_rehearsal_with_the_change_put_back_and_its_imports_kept(tmp_path):
    (tmp_path / "rehearsed_package").mkdir()
    (tmp_path / "rehearsed_package" / "__init__.py").write_text("")
    (tmp_path / "rehearsed_package" / "part.py").write_text("VALUE = 1\n")
    run = notebook(tmp_path, "import sys\nsys.path.insert(0, '.')\nimport rehearsed_package.part", "import sys, json\nsys.districtstat_flag = 1\njson.dumps = None\ndel json.loads")
    import json
    import sys

    dumps, loads = json.dumps, json.loads
    rehearsal = forkserver.Rehearsal([run])
    try:
        for _ in range(3):  # the parameters cell, the injected parameters, the import: no module changed
            rehearsal.step()
        with pytest.raises(forkserver.ModulesChanged, match="changed json.dumps, json.loads, sys.districtstat_flag"):
            rehearsal.step()
        assert not hasattr(sys, "districtstat_flag") and json.dumps is dumps and json.loads is loads
        assert sys.modules["rehearsed_package"].part.VALUE == 1  # an import in a kernel finds the submodule on its package
    finally:
        json.dumps, json.loads = dumps, loads
        sys.modules.pop("rehearsed_package.part", None)
        sys.modules.pop("rehearsed_package", None)
        gc.unfreeze()


def test_a_name_a_lazy_module_caches_on_first_use_is_kept_and_one_a_cell_sets_on_it_is_not(tmp_path):
    """pydantic's `__getattr__` (PEP 562) imports a name on first use and caches it among the package's own: every
    kernel would get that same object, so the rehearsal goes on. A name the cell sets itself ends it."""
    (tmp_path / "lazy_package").mkdir()
    (tmp_path / "lazy_package" / "__init__.py").write_text(
        "def __getattr__(name):\n"
        "    if name != 'Handler':\n"
        "        raise SystemExit(name)  # not even an Exception: still no\n"
        "    from lazy_package._handlers import Handler\n"
        "    globals()['Handler'] = Handler\n"
        "    return Handler\n"
    )
    (tmp_path / "lazy_package" / "_handlers.py").write_text("class Handler:\n    pass\n")
    import sys

    sys.path.insert(0, str(tmp_path))
    import lazy_package

    run = notebook(
        tmp_path,
        "import lazy_package\nlazy_package.Handler",
        "import lazy_package\nlazy_package.Helper = 1",
        "import lazy_package\nlazy_package.flag = flag = object()\nlazy_package.__getattr__ = lambda name: flag",  # its own __getattr__ does not vouch for it
    )
    rehearsal = forkserver.Rehearsal([run])
    try:
        for _ in range(3):  # the parameters cell, the injected parameters, the first use of the lazy name
            rehearsal.step()
        assert lazy_package.Handler is sys.modules["lazy_package._handlers"].Handler
        with pytest.raises(forkserver.ModulesChanged, match="changed lazy_package.Helper$"):
            rehearsal.step()
        assert "Helper" not in vars(lazy_package)
        with pytest.raises(forkserver.ModulesChanged, match="changed lazy_package.__getattr__, lazy_package.flag$"):
            rehearsal.step()
        assert "flag" not in vars(lazy_package)
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("lazy_package._handlers", "lazy_package"):
            sys.modules.pop(name, None)
        gc.unfreeze()


def test_the_heap_is_frozen_after_the_last_notebook_s_namespace_is_gone(tmp_path):
    """What a notebook computed in the rehearsal is freed before the heap is frozen, not kept in every kernel."""
    builtins._districtstat_probes = []  # a list the module keeps: its contents outlive the rehearsal
    run = notebook(tmp_path, "import weakref\nclass Kept:\n    pass\nkept = Kept()\nkept.itself = kept\nbuiltins._districtstat_probes.append(weakref.ref(kept))", parameters="import builtins")
    try:
        forkserver.Rehearsal([run]).run()
        assert len(builtins._districtstat_probes) == 1 and builtins._districtstat_probes[0]() is None
    finally:
        del builtins._districtstat_probes
        gc.unfreeze()


def test_a_cell_that_leaves_a_thread_running_stops_the_rehearsal(tmp_path):
    stop = threading.Event()
    builtins._districtstat_stop = stop
    run = notebook(tmp_path, "import builtins, threading\nthreading.Thread(target=builtins._districtstat_stop.wait, daemon=True).start()", "print('never')")
    rehearsal = forkserver.Rehearsal([run])
    try:
        rehearsal.step()  # the parameters cell
        rehearsal.step()  # the injected parameters
        with pytest.raises(forkserver.ThreadLeft, match="left 1 thread"):
            rehearsal.step()
    finally:
        stop.set()
        del builtins._districtstat_stop
        gc.unfreeze()


def test_kept_state_puts_back_pandas_options_through_pandas_and_logging_as_it_was(tmp_path):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    width = pd.get_option("display.width")
    with forkserver.kept_state(str(tmp_path)):
        pd.set_option("display.width", 7)
        logging.basicConfig(level=logging.DEBUG, force=True)
        logging.getLogger("made.by.a.cell").addHandler(logging.NullHandler())
    assert pd.get_option("display.width") == width
    assert root.handlers == handlers and root.level == level
    assert logging.getLogger("made.by.a.cell").handlers == []


def test_kept_state_puts_back_signal_handlers_umask_locale_socket_timeout_and_tracing(tmp_path):
    """What a cell changes for the process outside any module's attributes, and a fresh kernel would not have."""
    import locale
    import signal
    import socket
    import sys

    kept = ("signals", "blocked", "umask", "locale", "socket_timeout", "trace", "profile")
    before = {name: forkserver.process_state()[name] for name in kept}
    with forkserver.kept_state(str(tmp_path)):
        signal.signal(signal.SIGUSR1, lambda number, frame: None)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
        os.umask(0o077)
        for other in ("C", "C.UTF-8", "en_US.UTF-8"):  # whichever this machine has that differs
            with contextlib.suppress(locale.Error):
                locale.setlocale(locale.LC_NUMERIC, other)
            if locale.setlocale(locale.LC_ALL) != before["locale"]:
                break
        assert locale.setlocale(locale.LC_ALL) != before["locale"]
        socket.setdefaulttimeout(3.5)
        sys.setprofile(lambda frame, event, argument: None)
    assert {name: forkserver.process_state()[name] for name in kept} == before
    assert signal.getsignal(signal.SIGUSR1) is before["signals"][signal.SIGUSR1] and sys.getprofile() is None
    assert signal.SIGUSR2 not in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def test_a_state_that_cannot_be_put_back_is_unsafe_to_fork_from(tmp_path, monkeypatch):
    """Whatever fails while the state is put back leaves it half put back: the server must not go on forking."""

    def fails(state):
        raise KeyboardInterrupt

    monkeypatch.setattr(forkserver, "restore_process_state", fails)
    rehearsal = forkserver.Rehearsal([notebook(tmp_path, "x = 1")])
    try:
        with pytest.raises(forkserver.UnsafeToFork, match="putting back the process's state after a rehearsed cell failed: KeyboardInterrupt"):
            rehearsal.step()
    finally:
        gc.unfreeze()


def test_a_library_s_own_first_use_does_not_end_the_rehearsal_but_a_notebook_s_setting_would(tmp_path):
    """A warning's registry and a private cache a library adds are put back quietly; a public name added is reported."""
    import logging
    import sys
    import types

    library = types.ModuleType("districtstat_test_library")
    sys.modules[library.__name__] = library
    try:
        changed: list[str] = []
        with forkserver.kept_state(str(tmp_path), changed):
            library.__warningregistry__ = {"version": 1}
            library._cache = object()
            logging.disable(logging.CRITICAL)
            sys.setrecursionlimit(sys.getrecursionlimit() + 1)
        assert changed == [] and not hasattr(library, "_cache") and logging.root.manager.disable == 0
        with forkserver.kept_state(str(tmp_path), changed):
            library.flag = 1
        assert changed == ["districtstat_test_library.flag"] and not hasattr(library, "flag")
    finally:
        del sys.modules[library.__name__]


def in_a_new_python(script: str) -> str:
    """Run `script` in a Python of its own (what it asserts about a process's first use must not see this one's)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_warm_up_reads_the_entry_points_a_run_s_inline_backend_would_read():
    """Every run's shell sets matplotlib's inline backend, and the first such setting in a process reads every installed
    package's entry points; after the warm-up, the fork server has read them and its runs do not."""
    script = (
        "from matplotlib.backends import backend_registry\n"
        "print(backend_registry._loaded_entry_points)\n"
        "from districtstat.execution import forkserver\n"
        "forkserver.warm_up_charts()\n"
        "print(backend_registry._loaded_entry_points)\n"
    )
    assert in_a_new_python(script).split() == ["False", "True"]


def test_the_first_preload_leaves_the_libraries_frozen_and_a_later_one_thaws_the_release_it_replaces(built):
    """The first preload thawed everything the server had imported, and its collection walked all of it (0.15 s of the
    server's start); only a second preload has a release of its own to free."""
    script = (
        "import gc\n"
        "from districtstat.execution import forkserver\n"
        "import districtstat.report, districtstat.views.shared\n"
        "gc.freeze()\n"
        "thawed, unfreeze = [], gc.unfreeze\n"
        "gc.unfreeze = lambda: (thawed.append(1), unfreeze())\n"
        f"forkserver.preload({str(built[1])!r}, None, [])\n"
        "print(len(thawed))\n"
        f"forkserver.preload({str(built[1])!r}, None, [])\n"
        "print(len(thawed))\n"
    )
    assert in_a_new_python(script).split() == ["0", "1"]
