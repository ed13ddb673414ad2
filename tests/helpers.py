"""Make a throwaway districtstat project: the repo's config, notebooks and contracts, with its own data."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from districtstat.data.surveys import example_survey

ROOT = Path(__file__).parents[1]
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
