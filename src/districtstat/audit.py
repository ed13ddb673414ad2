"""Checks on what is about to be published: no student identifier or row-level field anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

TOKEN = re.compile(r"[A-Za-z0-9_-]+")
ROW_LEVEL_FIELDS = ("student_id", "birth_date")
TEXT_SUFFIXES = {".html", ".htm", ".json", ".csv", ".tsv", ".txt", ".md", ".xml", ".svg", ".js"}


class DisclosureAuditError(RuntimeError):
    """Something about to be published could identify a student."""


def student_identifiers(data_dir: Path) -> set[str]:
    """Every student id and birth date in the dataset: none may appear in the site."""
    found: set[str] = set()
    for path in sorted(data_dir.glob("students.*")):
        frame = pd.read_csv(path, dtype=str, usecols=lambda c: c in ROW_LEVEL_FIELDS) if path.suffix == ".csv" else pd.read_parquet(path, columns=list(ROW_LEVEL_FIELDS))
        for column in frame.columns:
            found.update(frame[column].dropna().astype(str))
    return found


def scan_site(site_dir: Path, identifiers: set[str]) -> list[str]:
    """Files under `site_dir` that contain a student identifier or the name of a row-level field."""
    problems = []
    for path in sorted(p for p in site_dir.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES):
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(site_dir).as_posix()
        for field in ROW_LEVEL_FIELDS:
            if field in text:
                problems.append(f"{where}: row-level field name '{field}'")
        leaked = sorted(set(TOKEN.findall(text)) & identifiers)
        if leaked:
            problems.append(f"{where}: {len(leaked)} student identifier(s), e.g. {leaked[0]}")
    return problems


def audit_release(rendered: Path, data_dir: Path) -> None:
    problems = scan_site(rendered, student_identifiers(data_dir))
    if problems:
        raise DisclosureAuditError("the release would publish student-level data:\n" + "\n".join(problems[:20]))
