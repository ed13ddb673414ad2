"""The `districtstat` command.

Exit status: 0 success; 1 the data fail their contracts, a notebook failed, the disclosure audit found a problem or a
verified release does not reproduce; 2 a usage or settings error; 130 stopped by Ctrl-C (nothing published, unless
it says the release was: Ctrl-C after the swap of the site folder).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from districtstat.config import ParamsError, UsageError, find_root, load_project
from districtstat.data.contracts import ContractError
from districtstat.site.render import RENDERERS
from districtstat.execution.runner import EXECUTORS

DEFAULT_PARAMS = Path("params") / "synthetic.yml"
OK, DATA_FAILED, USAGE, STOPPED = 0, 1, 2, 130


def _console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def default_params() -> Path:
    """`params/synthetic.yml` of the project around the current folder: what the README's command builds."""
    return find_root(Path.cwd()) / DEFAULT_PARAMS


def cmd_example(args: argparse.Namespace) -> int:
    from districtstat.data.examples import EXAMPLES, write_example

    if args.name not in EXAMPLES:
        _console().print(f"districtstat example: no example {args.name!r}; choose one of: {', '.join(sorted(EXAMPLES))}")
        return USAGE
    out = Path(args.out) if args.out else find_root(Path.cwd()) / "data" / args.name
    written = write_example(args.name, out, students=args.students, seed=args.seed)
    _console().print(f"wrote the {args.name} example to {os.path.relpath(written)}")
    return OK


def _print_report(report, console: Console) -> None:
    for line in report.lines():
        console.print(line, markup=False)


def cmd_validate(args: argparse.Namespace) -> int:
    from districtstat.data.contracts import load_contracts, validate_dataset
    from districtstat.pipeline import ensure_data, validate

    console = _console()
    project = None
    if args.data:
        data_dir = Path(args.data)
        contracts = Path(args.contracts) if args.contracts else find_root(Path.cwd()) / "data_contracts"
        if not data_dir.is_dir():
            console.print(f"districtstat validate: {data_dir}: no such folder")
            return USAGE
        report = validate_dataset(data_dir, load_contracts(contracts), display_root=Path.cwd())
    else:
        project = load_project(args.params or default_params())
        ensure_data(project)
        report = validate(project, display_root=Path.cwd())  # with the topics' survey answers
    _print_report(report, console)
    if report.ok:
        console.print(f"valid: {sum(info['rows'] for info in report.files.values()):,} rows in {len(report.files)} files")
        if project is not None:
            _print_survey_status(project, report, console)
    return OK if report.ok else DATA_FAILED


def _print_survey_status(project, report, console: Console) -> None:
    """Per topic with a survey: how many districts answered, and which have not yet."""
    from districtstat.data.surveys import summary

    districts = report.tables.get("districts")
    ids = [] if districts is None else districts["district_id"].dropna().astype(str)
    for topic_id, entry in summary(project, report.tables["survey_answers"], ids).items():
        total = len(entry["answered"]) + len(entry["not_answered"])
        waiting = f"; not answered yet: {', '.join(entry['not_answered'])}" if entry["not_answered"] else ""
        console.print(f"survey {topic_id}: {len(entry['answered'])} of {total} districts answered{waiting}", markup=False)


def cmd_survey(args: argparse.Namespace) -> int:
    from districtstat.pipeline import ensure_data
    from districtstat.data.surveys import TEMPLATES_FOLDER, answers_folder, write_templates

    project = load_project(args.params or default_params())
    topics = {topic.id: topic for topic in project.settings.topics}
    if args.topic not in topics:
        raise UsageError(f"no topic {args.topic!r} in {project.relative(project.params_file)}; its topics are: {', '.join(topics) or 'none'}")
    topic = topics[args.topic]
    if topic.survey is None:
        raise UsageError(f"topic {topic.id!r} declares no survey: add `survey: {{questions: [...]}}` under it in {project.relative(project.params_file)}")
    ensure_data(project)
    folder = answers_folder(project, topic.id)
    out = Path(args.out) if args.out else folder / TEMPLATES_FOLDER
    written = write_templates(project, topic, out, args.district)
    districts = sorted({path.stem for path in written})
    console = _console()
    console.print(f"wrote {len(districts)} fill-in files for {topic.title!r} ({len(topic.survey.questions)} questions), each as CSV and XLSX, to {os.path.relpath(out)}/", markup=False)
    console.print(
        "Send each district its file. It fills in the answer column only (the other columns say what each question allows), "
        f"then returns it named by its district id, as {districts[0]}.csv or {districts[0]}.xlsx.\n"
        f"Put the returned files in {os.path.relpath(folder)}/ (one per district) and run `districtstat validate`: every answer "
        "is checked against the survey and each problem named by file, line and question; districts without a file are listed as not answered yet.",
        markup=False,
    )
    return OK


def cmd_build(args: argparse.Namespace) -> int:
    from districtstat.privacy.audit import DisclosureAuditError
    from districtstat.build import BuildFailed, build
    from districtstat.pipeline import DataInvalid
    from districtstat.site.publish import PublishError, StoppedAfterPublishing
    from districtstat.site.render import RenderError

    console = _console()
    project = load_project(args.params or default_params(), args.release)
    try:
        outcome = build(
            project,
            renderer=args.renderer,
            workers=args.workers,
            force=args.force,
            quiet=args.quiet,
            executor=args.executor,
            scheduler=args.scheduler,
            only=args.only,
        )
    except DataInvalid as error:
        _print_report(error.report, console)
        console.print("build stopped: the data fail their contracts; nothing was published")
        return DATA_FAILED
    except BuildFailed as error:
        print_failures(error, console)
        return DATA_FAILED
    except RenderError as error:
        console.print(f"build stopped: {error}; nothing was published", markup=False)
        return DATA_FAILED
    except PublishError as error:
        console.print(f"build stopped: {error}", markup=False)
        return DATA_FAILED
    except StoppedAfterPublishing as stopped:
        console.print(f"districtstat: stopped; release {stopped.release} was published to {project.relative(project.release_site_dir)}/ first", markup=False)
        return STOPPED
    except DisclosureAuditError as error:
        console.print(f"build stopped by the disclosure audit: {error}\nnothing was published", markup=False)
        return DATA_FAILED
    ran = f"{outcome.count('ran')} notebooks ran, {outcome.count('skipped')} unchanged"
    if outcome.stale:
        console.print(
            f"ran the notebooks of {', '.join(args.only)} ({ran}); not published: {len(outcome.stale)} notebook(s) of other "
            "districts are out of date (build without --only to bring them up to date and publish)"
        )
        return OK
    pages = f"; {outcome.rendered_pages} pages rendered, {outcome.reused_pages} reused" if outcome.rendered_pages or outcome.reused_pages else "; site unchanged"
    console.print(f"published release {outcome.release} to {project.relative(project.release_site_dir)}/ ({ran}{pages})")
    return OK


def print_failures(error, console: Console) -> None:
    """The failure summary: every failed district, notebook and cell with its error, then the count."""
    for failure in error.failures:
        where = f" · cell {failure.cell}" if failure.cell is not None else ""
        console.print(f"FAILED district {failure.task.district_id or '(consortium)'} · notebook {failure.task.notebook}{where}: {failure.error}", markup=False)
    others = sum(result.status != "failed" for result in error.results)
    console.print(f"build stopped: {len(error.failures)} notebook(s) failed, {others} finished; nothing was published")


def cmd_notebooks(args: argparse.Namespace) -> int:
    from districtstat.pipeline import prepare
    from districtstat.execution.runner import refresh_committed

    project = load_project(args.params or default_params())
    prepare(project)
    for path in refresh_committed(project):
        _console().print(f"refreshed {project.relative(path)}")
    return OK


def cmd_releases(args: argparse.Namespace) -> int:
    from rich.table import Table

    from districtstat.site.versions import published_releases

    project = load_project(args.params or default_params())
    releases = published_releases(project.site_dir)
    console = Console(highlight=False, soft_wrap=True)
    if not releases:
        console.print(f"no release published in {project.relative(project.site_dir)}/ yet; run `districtstat build`")
        return OK
    table = Table("release", "date", "data", "code", "parameters", "", title=f"Releases in {project.relative(project.site_dir)}/", title_justify="left")
    for release in releases:
        table.add_row(release.name, release.date or "—", release.data_hash[:12], release.code_commit, release.params_hash[:12], "latest" if release.latest else "")
    console.print(table)
    return OK


def cmd_verify(args: argparse.Namespace) -> int:
    from districtstat.pipeline import DataInvalid
    from districtstat.execution.verify import shown, verify

    console = _console()
    project = load_project(args.params or default_params(), args.release)
    try:
        outcome = verify(project, only=args.only, workers=args.workers, executor=args.executor, quiet=args.quiet)
    except DataInvalid as error:
        _print_report(error.report, console)
        console.print(f"release {project.release} cannot be verified: the data fail their contracts; nothing was executed")
        return DATA_FAILED
    for warning in outcome.warnings:
        console.print(f"[yellow]warning[/yellow] {escape(warning)}; outputs may differ for that reason")
    if outcome.inputs:
        for mismatch in outcome.inputs:
            detail = f" ({mismatch.detail})" if mismatch.detail else ""
            console.print(
                f"[red]INPUT DIFFERS[/red] {escape(mismatch.name)}: release {escape(project.release)} recorded {escape(shown(mismatch.recorded))}, "
                f"now {escape(shown(mismatch.current))}{escape(detail)}"
            )
        console.print(
            f"release {project.release} cannot be verified with these inputs: use the data, settings and tables it was built from; nothing was executed",
            markup=False,
        )
        return DATA_FAILED
    for difference in outcome.differences:
        task = difference.task
        notebook = f"{task.notebook} ({task.topic})" if task.topic else task.notebook
        cell = f" · cell {difference.cell}" if difference.cell is not None else ""
        more = f" ({difference.cells} cells differ)" if difference.cells > 1 else ""
        console.print(
            f"[red]DIFFERS[/red] release {escape(project.release)} · district {task.district_id or '(consortium)'} · notebook {escape(notebook)}"
            f"{cell}: {escape(difference.what)}{more}"
        )
        for line in difference.diff:
            console.print(f"    {line}", markup=False)
    if outcome.ok:
        console.print(f"verified: {outcome.notebooks} notebooks reproduce release {project.release}")
        return OK
    console.print(f"release {project.release} does not reproduce: {len(outcome.differences)} of {outcome.notebooks} notebooks differ")
    return DATA_FAILED


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


def cmd_serve(args: argparse.Namespace) -> int:
    from districtstat.site.serve import serve_site, site_url

    project = load_project(args.params or default_params())
    shown = project.relative(project.site_dir)
    server = serve_site(project.site_dir, args.port, shown)
    _console().print(f"serving {shown}/ at {site_url(server)} — Ctrl-C to stop", markup=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _console().print("stopped")
    finally:
        server.server_close()
    return OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="districtstat", description="District performance management: validate, analyse, publish.")
    commands = top.add_subparsers(dest="command", required=True)

    example = commands.add_parser("example", help="write an example dataset", description="Write an example dataset in the data-contract format.")
    example.add_argument("name", help="the example: synthetic")
    example.add_argument("--out", help="folder to write into (default data/NAME)")
    example.add_argument("--students", type=int, help="synthetic only: total students in the consortium (default: the README example)")
    example.add_argument("--seed", type=int, help="synthetic only: the random seed")
    example.set_defaults(func=cmd_example)

    validate = commands.add_parser(
        "validate", help="check a dataset against the data contracts", description="Check every input file against data_contracts/; exit 1 when any fails."
    )
    validate.add_argument("--params", help="params file naming the dataset (default params/synthetic.yml)")
    validate.add_argument("--data", help="a dataset folder to check instead")
    validate.add_argument("--contracts", help="the contracts folder (default: data_contracts/ of the project around the current folder)")
    validate.set_defaults(func=cmd_validate)

    build = commands.add_parser(
        "build",
        help="validate, analyse, run the notebooks and render a release",
        description="Validate the data, aggregate, fit the consortium models, run every notebook for every district and publish site/RELEASE/.",
    )
    build.add_argument("--params", help="the params file (default params/synthetic.yml)")
    build.add_argument("--release", help="release name (default: the params' release)")
    build.add_argument("--renderer", default="auto", choices=RENDERERS, help="auto: Quarto when on PATH, else smalldocs")
    build.add_argument("--workers", type=int, help="notebooks run at once on this machine (default: the number of cores)")
    build.add_argument("--scheduler", metavar="ADDRESS", help="run the notebooks on this Dask cluster (tcp://host:8786) instead of a local one")
    build.add_argument(
        "--executor", default="warm", choices=EXECUTORS, help="warm: kernels forked from a pre-imported parent (default); plain: papermill's own"
    )
    build.add_argument("--only", nargs="+", metavar="DISTRICT", help="run only these districts' notebooks; publish only if the rest are up to date")
    build.add_argument("--force", action="store_true", help="re-run every notebook even when unchanged")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(func=cmd_build)

    releases = commands.add_parser("releases", help="list the published releases", description="List the releases published in site/, newest last.")
    releases.add_argument("--params", help="the params file naming the site folder (default params/synthetic.yml)")
    releases.set_defaults(func=cmd_releases)

    survey = commands.add_parser(
        "survey",
        help="write a topic survey's fill-in files",
        description="Write one fill-in file per district (CSV and XLSX) for a topic's survey, with each question, its type and "
        "its allowed answers; the districts return them, filled in, to DATA/surveys/TOPIC/.",
    )
    survey.add_argument("action", choices=["template"], help="template: write the fill-in files")
    survey.add_argument("topic", help="the topic's id in params (its survey: questions)")
    survey.add_argument("--params", help="the params file (default params/synthetic.yml)")
    survey.add_argument("--out", help="folder to write into (default DATA/surveys/TOPIC/templates/)")
    survey.add_argument("--district", nargs="+", metavar="ID", help="only these districts (default: every district of the consortium)")
    survey.set_defaults(func=cmd_survey)

    notebooks = commands.add_parser(
        "notebooks",
        help="re-execute the committed notebooks",
        description="Re-execute notebooks/*.ipynb in place with their default parameters, so their outputs are the example run nbval checks.",
    )
    notebooks.add_argument("action", choices=["refresh"], help="refresh: re-execute and clean")
    notebooks.add_argument("--params", help="the params file whose tables they read (default params/synthetic.yml)")
    notebooks.set_defaults(func=cmd_notebooks)

    verify = commands.add_parser(
        "verify",
        help="re-execute a published release and compare its outputs",
        description="Check that the data, settings and tables are those RELEASE recorded, re-execute its notebooks from their recorded "
        "parameters in a scratch folder and compare every output cell by cell; exit 1 when anything differs.",
    )
    verify.add_argument("--release", required=True, help="the published release to verify")
    verify.add_argument("--params", help="the params file the release was built from (default params/synthetic.yml)")
    verify.add_argument("--only", nargs="+", metavar="DISTRICT", help="verify only these districts' notebooks")
    verify.add_argument("--workers", type=int, help="notebooks run at once on this machine (default: the number of cores)")
    verify.add_argument(
        "--executor", default="warm", choices=EXECUTORS, help="warm: kernels forked from a pre-imported parent (default); plain: papermill's own"
    )
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.set_defaults(func=cmd_verify)

    new = commands.add_parser(
        "new",
        help="start a new consortium or a new page",
        description="Write the files a new consortium (params and one fill-in CSV per data contract) or a new page "
        "(notebook, view module and test, listed in a params file) starts from; never over an existing file.",
    )
    kinds = new.add_subparsers(dest="what", required=True, metavar="consortium|notebook")
    consortium = kinds.add_parser(
        "consortium",
        help="a params file and data templates",
        description="Write params/NAME.yml, every setting explained, and data/NAME/ with a fill-in CSV per data contract the consortium needs.",
    )
    consortium.add_argument("name", help="lower-case letters, digits, '-' and '_': names params/NAME.yml, data/NAME/ and site/NAME/")
    consortium.add_argument(
        "--kind", default="aggregate", choices=["aggregate", "microdata"], help="aggregate: districts, district_profile, subgroup_outcomes (default); microdata: student-level files"
    )
    consortium.add_argument("--dir", help="the districtstat project to add it to (default: the one around the current folder)")
    consortium.set_defaults(func=cmd_new)
    notebook = kinds.add_parser(
        "notebook",
        help="a new page: notebook, view and test",
        description="Write notebooks/NAME.ipynb, src/districtstat/views/NAME.py and tests/views/test_NAME.py, and list NAME in a params file.",
    )
    notebook.add_argument("name", help="a lower-case Python identifier no notebook, module or page uses yet")
    notebook.add_argument("--scope", default="district", choices=["district", "consortium"], help="a page per district (default) or one for the consortium")
    notebook.add_argument("--params", help="add the page to this params file's district_notebooks (or consortium_notebooks)")
    notebook.add_argument("--dir", help="the districtstat checkout to write into (default: the one around --params or the current folder)")
    notebook.set_defaults(func=cmd_new)

    serve = commands.add_parser(
        "serve",
        help="serve the built site on this machine",
        description="Serve the params' site folder (every release) at http://127.0.0.1:PORT/ until Ctrl-C, so search and the release switcher work as on a web server.",
    )
    serve.add_argument("--params", help="the params file whose site to serve (default params/synthetic.yml)")
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on (default 8000; 0 takes any free port)")
    serve.set_defaults(func=cmd_serve)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (ParamsError, UsageError, ContractError, FileNotFoundError) as error:
        _console().print(f"districtstat {args.command}: {error}", markup=False)
        return USAGE
    except KeyboardInterrupt:
        _console().print("districtstat: stopped; nothing was published")
        return STOPPED


if __name__ == "__main__":
    sys.exit(main())
