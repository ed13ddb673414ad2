"""Publishing a release so that the site folder changes in one atomic step, or not at all.

The next state of the whole site folder is assembled outside it, in the project's `build/` folder (or, when
the site folder is on another file system, in a hidden folder beside it): every other release (and any site
published inside this one, such as `site/california/`) hard-linked, the rendered release moved in, the version
list and front door written. Then one `renameat2(RENAME_EXCHANGE)` swaps that folder with the site folder.
A build that fails or is killed before the swap leaves the site folder byte for byte as it was; after the swap
it is the published state. Readers see one or the other, never a mix.

A site folder that is a symbolic link (to a web root, say) is published into the folder it points to, and the
link stays.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import quote

AT_FDCWD = -100
RENAME_EXCHANGE = 2
# The system or file system cannot exchange: swap by two renames instead.
CANNOT_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}
# A copy needs more room than a link, so these end the publish instead of falling back to copying.
NO_ROOM = {errno.ENOSPC, errno.EDQUOT}
# What the earlier publish, which renamed inside the site folder, left there when it was stopped.
OLD_LEFTOVERS = (".staging-", ".previous-")

NEXT, ASIDE, LOCK = "next", "previous", "lock"
# Why the site folder may refuse to be replaced although the next one is ready.
REFUSALS = {
    errno.EBUSY: "a mount point, or in use: make the site folder a folder inside the mount",
    errno.EXDEV: "the next site was assembled on another file system",
    errno.EACCES: "no permission to rename in the folder that holds it",
    errno.EPERM: "no permission to rename in the folder that holds it",
}


class PublishError(RuntimeError):
    """The site folder could not be replaced by the next one; that was cleared again, so nothing was published."""

    def __init__(self, site_shown: str, error: OSError):
        reason = error.strerror or str(error)
        hint = REFUSALS.get(error.errno)
        super().__init__(f"the site folder {site_shown}/ could not be replaced ({reason}{' — ' + hint if hint else ''}); nothing was published")
        self.errno = error.errno


class StoppedAfterPublishing(KeyboardInterrupt):
    """Ctrl-C came once the release was in the site folder: it is published, only the build's bookkeeping may lag."""

    def __init__(self, release: str):
        super().__init__(f"release {release} was published before the build stopped")
        self.release = release


def real_folder(site: Path) -> Path:
    """The folder a site folder's path names: a symbolic link's target, so the link is kept and its target updated."""
    return Path(os.path.realpath(site))


def same_device(first: Path, second: Path) -> bool:
    """Whether two folders (or, where one does not exist yet, the nearest existing folders above) share a file system."""
    return _device(first) == _device(second)


def _device(path: Path) -> int:
    for folder in [path, *path.parents]:
        if folder.exists():
            return folder.stat().st_dev
    raise FileNotFoundError(path)


def workspace(build_root: Path, site: Path, site_shown: str) -> Path:
    """Where the next state of one site folder is assembled: one place per site, whatever the release.

    It must be on the site folder's file system, else neither the links nor the swap can be made.
    """
    real = real_folder(site)
    if same_device(build_root, real.parent):
        return build_root / ".publishing" / quote(site_shown, safe="")
    return real.parent / f".{real.name}.publishing"


def lock_file(build_root: Path) -> Path:
    """One lock for every publish of the project: a site folder published inside another (`site/california/` in
    `site/`) would otherwise be swapped back."""
    return build_root / ".publishing" / LOCK


def publish_release(
    site: Path,
    release: str,
    rendered: Path,
    build_root: Path,
    site_shown: str,
    write_lists: Callable[[Path], None],
    published: Callable[[], None] = lambda: None,
) -> None:
    """Make `site/<release>` the rendered release and let `write_lists(folder)` write the version list and
    front door, all in one swap of the site folder; then `published()` does the bookkeeping of a published release.

    Publishes of one project wait for each other, and each starts by clearing what a stopped one left.
    From just before the swap until `published()` returns, Ctrl-C waits (see `interrupts_deferred`).
    """
    site = real_folder(site)
    with publishing_lock(lock_file(build_root)):
        work = workspace(build_root, site, site_shown)
        restore_after_stopped_renames(site, work)
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        next_site = work / NEXT
        try:
            assemble(site, next_site, release)
            shutil.move(rendered, next_site / release)
            write_lists(next_site)
            with interrupts_deferred(release):
                try:
                    swap(next_site, site, work / ASIDE)
                except OSError as error:
                    raise PublishError(site_shown, error) from error
                shutil.rmtree(work, ignore_errors=True)
                published()
        except BaseException:
            shutil.rmtree(next_site, ignore_errors=True)
            raise


def restore(site: Path, build_root: Path, site_shown: str) -> None:
    """Put back a site folder that a build stopped between two renames left aside (see `swap`).

    Every build calls this before reading the site folder (the previous release's figures and counts).
    """
    site = real_folder(site)
    with publishing_lock(lock_file(build_root)):
        restore_after_stopped_renames(site, workspace(build_root, site, site_shown))


@contextmanager
def interrupts_deferred(release: str) -> Iterator[None]:
    """Ctrl-C inside waits until the block ends, then raises `StoppedAfterPublishing`: once the swap is made the
    release is published, and a build stopped while tidying up must not say it was not.

    Only the main thread receives signals, and only a Python handler can be put back afterwards.
    """
    if threading.current_thread() is not threading.main_thread() or not callable(signal.getsignal(signal.SIGINT)):
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise StoppedAfterPublishing(release)


@contextmanager
def publishing_lock(path: Path) -> Iterator[None]:
    """Held until the publish ends; the system lets go of it when the build is killed, so it never goes stale."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def assemble(site: Path, next_site: Path, release: str) -> None:
    """The site folder as it will be, without the release being replaced and without the version list written yet.

    Files in subfolders are hard links, so other releases cost no space and keep their modification times.
    The site folder's own files (`versions.json`, `index.html`) are copied: they are rewritten here, and a
    writer that wrote in place would write through a link into the published site.
    Folders an earlier, stopped publish left in the site folder are not carried over, except a `.previous-<name>`
    without `<name>`: stopped between its renames, the earlier publisher left the only copy of that release there.
    """
    next_site.mkdir()
    if not site.is_dir():
        return
    entries = sorted(os.scandir(site), key=lambda e: e.name)
    names = {entry.name for entry in entries}
    for entry in entries:
        name = entry.name
        if name.startswith(".previous-") and name.removeprefix(".previous-") not in names:
            name = name.removeprefix(".previous-")
        elif name.startswith(OLD_LEFTOVERS):
            continue
        if name != release:
            carry(entry, next_site / name, shutil.copy2)
    shutil.copymode(site, next_site)


def carry(entry: os.DirEntry, target: Path, carry_file: Callable[[str, Path], object] | None = None) -> None:
    """One entry of the site into the next: a link as a link, a folder with its files hard-linked, a file by `carry_file`."""
    if entry.is_symlink():
        os.symlink(os.readlink(entry.path), target)
    elif entry.is_dir():
        target.mkdir()
        for inner in sorted(os.scandir(entry.path), key=lambda e: e.name):
            carry(inner, target / inner.name)
        shutil.copystat(entry.path, target)
    else:
        (carry_file or link_file)(entry.path, target)


def link_file(source: str, target: Path) -> None:
    """A hard link, or a copy where the file system cannot link (another device, too many links, no links at all)."""
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno in NO_ROOM:
            raise
        shutil.copy2(source, target)


def swap(next_site: Path, site: Path, aside: Path) -> None:
    """Put `next_site` in the place of `site`; the old site ends up in `next_site`'s place or at `aside`.

    A first publish is one rename. Otherwise the two folders are exchanged in one system call, so the site
    folder always exists. Where the system cannot exchange (not Linux, an old C library, a file system that
    refuses), two renames do it: between them, a tiny window, the site folder is missing, and a build killed
    there leaves the old site at `aside`, which the next build puts back (`restore`).
    """
    if not site.exists() and not site.is_symlink():
        site.parent.mkdir(parents=True, exist_ok=True)
        os.rename(next_site, site)
        return
    if exchange(next_site, site):
        return
    os.rename(site, aside)
    try:
        os.rename(next_site, site)
    except BaseException:
        os.rename(aside, site)
        raise


def restore_after_stopped_renames(site: Path, work: Path) -> None:
    aside = work / ASIDE
    if aside.is_dir() and not site.exists() and not site.is_symlink():
        os.rename(aside, site)


@cache
def _renameat2():
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one system call (Linux `renameat2` with `RENAME_EXCHANGE`); False, with nothing
    moved, where the system or the file system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in CANNOT_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))
