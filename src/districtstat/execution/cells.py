"""A notebook's code cells run in a fork of the fork server, with a kernel's shell but without its sockets.

A warm kernel still spent about as much processor time outside a California page's cells as in them: ipykernel's
app starting in the fork, every output serialised, signed and sent over ZeroMQ, and nbclient reading it back in the
build. Here the fork runs the cells in ipykernel's own shell (`ZMQInteractiveShell`), with its own display publisher,
display hook and traceback messages; only their session keeps each message instead of sending it (`KeptMessages`).
The build applies the messages to the notebook with nbclient's own message handling (`apply`), so the outputs are
those a kernel's messages make, and the tests compare them with plain kernels' byte for byte.

What a forked run does not do that a kernel does: read the user's IPython profile (its startup files and
configuration), answer `input()` (it raises `EOFError`, a kernel `StdinNotImplementedError`), serve widgets (comm
messages), show what C code or a program started with `os.system` writes to the process's own output (a kernel
forwards it; here it goes to /dev/null), flush a stream every 0.2 s on its own (a stream's text is one output
until something else is shown), end with `exit()`, or run cells inside an event loop (`asyncio.run` works here and
fails in a kernel).
A notebook that needs these runs with `--executor plain`.
"""

from __future__ import annotations

import io
import json
import os
import sys

from jupyter_client.session import Session


class KeptMessages(Session):
    """A session that keeps the messages the shell would send, each packed as a kernel packs it."""

    def __init__(self, **kwargs):
        super().__init__(key=b"", **kwargs)
        self.kept: list[bytes] = []

    def send(self, stream, msg_or_type, content=None, parent=None, ident=None, buffers=None, track=False, header=None, metadata=None):
        if isinstance(msg_or_type, dict):
            msg_type, content = msg_or_type["header"]["msg_type"], msg_or_type["content"]
        else:
            msg_type = msg_or_type
        try:
            packed = self.pack(content)
        except UnicodeEncodeError:  # a lone surrogate in a string: shown replaced, not lost with the whole notebook
            packed = json.dumps(content, ensure_ascii=False).encode("utf-8", "replace")
        self.kept.append(b'{"msg_type": %s, "content": %s}' % (json.dumps(msg_type).encode(), packed))


class KeptStream(io.TextIOBase):
    """`sys.stdout` or `sys.stderr`: text written is one stream message when flushed, as ipykernel's `OutStream` sends it
    (the shell flushes both before each display, result and error, and after each cell)."""

    def __init__(self, name: str, session: KeptMessages, fd: int):
        self.name, self.session, self.buffer_text, self.fd = name, session, [], fd

    def fileno(self) -> int:
        """The process's own descriptor, as ipykernel's stream gives it (to `subprocess`, `faulthandler`); what is written
        there goes to /dev/null here, where a kernel would forward it."""
        return self.fd

    @property
    def encoding(self) -> str:
        return "UTF-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.buffer_text.append(text)
        return len(text)

    def flush(self) -> None:
        if self.buffer_text:
            text, self.buffer_text = "".join(self.buffer_text), []
            self.session.send(None, "stream", {"name": self.name, "text": text})


def run_cells(cells: list[dict]) -> bytes:
    """In the forked child: run each cell (`source`; `stop_on_error`) as a kernel runs an execute request, until one
    fails that may not; gives back, per cell run, its status and its messages, as JSON."""
    from ipykernel.compiler import XCachingCompiler
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.zmqshell import ZMQInteractiveShell
    from traitlets.config import Application, Config

    session = KeptMessages()
    sys.stdout, sys.stderr = KeptStream("stdout", session, 1), KeptStream("stderr", session, 2)
    kernel_path()
    shell = ZMQInteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}), compiler_class=XCachingCompiler, kernel=KernelStandIn())
    shell.displayhook.session = shell.display_pub.session = session
    Application.instance().kernel = shell.kernel  # where `%matplotlib` looks for the kernel, as on ipykernel's app
    inline_figures(shell)
    sys.stdout.flush()  # what the shell wrote while starting belongs to no cell: a kernel flushes it before the first
    sys.stderr.flush()
    answers = []
    for cell in cells:
        session.kept = []
        session.send(None, "execute_input", {"code": cell["source"], "execution_count": shell.execution_count})
        result = shell.run_cell(cell["source"], store_history=True)
        sys.stdout.flush()
        sys.stderr.flush()
        ok = result.success and not shell._last_traceback_during_displayhook  # a failing _repr_ fails its cell, as in ipykernel
        reply = {"status": "ok" if ok else "error"}
        if not ok:
            error = result.error_before_exec if result.error_before_exec is not None else result.error_in_exec
            reply |= {"traceback": shell._last_traceback or [], "ename": type(error).__name__, "evalue": str(error)}
        answers.append(b'{"reply": %s, "messages": [%s]}' % (session.pack(reply), b", ".join(session.kept)))
        if not ok and cell["stop_on_error"]:
            break
    return b'{"language_info": %s, "cells": [%s]}' % (session.pack(IPythonKernel.language_info), b", ".join(answers))


class KernelStandIn:
    """What the shell asks of its kernel: `%matplotlib` records the event loop on it, `exit()` reads it back. (A
    warm run has no event loop to stop: `exit()` ends no run, where it ends a kernel.)"""

    eventloop = None


def kernel_path() -> None:
    """`sys.path` as ipykernel's app leaves it: the folder the kernel started in first (where `python -m` puts the
    server's), and '' before site-packages (IPython's `init_path`), so a module beside the notebook imports."""
    if sys.flags.safe_path:
        return
    sys.path[0] = os.getcwd()
    if "" not in sys.path:
        sites = [index for index, path in enumerate(sys.path) if os.path.basename(path) in ("site-packages", "dist-packages")]
        sys.path.insert(sites[0] if sites else 0, "")


INLINE = ("inline", "module://matplotlib_inline.backend_inline")


def inline_figures(shell) -> None:
    """Show the figures a cell leaves open, as a kernel does: ipykernel's app sets matplotlib's backend to the inline
    one unless `MPLBACKEND` names another, and that backend hooks itself into the shell as pyplot loads it. pyplot was
    loaded before this process forked, so the hook is made here."""
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = INLINE[1]
    backend = os.environ["MPLBACKEND"]
    if backend in INLINE:
        from IPython.core.pylabtools import activate_matplotlib
        from matplotlib_inline.backend_inline import configure_inline_support

        activate_matplotlib(backend)
        configure_inline_support(shell, backend)


def runs(cell, skip_tag: str = "skip-execution") -> bool:
    """Whether nbclient would send this cell to its kernel."""
    return cell.cell_type == "code" and bool(cell.source.strip()) and skip_tag not in cell.metadata.get("tags", [])


def allows_errors(cell) -> bool:
    return "raises-exception" in cell.metadata.get("tags", [])


def to_run(notebook) -> list[dict]:
    """What `run_cells` needs of a notebook: the source of each cell nbclient would run, and whether an error stops it."""
    return [{"source": cell.source, "stop_on_error": not allows_errors(cell)} for cell in notebook.cells if runs(cell)]


def apply(nb_man, answer: dict) -> None:
    """Put the messages of a forked run into the notebook as papermill's nbclient engine would have: nbclient's own
    message handling makes the outputs, papermill's manager marks each cell started, failed and completed, and a cell
    that failed where it may not stops the run (papermill then raises `PapermillExecutionError`)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nb_man.nb
    client = NotebookClient(notebook, record_timing=False)  # run-dependent timings, which `runner.clean` drops
    answers = iter(answer["cells"])
    for index, cell in enumerate(notebook.cells):
        try:
            nb_man.cell_start(cell, index)
            if not runs(cell):
                continue
            ran = next(answers)
            cell.outputs = []
            client.clear_before_next_output = False
            for message in ran["messages"]:
                message |= {"header": {"msg_type": message["msg_type"]}, "parent_header": {}}
                client.process_message(message, cell, index)
            if ran["reply"]["status"] == "error" and not allows_errors(cell):
                raise CellExecutionError.from_cell_and_msg(cell, ran["reply"])
        except CellExecutionError as error:
            nb_man.cell_exception(notebook.cells[index], cell_index=index, exception=error)
            break
        finally:
            nb_man.cell_complete(notebook.cells[index], cell_index=index)
    if answer.get("language_info"):
        notebook.metadata["language_info"] = answer["language_info"]
