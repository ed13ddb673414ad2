"""What a release publishes for the next one to compare with: the files' names, and a published record read back as text."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

KEY_FIGURES_FILE = "downloads/key_figures.csv"
PARAMETERS_FILE = "downloads/parameters.json"
# The routines' records as published: the next release compares them as it compares the key figures.
ACTIONS_FILE = "downloads/actions.csv"
SURVEY_ANSWERS_FILE = "downloads/survey_answers.csv"


def read_published(path: Path) -> pd.DataFrame | None:
    """A routine's published record (actions, survey answers) of an earlier release, as text; None when it published none."""
    return published_text(path.read_text(encoding="utf-8")) if path.is_file() else None


def published_text(csv: str) -> pd.DataFrame:
    """A published CSV read as its text, so two releases are compared exactly as they were published."""
    return pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
