"""Hashes and versions that say exactly what a release was built from."""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from districtstat import __version__

PACKAGES = ["districtstat", "pandas", "numpy", "pandera", "statsmodels", "scikit-learn", "scipy", "matplotlib", "seaborn", "papermill", "nbclient", "pyarrow", "smalldocs"]


def hash_bytes(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(len(chunk).to_bytes(8, "little"))
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path, digest=None) -> str:
    """A file's SHA-256, read in blocks so a large data file never sits whole in memory; feeds `digest` when given."""
    digest = digest if digest is not None else hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_files(paths: list[Path], root: Path) -> str:
    """One hash over file names (relative to root) and contents, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        file_sha256(path, digest)
        digest.update(b"\0")
    return digest.hexdigest()


# Modules (or whole subpackages, named `folder/`) that run a build or write example data but compute nothing a
# table or notebook shows.
NOT_ANALYSIS = {
    "cli/", "files.py", "build.py",
    "execution/runner.py", "execution/dispatch.py", "execution/warm.py", "execution/forkserver.py",
    "site/render.py", "site/serve.py", "site/versions.py", "site/downloads.py", "site/pages.py",
    "privacy/audit.py", "data/examples.py", "data/example_actions.py", "data/synthetic/", "data/real_data/", "site/methods/", "site/brief/", "site/project/",
    "scaffold/",
}


def is_build_machinery(module: str) -> bool:
    return module in NOT_ANALYSIS or any(module.startswith(entry) for entry in NOT_ANALYSIS if entry.endswith("/"))


@lru_cache(maxsize=1)
def package_fingerprint() -> str:
    """A hash of the analysis code and the libraries it runs on: a change invalidates cached tables and notebooks.

    Changes to the build machinery alone (rendering, the command line) leave them valid.
    """
    package = Path(__file__).parent
    files = [p for p in package.rglob("*.py") if not is_build_machinery(p.relative_to(package).as_posix())]
    return hash_json({"source": hash_files(files, package), "libraries": package_versions()})


def hash_json(value: object) -> str:
    return hash_bytes(json.dumps(value, sort_keys=True, default=str).encode())


def code_commit(root: Path) -> str:
    """The git commit of the project, or 'unversioned' outside a git checkout."""
    try:
        result = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if result.returncode != 0 or not result.stdout.strip():
            return "unversioned"
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unversioned"
    return result.stdout.strip() + ("-dirty" if changed.stdout.strip() else "")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = __version__ if name == "districtstat" else "not installed"
    return versions


@dataclass(frozen=True)
class Provenance:
    release: str
    data_hash: str
    code_commit: str
    params_hash: str

    def line(self) -> str:
        return f"Release {self.release} · data {self.data_hash[:12]} · code {self.code_commit} · parameters {self.params_hash[:12]}"
