import pytest

collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """A project built once as release r1, for every module that reads a built site; tests that change it work on copies."""
    from districtstat.cli import main
    from helpers import make_project

    root = tmp_path_factory.mktemp("consortium")
    params = make_project(root)
    assert main(["build", "--params", str(params), "--quiet", "--workers", "2"]) == 0
    return root, params
