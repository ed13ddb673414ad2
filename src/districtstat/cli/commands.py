"""The commands that validate, build, publish, verify and serve a consortium, one function each."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from districtstat.config import UsageError, find_root, load_project
from districtstat.cli.common import DATA_FAILED, OK, STOPPED, USAGE, _console, default_params


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
    with tempfile.TemporaryDirectory(prefix="districtstat-validate-") as spool:  # large files checked in chunks
        if args.data:
            data_dir = Path(args.data)
            contracts = Path(args.contracts) if args.contracts else find_root(Path.cwd()) / "data_contracts"
            if not data_dir.is_dir():
                console.print(f"districtstat validate: {data_dir}: no such folder")
                return USAGE
            report = validate_dataset(data_dir, load_contracts(contracts), display_root=Path.cwd(), spool_dir=Path(spool))
        else:
            project = load_project(args.params or default_params())
            ensure_data(project)
            report = validate(project, display_root=Path.cwd(), spool_dir=Path(spool))  # with the topics' survey answers
        _print_report(report, console)
        if report.ok:
            console.print(f"valid: {sum(info['rows'] for info in report.files.values()):,} rows in {len(report.files)} files")
            if project is not None:
                _print_survey_status(project, report, console)
    return OK if report.ok else DATA_FAILED


def _print_survey_status(project, report, console: Console) -> None:
    """Per topic with a survey: how many districts answered, and which have not yet."""
    from districtstat.data.spool import as_frame
    from districtstat.data.surveys import summary

    districts = as_frame(report.tables.get("districts"), ["district_id"])
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
    for note in outcome.notes:
        console.print(f"note: {note}", markup=False)
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


