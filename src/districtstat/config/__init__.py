"""The one configuration object: a params file parsed into strict models, and every path derived from it.

Paths never come from the working directory: the project root is the folder above the params file
that holds `_quarto.yml`, and every other location is computed from it and the release name.

The submodules, one concern each (every name is re-exported here):

- ``errors``: `ParamsError` and `UsageError`;
- ``models``: the efficiency and peer models, gaps, per-district settings and the subjects tested;
- ``topics``: topics of the quarter and their surveys;
- ``settings``: `Settings`, the whole params file;
- ``project``: `Project`, `load_project`, `parse_settings` and `find_root`.
"""

from districtstat.config.errors import RELEASE_NAME, ParamsError, UsageError
from districtstat.config.models import AlternativeModel, DistrictSettings, EfficiencyModel, GapSettings, PeerModel, Strict, Subject
from districtstat.config.project import Project, find_root, load_project, parse_settings
from districtstat.config.settings import Settings
from districtstat.config.topics import QUESTION_TYPES, Question, Survey, Topic

__all__ = [
    "QUESTION_TYPES",
    "RELEASE_NAME",
    "AlternativeModel",
    "DistrictSettings",
    "EfficiencyModel",
    "GapSettings",
    "ParamsError",
    "PeerModel",
    "Project",
    "Question",
    "Settings",
    "Strict",
    "Subject",
    "Survey",
    "Topic",
    "UsageError",
    "find_root",
    "load_project",
    "parse_settings",
]
