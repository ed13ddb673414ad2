"""Before nbval re-runs the committed notebooks, make sure the example release's tables exist."""

from pathlib import Path

ROOT = Path(__file__).parent


def pytest_collection_finish(session):
    """Under pytest-xdist every worker collects: one prepares the example while the others wait on a lock and then
    find its tables current, instead of writing the same data and tables at once."""
    if any(Path(str(item.fspath)).suffix == ".ipynb" for item in session.items):
        from filelock import FileLock

        from districtstat.config import load_project
        from districtstat.pipeline import prepare

        project = load_project(ROOT / "params" / "synthetic.yml")
        project.build_dir.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(project.build_dir.parent / "prepare.lock")):
            prepare(project)
