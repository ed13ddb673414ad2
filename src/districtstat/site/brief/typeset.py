"""The brief as a PDF, laid out by Typst from the brief's text as data, with the fonts matplotlib ships, so the same
brief gives the same bytes on any machine; and the version of the code a brief's text and bytes depend on."""

from __future__ import annotations

import json
from functools import cache
from importlib import metadata, resources
from pathlib import Path

from districtstat.provenance import hash_bytes, hash_json
from districtstat.site.brief.layout import template


@cache
def fonts() -> str:
    """matplotlib's fonts folder: every installation of one matplotlib version ships the same DejaVu Sans."""
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")


@cache
def typesetter():
    """One Typst compiler for every brief of a build, reading the template from the package."""
    import typst

    with resources.as_file(resources.files("districtstat").joinpath("templates/brief.typ")) as path:
        return typst.Compiler(str(path), font_paths=[fonts()], ignore_system_fonts=True)


def brief_pdf(data: dict) -> bytes:
    shown = {key: value for key, value in data.items() if key != "counts"}
    return typesetter().compile(sys_inputs={"brief": json.dumps(shown, ensure_ascii=False, sort_keys=True)})


@cache
def code_version() -> str:
    """What a brief's text and bytes depend on besides its pages: this package's modules, its templates, Typst and the fonts."""
    modules = sorted(Path(__file__).parent.glob("*.py"))
    sources = [*(path.read_bytes() for path in modules), *(template(name).encode() for name in ("brief.typ", "brief.css"))]
    return hash_json({"code": hash_bytes(*sources), "typst": metadata.version("typst"), "fonts": metadata.version("matplotlib")})
