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
