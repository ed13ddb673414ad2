"""Make a throwaway districtstat project: the repo's config, notebooks and contracts, with its own data."""

from __future__ import annotations

import hashlib
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

from districtstat.config import load_project
from districtstat.data.surveys import example_survey

ROOT = Path(__file__).parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
# The example's survey (as params/synthetic.yml declares it), written as YAML flow: the example data answer it.
TOPIC = f"""topics:
  - id: transportation
    title: Transportation
    indicators: [spend_transportation, BUS_ON_TIME_PCT]
    questions: ["Which routes run late?"]
    survey: {json.dumps(example_survey())}
"""


def make_project(root: Path, release: str = "r1", students: int = 6000, extra_params: str = "", min_n: int = 10) -> Path:
    """A project folder with a small synthetic consortium; returns its params file."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "_quarto.yml", root / "_quarto.yml")
    for folder in ("notebooks", "data_contracts"):
        shutil.copytree(ROOT / folder, root / folder, dirs_exist_ok=True)
    (root / "params").mkdir(exist_ok=True)
    params = root / "params" / "test.yml"
    params.write_text(
        f"title: Test Consortium\ndataset: synthetic\ndata_dir: data/synthetic\nrelease: {release}\nrelease_date: 2024-09-30\nmin_n: {min_n}\n{TOPIC}{extra_params}",
        encoding="utf-8",
    )
    if not (root / "data" / "synthetic").is_dir():
        from districtstat.data.examples import write_example

        write_example("synthetic", root / "data" / "synthetic", students=students)
    return params


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under a folder with the hash of its bytes, for byte-for-byte comparisons."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def break_first_student(students: Path) -> None:
    """Give the first student of a students.csv a race/ethnicity outside the code set: data that fail their contract."""
    lines = students.read_text().splitlines()
    fields = lines[1].split(",")
    fields[2] = "ZZ"
    lines[1] = ",".join(fields)
    students.write_text("\n".join(lines) + "\n")


def make_notebook_project(tmp_path: Path, notebooks: list[str], release: str = "r1", districts: str = ""):
    """A bare project whose notebooks are the named fixture notebooks: what the runner and kernel tests run."""
    shutil.copy(ROOT / "_quarto.yml", tmp_path / "_quarto.yml")
    (tmp_path / "params").mkdir(exist_ok=True)
    (tmp_path / "params" / "p.yml").write_text(f"title: T\ndataset: custom\ndata_dir: data\nrelease: {release}\n{districts}")
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    for name in notebooks:
        shutil.copy(FIXTURES / f"{name}.ipynb", tmp_path / "notebooks" / f"{name}.ipynb")
    return load_project(tmp_path / "params" / "p.yml")


def kernel_line(project, task):
    import nbformat

    notebook = nbformat.read(project.executed_dir / task.output_name, as_version=4)
    text = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
    _, pid, _, parent = text.split()[:4]
    return int(pid), int(parent)


class Tables(HTMLParser):
    """Collects the header and body cells of every table on a page."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell, self._in, self._tag = [], None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"headers": [], "rows": [], "caption": ""})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th", "caption"):
            row_header = tag == "th" and dict(attrs).get("scope") == "row"  # a row's first cell, a body cell like any other
            self._in, self._cell = ("td" if row_header else tag), ""
            self._tag = tag

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if self._in is not None and tag == self._tag and self.tables:
            table = self.tables[-1]
            if self._in == "caption":
                table["caption"] = self._cell.strip()
            elif self._in == "th":
                table["headers"].append(self._cell.strip())
            else:
                table["rows"][-1].append(self._cell.strip())
            self._cell = self._in = None


def page_tables(path):
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def integer_attack(counts: dict, hidden: set, equations: list[tuple[str, tuple[str, ...]]]) -> dict:
    """An attacker written apart from `disclosure`: for each hidden count, and for the hidden parts of each equation
    taken together, the least and most students they can hold in whole numbers, given every shown count.

    Integer programs (scipy's `milp`), so a rounding the linear relaxation misses would show here."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    unknown = sorted(hidden)
    if not unknown:
        return {}
    index = {cell: i for i, cell in enumerate(unknown)}
    rows, rhs = [], []
    for total, parts in equations:
        row, known = np.zeros(len(unknown)), 0.0
        for cell, sign in [(total, -1.0), *((part, 1.0) for part in parts)]:
            if cell in index:
                row[index[cell]] += sign
            else:
                known += sign * counts[cell]
        rows.append(row)
        rhs.append(-known)
    constraint = LinearConstraint(np.array(rows), rhs, rhs)
    integral, bounds = np.ones(len(unknown)), Bounds(0, np.inf)
    targets = {cell: np.eye(len(unknown))[index[cell]] for cell in unknown}
    for total, parts in equations:
        together = [part for part in parts if part in index]
        if together:
            targets[(total, tuple(together))] = sum(np.eye(len(unknown))[index[part]] for part in together)
    found = {}
    for target, objective in targets.items():
        low = milp(objective, constraints=constraint, integrality=integral, bounds=bounds)
        high = milp(-objective, constraints=constraint, integrality=integral, bounds=bounds)
        assert low.status == 0, (target, low.message)  # the true counts are a solution
        found[target] = (round(low.fun), round(-high.fun) if high.status == 0 else np.inf)  # else unbounded
    return found


def build_copy(root, tmp_path, *args):
    """A copy of the built project (build folder and site included) to change and build again; the same copy on a
    second call within one test."""
    copy = tmp_path / "copy"
    if not copy.exists():
        shutil.copytree(root, copy)
    params = copy / "params" / "test.yml"
    return copy, params
