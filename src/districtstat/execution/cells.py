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
forwards it; here it goes to /dev/null), or flush a stream every 0.2 s on its own (a stream's text is one output
until something else is shown).
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
        self.kept.append(b'{"msg_type": %s, "content": %s}' % (json.dumps(msg_type).encode(), self.pack(content)))


class KeptStream(io.TextIOBase):
    """`sys.stdout` or `sys.stderr`: text written is one stream message when flushed, as ipykernel's `OutStream` sends it
    (the shell flushes both before each display, result and error, and after each cell)."""

    def __init__(self, name: str, session: KeptMessages):
        self.name, self.session, self.buffer_text = name, session, []

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
    from traitlets.config import Config

    session = KeptMessages()
    sys.stdout, sys.stderr = KeptStream("stdout", session), KeptStream("stderr", session)
    shell = ZMQInteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}), compiler_class=XCachingCompiler)
    shell.displayhook.session = shell.display_pub.session = session
    inline_figures(shell)
    answers = []
    for cell in cells:
        session.kept = []
        session.send(None, "execute_input", {"code": cell["source"], "execution_count": shell.execution_count})
        result = shell.run_cell(cell["source"], store_history=True)
        sys.stdout.flush()
        sys.stderr.flush()
        reply = {"status": "ok" if result.success else "error"}
        if not result.success:
            error = result.error_before_exec if result.error_before_exec is not None else result.error_in_exec
            reply |= {"traceback": shell._last_traceback or [], "ename": type(error).__name__, "evalue": str(error)}
        answers.append(b'{"reply": %s, "messages": [%s]}' % (session.pack(reply), b", ".join(session.kept)))
        if not result.success and cell["stop_on_error"]:
            break
    return b'{"language_info": %s, "cells": [%s]}' % (session.pack(IPythonKernel.language_info), b", ".join(answers))


INLINE = ("inline", "module://matplotlib_inline.backend_inline")


def inline_figures(shell) -> None:
    """Show the figures a cell leaves open, as a kernel does: ipykernel's app sets matplotlib's backend to the inline
    one unless `MPLBACKEND` names another, and that backend hooks itself into the shell as pyplot loads it. pyplot was
    loaded before this process forked, so the hook is made here."""
    backend = os.environ.setdefault("MPLBACKEND", INLINE[1])
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
            ran = next(answers, None)
            if ran is None:
                raise CellExecutionError("", "DeadKernelError", "the notebook's process ended before this cell ran")
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
