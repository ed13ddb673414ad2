"""Before nbval re-runs the committed notebooks, make sure the example release's tables exist."""

from pathlib import Path

ROOT = Path(__file__).parent


def pytest_collection_finish(session):
    if any(Path(str(item.fspath)).suffix == ".ipynb" for item in session.items):
        from districtstat.config import load_project
        from districtstat.pipeline import prepare

        prepare(load_project(ROOT / "params" / "synthetic.yml"))
