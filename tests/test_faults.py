"""A build that fails or is stopped at any point leaves the site folder byte for byte as it was.

Each fault is injected into a build of a changed project (one district's goals), so that, but for the fault,
the build would render and publish a new site.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from districtstat import pipeline
from districtstat.site import render, versions
from districtstat.site import publish as publishing
from districtstat.build import BuildFailed, build
from districtstat.cli import main
from districtstat.config import load_project
from helpers import FIXTURES, break_first_student, tree_digest

NESTED_SITES = 6
CHANGED_GOALS = "districts:\n  D05:\n    goals:\n      mean_score_math: 520\n"
BUILD = "import sys; from districtstat.cli import main; sys.exit(main())"


@pytest.fixture(scope="module")
def built(built, tmp_path_factory):
    """The suite's release r1, copied, with other consortia's sites published inside its site folder (as
    `site/california/` is in the repository's): publishing must carry them over, and they widen the moment a kill can
    land in."""
    source, _ = built
    root = tmp_path_factory.mktemp("faults") / "consortium"
    shutil.copytree(source, root, symlinks=True)
    site = root / "site"
    consortium = list(site.iterdir())
    for number in range(NESTED_SITES):
        nested = site / f"consortium-{number}"
        nested.mkdir()
        for path in consortium:
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, nested / path.name)
    return root


def changed_copy(built: Path, folder: Path) -> Path:
    """A copy of the built project whose next build reruns one district and publishes a new site."""
    shutil.copytree(built, folder, symlinks=True)
    params = folder / "params" / "test.yml"
    params.write_text(params.read_text() + CHANGED_GOALS)
    return params


@pytest.fixture(scope="module")
def completed(built, tmp_path_factory) -> tuple[Path, float]:
    """The changed project built to the end in a process of its own, as the kill test starts builds, and how long
    that took: the site a completed build publishes, and the clock the kill test spreads its kills over."""
    root = tmp_path_factory.mktemp("completed") / "ran"
    changed_copy(built, root)
    log = root.parent / "build.log"
    started = time.monotonic()
    assert start_build(root, log).wait() == 0, log.read_text()
    return root, time.monotonic() - started


@pytest.fixture(scope="module")
def executed(built, completed, tmp_path_factory):
    """The changed project as a build that ran its notebooks and rendered its pages, then stopped before publishing,
    leaves it: a publishing fault's build goes straight to publishing, as a rebuild after such a stop does."""
    scratch = tmp_path_factory.mktemp("executed")
    ran, _ = completed
    prepared = scratch / "prepared"
    params = changed_copy(built, prepared)
    release = load_project(params).build_dir
    kept = {name: (release / name).read_bytes() for name in ("published.json", render.KEYS_FILE)}  # what r1's site holds
    shutil.rmtree(prepared / "build")
    shutil.copytree(ran / "build", prepared / "build", symlinks=True)
    for name, content in kept.items():
        (release / name).write_bytes(content)
    return prepared


def executed_copy(executed: Path, folder: Path) -> Path:
    shutil.copytree(executed, folder, symlinks=True)
    return folder / "params" / "test.yml"


def site_state(site: Path) -> tuple[dict[str, str], list[str]]:
    """Every file's bytes, and every path, folders included: a leftover empty folder is a difference too."""
    return tree_digest(site), sorted(path.relative_to(site).as_posix() for path in site.rglob("*"))


def workspace(params: Path) -> Path:
    project = load_project(params)
    return publishing.workspace(project.build_dir.parent, project.site_dir, project.relative(project.site_dir))


def before_fault(root: Path) -> tuple:
    return site_state(root / "site"), (root / "site").stat().st_ino


def assert_unchanged(root: Path, before: tuple) -> None:
    state, inode = before
    assert site_state(root / "site") == state
    assert (root / "site").stat().st_ino == inode, "the site folder itself was replaced"


def published(root: Path) -> list[str]:
    return [release["name"] for release in json.loads((root / "site" / "versions.json").read_text())["releases"]]


def test_invalid_data_leave_the_site_as_it_was(built, tmp_path):
    params = changed_copy(built, tmp_path / "copy")
    root = tmp_path / "copy"
    before = before_fault(root)
    students = root / "data" / "synthetic" / "students.csv"
    break_first_student(students)
    assert main(["build", "--params", str(params), "--quiet"]) == 1
    assert_unchanged(root, before)


def test_a_failing_notebook_leaves_the_site_as_it_was(built, tmp_path):
    """Every district's peers page is replaced by a notebook that fails for D02: every other page is current,
    so without the failure this build would publish."""
    params = changed_copy(built, tmp_path / "copy")
    root = tmp_path / "copy"
    before = before_fault(root)
    shutil.copy(FIXTURES / "broken.ipynb", root / "notebooks" / "peers.ipynb")
    with pytest.raises(BuildFailed) as failed:
        build(load_project(params), quiet=True, workers=2)
    assert [(f.task.district_id, f.task.notebook) for f in failed.value.failures] == [("D02", "peers")]
    assert_unchanged(root, before)


def test_a_renderer_crash_after_writing_pages_leaves_the_site_as_it_was(built, tmp_path, monkeypatch):
    params = changed_copy(built, tmp_path / "copy")
    root = tmp_path / "copy"
    before = before_fault(root)

    def crash(self):
        raise RuntimeError(f"renderer crashed after writing {len(list(self.out.rglob('*.html')))} pages")

    monkeypatch.setattr(render.IncrementalSite, "write_search", crash)
    with pytest.raises(RuntimeError, match="renderer crashed") as crashed:
        build(load_project(params), quiet=True, workers=2)
    assert int(str(crashed.value).split()[-2]) > 50
    assert_unchanged(root, before)


def fail_on_call(function, number: int, error: BaseException):
    """`function`, except that its `number`th call raises `error`."""
    calls = 0

    def failing(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == number:
            raise error
        return function(*args, **kwargs)

    return failing


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# Where publishing is stopped: each point comes later in `publish_release` than the one before.
FAULTS = {
    "disk full while linking the other releases": (os, "link", 100, disk_full),
    "Ctrl-C while linking the other releases": (os, "link", 1000, KeyboardInterrupt),
    "Ctrl-C while moving the rendered release in": (shutil, "move", 1, KeyboardInterrupt),
    "disk full writing the version list": (versions, "write_atomic", 1, disk_full),
    "disk full writing the front door": (versions, "write_atomic", 2, disk_full),
    "Ctrl-C just before the swap": (publishing, "exchange", 1, KeyboardInterrupt),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_while_publishing_leaves_the_site_as_it_was(executed, tmp_path, monkeypatch, capsys, fault):
    params = executed_copy(executed, tmp_path / "copy")
    root = tmp_path / "copy"
    before = before_fault(root)
    module, name, number, error = FAULTS[fault]
    monkeypatch.setattr(module, name, fail_on_call(getattr(module, name), number, error()))
    if error is KeyboardInterrupt:
        assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 130
        assert "nothing was published" in capsys.readouterr().err
    else:
        with pytest.raises(OSError) as stopped:
            build(load_project(params), quiet=True, workers=2)
        assert stopped.value.errno == errno.ENOSPC
    assert_unchanged(root, before)
    assert workspace(params).is_dir() and not (workspace(params) / publishing.NEXT).exists(), "publishing began, and stopped clears what it staged"
    monkeypatch.undo()
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 0
    old, new = before[0][0], tree_digest(root / "site")
    assert new["r1/districts/D05/scorecard.html"] != old["r1/districts/D05/scorecard.html"]
    assert "520" in (root / "site" / "r1" / "districts" / "D05" / "scorecard.html").read_text()
    assert nested_sites(new) == nested_sites(old)
    assert published(root) == ["r1"]


def nested_sites(digests: dict[str, str]) -> dict[str, str]:
    return {path: digest for path, digest in digests.items() if path.startswith("consortium-")}


def descendants(pid: int) -> list[int]:
    """The processes a build started (fork server, kernels), found through /proc, so a test kills only its own."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def start_build(root: Path, log: Path) -> subprocess.Popen:
    with open(log, "ab") as err:
        return subprocess.Popen(
            [sys.executable, "-c", BUILD, "build", "--params", str(root / "params" / "test.yml"), "--quiet", "--workers", "2"],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the build, as the OOM killer or a lost machine would; then its orphans, to leave nothing running."""
    family = descendants(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    for pid in family:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_killed_build_leaves_the_site_as_it_was_or_as_published(built, completed, tmp_path):
    """SIGKILL at moments spread over a build, and once as soon as publishing has begun: every time the site is
    exactly the old one or exactly the one a completed build publishes, and the next build cleans up."""
    log = tmp_path / "builds.log"
    ran, duration = completed
    before, after = site_state(built / "site"), site_state(ran / "site")
    assert before != after

    outcomes = {}
    for share in (0.3, 0.6, 0.85):
        root = tmp_path / f"killed-{share}"
        changed_copy(built, root)
        process = start_build(root, log)
        time.sleep(share * duration)
        kill(process)
        outcomes[share] = site_state(root / "site")

    root = tmp_path / "killed-publishing"
    params = changed_copy(built, root)
    staged = workspace(params) / publishing.NEXT
    process = start_build(root, log)
    while not staged.exists() and process.poll() is None:
        time.sleep(0.0005)
    kill(process)
    assert process.returncode == -signal.SIGKILL and staged.exists(), "the kill was meant to land while publishing"
    outcomes["publishing"] = site_state(root / "site")

    for moment, state in outcomes.items():
        assert state in (before, after), f"killed at {moment}: the site is neither the old one nor the published one"
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 0
    assert site_state(root / "site") == after
    assert not workspace(params).exists(), "the next build clears what the killed one left"


SMALL_SITE = {"r1/index.html": "old r1", "r0/districts/D01/index.html": "r0 page", "california/r9/index.html": "CA page", "versions.json": "[r0, r1]"}
PUBLISHED = SMALL_SITE | {"r1/index.html": "new r1", "versions.json": "[r0, r1, new]"}


def small_site(root: Path) -> Path:
    """A site with the release to replace, an older release and another consortium's site inside it."""
    site = root / "site"
    for path, text in SMALL_SITE.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text)
    os.utime(site / "r0" / "districts" / "D01" / "index.html", (315532800, 315532800))
    return site


def contents(site: Path) -> dict[str, str]:
    return {path.relative_to(site).as_posix(): path.read_text() for path in site.rglob("*") if path.is_file()}


def publish_small(root: Path, site: Path) -> Path:
    """Publish release r1 of a small site; returns the workspace."""
    rendered = root / "build" / "r1" / "project" / "_site"
    rendered.mkdir(parents=True, exist_ok=True)
    (rendered / "index.html").write_text("new r1")
    shown = site.relative_to(root).as_posix()
    work = publishing.workspace(root / "build", site, shown)
    publishing.publish_release(site, "r1", rendered, root / "build", shown, lambda folder: (folder / "versions.json").write_text("[r0, r1, new]"))
    return work


def test_publishing_links_the_other_releases_and_swaps_the_site_folder_in_one_step(tmp_path, monkeypatch):
    site = small_site(tmp_path)
    kept = site / "r0" / "districts" / "D01" / "index.html"
    inode = kept.stat().st_ino
    exchange, exchanged = publishing.exchange, []
    monkeypatch.setattr(publishing, "exchange", lambda first, second: exchanged.append(exchange(first, second)) or exchanged[-1])
    work = publish_small(tmp_path, site)
    assert exchanged == [True], "the site folder is swapped by renameat2, not by two renames"
    assert contents(site) == PUBLISHED
    assert kept.stat().st_ino == inode and kept.stat().st_mtime == 315532800, "other releases are the same files, not copies"
    assert not work.exists()


def test_a_first_publish_creates_the_site_folder_inside_another(tmp_path):
    outer = small_site(tmp_path)
    before = contents(outer)
    publish_small(tmp_path, outer / "star")
    assert contents(outer / "star") == {"r1/index.html": "new r1", "versions.json": "[r0, r1, new]"}
    assert {path: text for path, text in contents(outer).items() if not path.startswith("star/")} == before


def test_where_the_system_cannot_exchange_two_renames_publish_and_a_stop_between_them_is_undone(tmp_path, monkeypatch):
    monkeypatch.setattr(publishing, "exchange", lambda first, second: False)
    site = small_site(tmp_path)
    real, work = site.resolve(), publishing.workspace(tmp_path / "build", site, "site")
    rename, renames = os.rename, []

    def stopped_between(source, target):
        renames.append((Path(source), Path(target)))
        if Path(source).name == publishing.NEXT and Path(target) == real:
            raise KeyboardInterrupt
        rename(source, target)

    with monkeypatch.context() as between:
        between.setattr(os, "rename", stopped_between)
        with pytest.raises(KeyboardInterrupt):
            publish_small(tmp_path, site)
    aside, staged = work.resolve() / publishing.ASIDE, work.resolve() / publishing.NEXT
    assert [(a.resolve(), b.resolve()) for a, b in renames[-3:]] == [(real, aside), (staged, real), (aside, real)], "moved aside, stopped, put back"
    assert contents(site) == SMALL_SITE
    publish_small(tmp_path, site)
    assert contents(site) == PUBLISHED
    killed_between = work / publishing.ASIDE
    killed_between.parent.mkdir(parents=True, exist_ok=True)
    site.rename(killed_between)
    publish_small(tmp_path, site)
    assert contents(site) == PUBLISHED, "the next publish puts back the site a kill left aside, then publishes"


def test_a_symlinked_site_folder_is_published_into_the_folder_it_points_to(tmp_path):
    webroot = small_site(tmp_path / "www")
    site = tmp_path / "project" / "site"
    site.parent.mkdir()
    site.symlink_to(webroot, target_is_directory=True)
    publish_small(tmp_path / "project", site)
    assert site.is_symlink() and site.resolve() == webroot.resolve(), "the link is kept"
    assert contents(webroot) == PUBLISHED


def test_on_another_file_system_than_build_the_next_site_is_assembled_beside_the_site_folder(tmp_path, monkeypatch):
    site = small_site(tmp_path / "www")
    kept = site / "r0" / "districts" / "D01" / "index.html"
    inode = kept.stat().st_ino
    monkeypatch.setattr(publishing, "same_device", lambda first, second: False)
    exchange, staged = publishing.exchange, []
    monkeypatch.setattr(publishing, "exchange", lambda first, second: staged.append(Path(first)) or exchange(first, second))
    publish_small(tmp_path, site)
    beside = site.parent / ".site.publishing"
    assert staged == [beside / publishing.NEXT]
    assert contents(site) == PUBLISHED and kept.stat().st_ino == inode
    assert not beside.exists() and not (tmp_path / "build" / ".publishing" / "site").exists()


def test_a_release_the_older_publisher_left_only_as_previous_is_carried_over_under_its_name(tmp_path):
    site = small_site(tmp_path)
    (site / "r0").rename(site / ".previous-r0")
    shutil.copytree(site / "r1", site / ".previous-r1")
    shutil.copytree(site / "r1", site / ".staging-r1")
    publish_small(tmp_path, site)
    assert contents(site) == PUBLISHED


def test_a_build_puts_back_the_site_folder_a_stop_between_two_renames_left_aside_before_reading_it(built, tmp_path, monkeypatch):
    """The comparable release of What changed and the previous release's student counts are read from the site
    folder long before publishing."""
    params = changed_copy(built, tmp_path / "copy")
    root = tmp_path / "copy"
    before = site_state(root / "site")
    aside = workspace(params) / publishing.ASIDE
    aside.parent.mkdir(parents=True)
    (root / "site").rename(aside)
    seen = []

    class Seen(Exception):
        pass

    def prepare(project):
        seen.append(site_state(project.site_dir) if project.site_dir.is_dir() else None)
        raise Seen

    monkeypatch.setattr(pipeline, "prepare", prepare)
    with pytest.raises(Seen):
        build(load_project(params), quiet=True, workers=2)
    assert seen == [before] and not aside.exists()


def test_a_site_folder_that_cannot_be_replaced_stops_the_build_and_publishes_nothing(executed, tmp_path, monkeypatch, capsys):
    params = executed_copy(executed, tmp_path / "copy")
    root = tmp_path / "copy"
    before = before_fault(root)

    def busy(first, second):
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(first), None, str(second))

    monkeypatch.setattr(publishing, "exchange", busy)
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 1
    err = capsys.readouterr().err
    assert f"build stopped: the site folder site/ could not be replaced ({os.strerror(errno.EBUSY)} — a mount point" in err
    assert err.rstrip().endswith("; nothing was published")
    assert_unchanged(root, before)
    assert not (workspace(params) / publishing.NEXT).exists(), "what was staged is cleared"


@pytest.fixture
def ctrl_c_as_a_terminal_sends_it():
    """SIGINT with Python's default handler, as an interactive build receives Ctrl-C, whatever an earlier test of this
    session left installed (a SIGINT ignored in the test process would make these tests pass through unnoticed)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_before_the_swap_publishes_nothing(executed, tmp_path, monkeypatch, capsys, ctrl_c_as_a_terminal_sends_it):
    params = executed_copy(executed, tmp_path / "copy")
    root = tmp_path / "copy"
    before = before_fault(root)
    assemble = publishing.assemble

    def interrupted(*args):
        os.kill(os.getpid(), signal.SIGINT)
        assemble(*args)

    monkeypatch.setattr(publishing, "assemble", interrupted)
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 130
    assert "stopped; nothing was published" in capsys.readouterr().err
    assert_unchanged(root, before)


def test_ctrl_c_once_the_site_folder_is_swapped_finishes_publishing_and_says_so(built, tmp_path, monkeypatch, capsys, ctrl_c_as_a_terminal_sends_it):
    params = changed_copy(built, tmp_path / "copy")
    root = tmp_path / "copy"
    record = root / "build" / "r1" / "published.json"
    keys = root / "build" / "r1" / render.KEYS_FILE
    before = record.read_text(), keys.read_text()
    exchange = publishing.exchange

    def interrupted(first, second):
        exchanged = exchange(first, second)
        os.kill(os.getpid(), signal.SIGINT)
        return exchanged

    monkeypatch.setattr(publishing, "exchange", interrupted)
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 130
    err = capsys.readouterr().err
    assert "stopped; release r1 was published to site/r1/ first" in err and "nothing was published" not in err
    assert "520" in (root / "site" / "r1" / "districts" / "D05" / "scorecard.html").read_text()
    assert record.read_text() != before[0] and keys.read_text() != before[1], "the build's record of what it published is kept"
    assert not workspace(params).exists()
    monkeypatch.undo()
    published_site = site_state(root / "site")
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 0
    assert "; site unchanged" in capsys.readouterr().err
    assert site_state(root / "site") == published_site
