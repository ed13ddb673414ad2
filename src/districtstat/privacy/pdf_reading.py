"""A PDF's text as a reader who copies it out gets it; in a module of its own, so that processes reading many PDFs at
once start without importing the rest of districtstat."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


class UnreadableFile(ValueError):
    """A file of the site the audit cannot read, so cannot clear."""


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    except (PyPdfError, ValueError, KeyError) as error:
        raise UnreadableFile(f"a PDF the audit cannot read ({error})") from error


def texts_in_processes(contents: list[bytes], processes: int) -> list[str | None]:
    """`pdf_text` of each PDF, or None for one it cannot read (the audit reads that one again itself, to report it),
    shared among new Python processes that import this module alone.

    Not `multiprocessing`: its spawned processes run the caller's main script again (a build started from a script
    without a `__main__` guard would start itself over), and a forked copy of a build that has run threads may hang.
    """
    shares = [contents[i::processes] for i in range(processes)]
    readers: list[subprocess.Popen] = []
    try:
        for _ in shares:
            readers.append(subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
        with ThreadPoolExecutor(processes) as pool:
            answers = list(pool.map(lambda pair: pair[0].communicate(pickle.dumps(pair[1]))[0], zip(readers, shares)))
    finally:
        for reader in readers:
            if reader.poll() is None:
                reader.kill()
                reader.wait()
    if any(reader.returncode for reader in readers):
        raise OSError("a process reading PDFs failed")
    texts: list[str | None] = [None] * len(contents)
    for i, answer in enumerate(answers):
        texts[i::processes] = pickle.loads(answer)  # from the process started just above
    return texts


def _read_each(contents: list[bytes]) -> list[str | None]:
    """In a reader process: each PDF's text, or None for one it cannot read for any reason (the audit reads that one
    again itself and reports it)."""
    texts = []
    for content in contents:
        try:
            texts.append(pdf_text(content))
        except Exception:
            texts.append(None)
    return texts


if __name__ == "__main__":
    sys.stdout.buffer.write(pickle.dumps(_read_each(pickle.load(sys.stdin.buffer))))
