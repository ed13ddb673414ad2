"""`districtstat new notebook NAME`: a new page, as the project builds every page, in three files and one setting.

- `notebooks/NAME.ipynb`: a thin notebook (a `parameters` cell as the other pages of its scope declare it, a cell that
  opens the release, a call to the view), with no outputs yet: `districtstat notebooks refresh` stores them, as for
  every committed notebook, and nbval compares them afterwards;
- `src/districtstat/views/NAME.py`: what the page shows, computed from the release and protected (see `page_sources`);
- `tests/views/test_NAME.py`: a test of the view against the built example consortium;
- with `--params`, NAME added to that file's `district_notebooks` (or `consortium_notebooks`), comments kept.

The name is checked first, so that a page never shadows a name the notebook, the package, the site or pytest uses.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from districtstat.files import write_atomic
from districtstat.scaffold.files import ScaffoldError, refuse_existing, shown, write_new
from districtstat.scaffold.page_sources import SOURCES, filled
from districtstat.scaffold.params_edit import with_list_item

SCOPES = {"district": ("params_file", "release", "district_id"), "consortium": ("params_file", "release")}
LIST_SETTING = {"district": "district_notebooks", "consortium": "consortium_notebooks"}
NOTEBOOK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Names the page's notebook binds itself: the page's module may not shadow them.
NOTEBOOK_NAMES = {"districtstat", "report", "views", "consortium", "params_file", "release", "district_id", "topic_id"}
# Pages and folders of a release's site: a consortium page is NAME.html beside them, a district page beside index and brief.
SITE_NAMES = {"index", "districts", "methods", "topics", "downloads", "datapackage", "search", "sitemap", "styles", "site_libs", "brief", "listings"}
# Used when no notebook of the project declares the scope's parameters: the README example's defaults.
DEFAULT_PARAMETERS = {"params_file": '"../params/synthetic.yml"', "release": "None", "district_id": '"D03"'}


@dataclass(frozen=True)
class NewPage:
    written: list[Path]
    params_file: Path | None
    setting: str
    added: bool  # False: the params file listed the name already


def page_files(root: Path, name: str, scope: str = "district") -> dict[Path, str]:
    """The page's three files, path by path, after checking the name against everything it could collide with."""
    if scope not in SCOPES:
        raise ScaffoldError(f"scope {scope!r}: choose district or consortium")
    package = root / "src" / "districtstat"
    if not (package / "views").is_dir():
        raise ScaffoldError(
            f"{shown(root)}: no src/districtstat/views/ here. `districtstat new notebook` adds a page to a checkout of "
            "districtstat's source, where the page's logic goes; run it there, or give --dir"
        )
    check_name(root, name)
    sources = SOURCES[scope]
    return {
        root / "notebooks" / f"{name}.ipynb": notebook_text(root, name, scope),
        package / "views" / f"{name}.py": filled(sources["view"], name, sources["what"]),
        root / "tests" / "views" / f"test_{name}.py": filled(sources["test"], name),
    }


def check_name(root: Path, name: str) -> None:
    """A page name is a lower-case Python identifier that nothing of the project uses yet."""
    if not NOTEBOOK_NAME.match(name):
        raise ScaffoldError(
            f"notebook name {name!r}: use lower-case letters, digits and '_', starting with a letter, at most 40 "
            "(a Python identifier such as attendance_trends): it names notebooks/NAME.ipynb and districtstat.views.NAME"
        )
    package = root / "src" / "districtstat"
    taken = [
        (keyword.iskeyword(name) or keyword.issoftkeyword(name), "it is a Python keyword"),
        (name in NOTEBOOK_NAMES, "the page's notebook uses that name itself"),
        (name in SITE_NAMES, "the report site has a page or folder of that name"),
        ((root / "notebooks" / f"{name}.ipynb").exists(), f"there is a notebook {shown(root / 'notebooks' / f'{name}.ipynb')} already"),
        ((package / "views" / f"{name}.py").exists(), f"{shown(package / 'views' / f'{name}.py')} is a views module already"),
        (any(path.stem == name for path in package.iterdir()), f"districtstat.{name} is a module of the package"),
    ]
    tests = sorted((root / "tests").rglob(f"test_{name}.py")) if (root / "tests").is_dir() else []
    taken.append((bool(tests), f"{shown(tests[0]) if tests else ''} exists, and pytest cannot collect two test files of one name"))
    reasons = [reason for clashes, reason in taken if clashes]
    if reasons:
        raise ScaffoldError(f"notebook name {name!r} is taken: {reasons[0]}; choose another name")


def notebook_text(root: Path, name: str, scope: str) -> str:
    """The notebook as committed before its first refresh: cells as the sources say, no outputs, ids cell-0, cell-1..."""
    parameters, metadata = _parameters_like(root / "notebooks", SCOPES[scope])
    notebook = nbformat.v4.new_notebook(metadata=metadata)
    for number, (kind, text) in enumerate(SOURCES[scope]["cells"]):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(filled(text, name), metadata={"tags": []})
        else:
            tags = ["parameters"] if kind == "parameters" else []
            cell = nbformat.v4.new_code_cell(parameters if kind == "parameters" else filled(text, name), metadata={"tags": tags})
        cell["id"] = f"cell-{number}"
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"  # as nbformat.write leaves a file


def _parameters_like(folder: Path, names: tuple[str, ...]) -> tuple[str, dict]:
    """The parameters cell and notebook metadata of the first committed notebook declaring exactly these parameters, so
    a new page has the same defaults (the example consortium and district) as its neighbours."""
    for path in sorted(folder.glob("*.ipynb")):
        try:
            notebook = nbformat.read(path, as_version=4)
        except (OSError, ValueError):
            continue
        cell = next((c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])), None)
        if cell is not None and _assigned(cell.source) == list(names):
            return cell.source, {key: notebook.metadata[key] for key in ("kernelspec", "language_info") if key in notebook.metadata}
    lines = "\n".join(f"{parameter} = {DEFAULT_PARAMETERS[parameter]}" for parameter in names)
    return lines, {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}


def _assigned(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [target.id for statement in tree.body if isinstance(statement, ast.Assign) for target in statement.targets if isinstance(target, ast.Name)]


def new_notebook(root: Path, name: str, scope: str = "district", params_file: Path | None = None) -> NewPage:
    """Write the page's files and list it in the params file, or nothing at all when any step cannot be done."""
    files = page_files(root, name, scope)
    refuse_existing(list(files))
    setting = LIST_SETTING[scope]
    edited, added = None, False
    if params_file is not None:
        text = params_file.read_text(encoding="utf-8")
        edited, added = with_list_item(text, setting, name, shown(params_file))
    written = write_new(files)
    if added:
        write_atomic(params_file, edited)
    return NewPage(written, params_file, setting, added)
