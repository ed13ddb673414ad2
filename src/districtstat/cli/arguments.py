"""The command line: every command, its arguments and its help."""

from __future__ import annotations

import argparse

from districtstat.site.render import RENDERERS
from districtstat.execution.runner import EXECUTORS
from districtstat.cli.commands import cmd_build, cmd_example, cmd_notebooks, cmd_releases, cmd_serve, cmd_survey, cmd_validate, cmd_verify
from districtstat.cli.new import cmd_new


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
        "--executor", default="warm", choices=EXECUTORS, help="warm: each notebook's cells run in a fork of a pre-imported parent (default); plain: papermill's own kernels"
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
        "--executor", default="warm", choices=EXECUTORS, help="warm: each notebook's cells run in a fork of a pre-imported parent (default); plain: papermill's own kernels"
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


