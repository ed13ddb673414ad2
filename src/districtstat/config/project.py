"""A params file resolved against its project: the settings plus every path a build reads or writes. Paths never
come from the working directory: the project root is the folder above the params file that holds `_quarto.yml`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from districtstat.config.errors import RELEASE_NAME, ParamsError
from districtstat.config.models import DistrictSettings
from districtstat.config.settings import Settings


class Project:
    """A params file resolved against its project: the settings plus every path a build reads or writes."""

    def __init__(self, params_file: Path, settings: Settings, root: Path, release: str | None = None):
        self.params_file = params_file
        self.settings = settings
        self.root = root
        self.release = release or settings.release
        if not RELEASE_NAME.match(self.release):
            raise ParamsError(f"release {self.release!r}: must be letters, digits, '.', '_' or '-'")

    @property
    def data_dir(self) -> Path:
        return self.root / self.settings.data_dir

    @property
    def contracts_dir(self) -> Path:
        return self.root / "data_contracts"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def quarto_config(self) -> Path:
        return self.root / "_quarto.yml"

    @property
    def build_dir(self) -> Path:
        return self.root / "build" / self.release

    @property
    def tables_dir(self) -> Path:
        return self.build_dir / "tables"

    @property
    def executed_dir(self) -> Path:
        return self.build_dir / "districts"

    @property
    def project_dir(self) -> Path:
        """The generated Quarto project that the renderer reads."""
        return self.build_dir / "project"

    @property
    def site_dir(self) -> Path:
        return self.root / self.settings.site_dir

    @property
    def release_site_dir(self) -> Path:
        return self.site_dir / self.release

    def district_settings(self, district_id: str) -> DistrictSettings:
        return self.settings.districts.get(district_id, DistrictSettings())

    def relative(self, path: Path) -> str:
        """A path as shown to people: relative to the project root, never this machine's absolute path."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding `_quarto.yml`: the project a params file belongs to."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / "_quarto.yml").is_file():
            return folder
    raise ParamsError(f"{start}: no _quarto.yml here or above; a params file lives inside a districtstat project")


def _describe(error: ValidationError, source: str) -> str:
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        if problem["type"] == "extra_forbidden":
            lines.append(f"{source}: {where}: unknown key")
        elif problem["type"] == "missing":
            lines.append(f"{source}: {where}: required key is missing")
        else:
            lines.append(f"{source}: {where}: {problem['msg']} (got {problem.get('input')!r})")
    return "\n".join(lines)


def parse_settings(text: str, source: str) -> Settings:
    """Parse params YAML into `Settings`, turning every problem into a line naming the file and key.

    The same text gives the same settings (frozen), parsed once per process: every notebook run opens the release
    through its params file, and a warm run is forked from a server that has parsed it already (the YAML parser
    was 3% of a run's time). A text that fails is parsed again each time, and says why each time."""
    settings = _parsed_settings(text, source)
    from districtstat.data.subjects import register_subjects

    register_subjects(settings.subjects)
    return settings


@lru_cache(maxsize=32)
def _parsed_settings(text: str, source: str) -> Settings:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ParamsError(f"{source}{line}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: expected a mapping of settings, got {type(raw).__name__}")
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        raise ParamsError(_describe(error, source)) from None
    return settings


def load_project(params_file: Path | str, release: str | None = None) -> Project:
    """Read a params file and resolve it against the project that holds it."""
    params_file = Path(params_file)
    if not params_file.is_file():
        raise ParamsError(f"{params_file}: no such params file")
    root = find_root(params_file.parent)
    shown = params_file.resolve().relative_to(root).as_posix()
    settings = parse_settings(params_file.read_text(encoding="utf-8"), shown)
    return Project(params_file.resolve(), settings, root, release)
