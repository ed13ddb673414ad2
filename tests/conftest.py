import pytest
from filelock import FileLock

collect_ignore_glob = ["fixtures/*"]


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


# Test files whose fixtures build whole sites, the longest first: pytest-xdist hands each worker whole files in this
# order, so the long ones start at once and the many short files fill the gaps, instead of one long file starting last
# and running alone at the end. The first two do not wait for each other (only the first reads the shared build).
BUILDS_FIRST = [
    "tests/test_build.py",
    "tests/site/test_browser.py",
    "tests/test_rebuilds.py",
    "tests/privacy/test_release_pair_attack.py",
    "tests/test_faults.py",
    "tests/execution/test_verify.py",
    "tests/test_scaffold.py",
    "tests/data/test_surveys.py",
]


def pytest_collection_modifyitems(config, items):
    rank = {path: place for place, path in enumerate(BUILDS_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(BUILDS_FIRST)))
