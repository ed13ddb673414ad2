"""Hides a project folder from a process and every process it starts: on PYTHONPATH, with DISTRICTSTAT_HIDDEN_ROOT set.

The no-shared-file-system test starts its Dask workers with it. In a mount namespace of their own (Linux user
namespaces) an empty, read-only tmpfs covers the folder, so no read of any kind reaches what the build machine holds
there: Python's, pyarrow's, the fork server's or a kernel's. Where namespaces are not allowed, an audit hook makes
Python's opening and listing of paths under the folder raise instead: weaker, since pyarrow opens files in C++.
DISTRICTSTAT_HIDDEN_BY says which, for the test to check. The processes a worker starts (its fork server, and the
kernels forked from it) inherit the namespace, or, run with the same environment, install the hook themselves.
"""

import os
import sys


def _in_namespace(root: str) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def check(status: int, what: str) -> None:
        if status != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"{what}: {os.strerror(errno)}")

    uid, gid = os.getuid(), os.getgid()
    check(libc.unshare(0x10000000 | 0x00020000), "unshare(CLONE_NEWUSER | CLONE_NEWNS)")  # before any thread starts
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)
    ms_rdonly, ms_rec, ms_private = 1, 1 << 14, 1 << 18
    check(libc.mount(None, b"/", None, ms_rec | ms_private, None), "making mounts private")  # nothing leaks out
    check(libc.mount(b"hidden", os.fsencode(root), b"tmpfs", ms_rdonly, None), "covering the project")


def _by_audit_hook(root: str) -> None:
    events = ("open", "os.listdir", "os.scandir", "os.chdir", "glob.glob", "pathlib.Path.glob", "pathlib.Path.rglob")

    def hook(event: str, args: tuple) -> None:
        if event in events and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.path.abspath(os.fsdecode(args[0]))
            if path == root or path.startswith(root + os.sep):
                raise PermissionError(f"{path}: hidden from this worker")

    sys.addaudithook(hook)


_root = os.environ.get("DISTRICTSTAT_HIDDEN_ROOT")
if _root and "DISTRICTSTAT_HIDDEN_BY" not in os.environ:  # the first process; those it starts inherit the namespace
    try:
        _in_namespace(_root)
        os.environ["DISTRICTSTAT_HIDDEN_BY"] = "namespace"
    except OSError:
        os.environ["DISTRICTSTAT_HIDDEN_BY"] = "audit hook"
if _root and os.environ["DISTRICTSTAT_HIDDEN_BY"] == "audit hook":  # every process installs its own
    _by_audit_hook(os.path.abspath(_root))
