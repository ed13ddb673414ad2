"""`districtstat new`: a consortium's params file and data templates, or a page's notebook, view and test."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from districtstat.config import ParamsError, UsageError, find_root
from districtstat.cli.common import OK, _console


def cmd_new(args: argparse.Namespace) -> int:
    """Write a new consortium's params file and data templates, or a new page's notebook, view and test."""
    console = _console()
    if args.what == "consortium":
        return _new_consortium(args, console)
    return _new_notebook(args, console)


def _project_root(start: Path) -> Path:
    try:
        return find_root(start)
    except ParamsError:
        raise UsageError(f"{os.path.relpath(start)}: not inside a districtstat project (no _quarto.yml here or above); run it in one, or give --dir") from None


def _new_consortium(args: argparse.Namespace, console: Console) -> int:
    from districtstat.scaffold.consortium import new_consortium
    from districtstat.scaffold.files import shown

    root = _project_root(Path(args.dir) if args.dir else Path.cwd())
    written = new_consortium(root, args.name, args.kind)
    params, templates = written[0], written[1:]
    console.print(f"[bold]new consortium {escape(args.name)}[/bold] ({args.kind} data): wrote")
    console.print(f"  {escape(shown(params))}  the settings, each explained beside it")
    for path in templates:
        console.print(f"  {escape(shown(path))}  a fill-in template: the header, then # lines on every column and an example row")
    params_shown = escape(shown(params))
    console.print(
        "[bold]Next[/bold]\n"
        f"  1. Fill in each CSV of {escape(shown(templates[0].parent))}/: one row per line below the header. The # lines say what each "
        "column holds and are skipped, so they may stay.\n"
        f"  2. In {params_shown}, set title, release and release_date; the comments there say how.\n"
        "  3. Check the data against the contracts, then build the site:\n"
        f"     districtstat validate --params {params_shown}\n"
        f"     districtstat build --params {params_shown}"
    )
    return OK


def _new_notebook(args: argparse.Namespace, console: Console) -> int:
    from districtstat.scaffold.files import shown
    from districtstat.scaffold.notebook import new_notebook

    params = Path(args.params) if args.params else None
    if params is not None and not params.is_file():
        raise UsageError(f"{args.params}: no such params file")
    root = _project_root(Path(args.dir) if args.dir else params.parent if params else Path.cwd())
    page = new_notebook(root, args.name, args.scope, params)
    notebook, view, test = (escape(shown(path)) for path in page.written)
    console.print(f"[bold]new {args.scope} page {escape(args.name)}[/bold]: wrote")
    console.print(f"  {notebook}  the page: opens the release and shows the view's table (no outputs until refreshed)")
    console.print(f"  {view}  what the page shows, computed from the release and protected")
    console.print(f"  {test}  its test, against the built example consortium")
    listed = f"{page.setting} in {escape(shown(params))}" if params else None
    if params and page.added:
        console.print(f"added {escape(args.name)} to {listed}")
    elif params:
        console.print(f"{escape(args.name)} was listed in {listed} already")
    steps = [
        f"Make the page what it is for: compute in {view}, show in {notebook}.",
        f"Run its test: pytest -n 0 {test}",
        "Store the notebook's outputs, which nbval compares: districtstat notebooks refresh",
        f"Build the site: districtstat build --params {escape(shown(params))}"
        if params
        else f"List {escape(args.name)} in {page.setting} of each consortium's params file that should have the page, then build: "
        "districtstat build --params params/NAME.yml",
    ]
    console.print("[bold]Next[/bold]\n" + "\n".join(f"  {number}. {step}" for number, step in enumerate(steps, start=1)))
    return OK


