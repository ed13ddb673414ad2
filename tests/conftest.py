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
