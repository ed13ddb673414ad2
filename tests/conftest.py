import pytest
from filelock import FileLock

collect_ignore_glob = ["fixtures/*"]

# The order pytest-xdist hands out whole files (`--dist loadfile --no-loadscope-reorder`, so it keeps this order
# rather than putting the files with most tests first) on two workers. The file that builds the shared
# release comes first, so its build starts at once; then the files that need no built release, which the other worker
# runs meanwhile instead of waiting on the build's lock; then those that read the second release, which one worker
# builds while the other still has the first kind to run; then the rest. Within each kind, the longest files first,
# so that both workers run out of work at about the same time.
LONGEST_FIRST = (
    "tests/test_faults.py",
    "tests/test_scaffold.py",
    "tests/execution/test_carried.py",
    "tests/analyses/test_planted_truths.py",
    "tests/test_aggregate_consortium.py",
    "tests/test_build.py",
    "tests/site/test_browser.py",
    "tests/test_rebuilds.py",
    "tests/execution/test_verify.py",
)
NEEDS_NOTHING, NEEDS_BUILT, NEEDS_SECOND_RELEASE = 1, 3, 2


def file_kind(items) -> int:
    fixtures = set().union(*(getattr(item, "fixturenames", ()) for item in items))
    return NEEDS_SECOND_RELEASE if "second_release" in fixtures else NEEDS_BUILT if "built" in fixtures else NEEDS_NOTHING


def pytest_collection_modifyitems(config, items):
    by_file: dict[str, list] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::")[0], []).append(item)
    first = LONGEST_FIRST[0]

    def place(path: str) -> tuple:
        if path == first:
            return (0, 0)
        return (file_kind(by_file[path]), LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST))

    items[:] = [item for path in sorted(by_file, key=place) for item in by_file[path]]


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id):
    """A project built once as release r1, for every module that reads a built site; tests that change it work on copies.

    Under pytest-xdist every worker has its own session: the first to ask builds the project in the run's shared
    temporary folder while the others wait on a lock, then all read the same build."""
    from districtstat.cli import main
    from helpers import make_project

    if worker_id == "master":
        root = tmp_path_factory.mktemp("consortium")
        params = make_project(root)
        assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 0
        return root, params
    root = tmp_path_factory.getbasetemp().parent / "consortium"
    params = root / "params" / "test.yml"
    with FileLock(f"{root}.lock"):
        done = root.with_name("consortium.built")
        if not done.is_file():
            params = make_project(root)
            assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 0
            done.write_text("built once for every worker\n")
    return root, params


@pytest.fixture(scope="session")
def second_release(built, tmp_path_factory, worker_id):
    """Release r2 of the shared consortium after a quarter's changes (see `second_release.py`), built once for every
    module that compares two releases; tests that change it work on copies. Under pytest-xdist, built once as
    `built` is, and the scenario's facts are read back from a file by the other workers."""
    from second_release import make_second_release, read_scenario, scenario_paths, write_scenario

    source, params = built
    if worker_id == "master":
        return scenario_paths(make_second_release(source, params, tmp_path_factory.mktemp("second-release") / "consortium"))
    root = tmp_path_factory.getbasetemp().parent / "second-release"
    facts = root.with_name("second-release.json")
    with FileLock(f"{root}.lock"):
        if not facts.is_file():
            write_scenario(make_second_release(source, params, root / "consortium"), facts)
    return scenario_paths(read_scenario(facts))
