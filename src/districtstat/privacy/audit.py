"""The audit at publish: read what the release would publish, as an attacker would, before anything is published.

Four checks, each failing the build with the file, table, cell and value named:

- every published student count, read back from the CSV downloads (the same cells the pages show), is 0 or at
  least `min_n`, and a count published twice is published the same way twice;
- no hidden count can be worked out: for each district, year and subject, the attacker's linear program bounds
  every hidden count from all the counts the release shows and how groups add up; with the previous release's
  counts too, when it reported the same students (differencing), and no group or set of groups moved by a certain
  1 to `min_n` − 1 students since the previous release (`disclosure.changed_by_few`);
- every published percentage of students, read beside its count, is rounded to its group size's step and places
  no 1 to `min_n` − 1 students inside its category or outside it (`disclosure.shown_percent`);
- no student identifier, name or birth date, and no row-level field, anywhere in the release, PDFs read as text.

Counts a page shows outside its tables (a district brief's) join the published counts, so each must be shown as
the tables show it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from districtstat.privacy.disclosure import STUDENT_COUNTS_FILE, SUPPRESSED, TOLERANCE, Contradiction, attacker_bounds, changed_by_few, exposed_cells, percent_interval, percent_step, read_student_counts, small_hidden_groups, subgroup_relations
from districtstat.files import read_json, write_json_atomic
from districtstat.privacy.pdf_reading import UnreadableFile, pdf_text, texts_in_processes

# An id is found as a whole token, and as a word inside one (`report_ST0001`), never as part of a longer word.
ROW_LEVEL_FIELDS = ("student_id", "birth_date")
NAME_FIELDS = ("first_name", "last_name")
PROBLEMS_SHOWN = 10
TEXT_SUFFIXES = {".html", ".htm", ".json", ".csv", ".tsv", ".txt", ".md", ".xml", ".svg", ".js"}


class DisclosureAuditError(RuntimeError):
    """Something about to be published could identify a student."""


# ------------------------------------------------------------------ published counts


@dataclass(frozen=True)
class PublishedCount:
    """One count cell of one published table."""

    key: str | None  # None: a count no other table or release publishes
    value: float | None
    table: str
    row: int
    column: str

    def where(self) -> str:
        shown = SUPPRESSED if self.value is None else f"{self.value:g}"
        return f"{self.table}, row {self.row}, column “{self.column}” ({shown}{f', {self.key}' if self.key else ''})"


@lru_cache(maxsize=4096)
def _parsed_rows(content: bytes) -> tuple[dict, ...]:
    return tuple(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def published_rows(folder: Path, table) -> tuple[dict, ...]:
    """A published table's rows as its CSV under `folder` holds them now, parsed once per content (the counts and
    the percentages checks read the same files)."""
    return _parsed_rows((folder / table.path).read_bytes())


def read_counts(folder: Path, tables) -> list[PublishedCount]:
    """Every count cell of the given published tables, read back from their CSV files under `folder`."""
    found = []
    for table in tables:
        if not table.counts:
            continue
        rows = published_rows(folder, table)
        for column, keys in table.counts.items():
            for number, (row, key) in enumerate(zip(rows, keys), start=1):
                text = row[column]
                value = None if text == SUPPRESSED else float(text) if text else 0.0
                found.append(PublishedCount(key, value, table.path, number, column))
    return found


def counts_by_key(cells: list[PublishedCount]) -> tuple[dict[str, float | None], list[str]]:
    """One value per key, and a problem for every key two tables publish differently (one hiding what another shows)."""
    values: dict[str, float | None] = {}
    first: dict[str, PublishedCount] = {}
    problems = []
    for cell in cells:
        if cell.key is None:
            continue
        if cell.key not in first:
            first[cell.key], values[cell.key] = cell, cell.value
        elif cell.value != first[cell.key].value:
            problems.append(f"the same count is published two ways, {first[cell.key].where()} and {cell.where()}")
            if values[cell.key] is None:
                values[cell.key] = cell.value  # shown once is shown
    return dict(sorted(values.items())), problems


def percentages_giving_counts(folder: Path, tables, min_n: int) -> list[str]:
    """Published percentages of students, read back from the CSV files beside the count they are of, that tell how
    many students are in their category or outside it: not rounded to their group size's step, or pinned to 1 to
    `min_n` − 1 students."""
    problems = []
    for table in tables:
        if not table.percents:
            continue
        rows = published_rows(folder, table)
        for column, count in table.percents.items():
            for number, row in enumerate(rows, start=2):
                text, n_text = row.get(column, ""), row.get(count, "")
                if text in ("", SUPPRESSED) or n_text in ("", SUPPRESSED):
                    continue
                n = float(n_text)
                step = percent_step(n, min_n)
                shown = text if text[:1] in "<>" else float(text)
                where = f"{table.path}, line {number}, column “{column}”: {text}% of {n:g} students"
                if step is None or (isinstance(shown, float) and abs(shown / step - round(shown / step)) > TOLERANCE):
                    problems.append(f"{where} is not rounded to a step of its group size")
                    continue
                low, high = percent_interval(shown, n, min_n)
                for what, (a, b) in (("in", (low, high)), ("outside", (n - high, n - low))):
                    if TOLERANCE < a and b < min_n - TOLERANCE:
                        problems.append(f"{where} puts {a:g} to {b:g} students {what} its category")
    return problems


def small_counts(cells: list[PublishedCount], min_n: int) -> list[str]:
    return [cell.where() for cell in cells if cell.value is not None and 0 < cell.value < min_n]


# ------------------------------------------------------------------ the attacker


def tested_systems(values: Mapping[str, float | None]) -> dict[tuple[str, ...], dict[str, float | None]]:
    """Published test-taker counts grouped by district, year, subject and grade: the counts that add up together."""
    systems: dict[tuple[str, ...], dict[str, float | None]] = {}
    for key, value in values.items():
        measure, *system, group = key.split("/")
        if measure == "tested":
            systems.setdefault(tuple(system), {})[group] = value
    return systems


def true_counts(outcomes: pd.DataFrame) -> dict[tuple[str, ...], dict[str, float]]:
    """The counts of every group in the data, by district, year, subject and grade: the attacker is assumed to know
    exactly how groups add up (including whether some students have no race recorded), never their sizes."""
    frame = outcomes.dropna(subset=["n"])
    systems: dict[tuple[str, ...], dict[str, float]] = {}
    for district, year, subject, grade, group, n in zip(frame["district_id"], frame["school_year"], frame["subject"], frame["grade"], frame["subgroup"], frame["n"]):
        systems.setdefault((str(district), str(int(year)), str(subject), str(grade)), {})[str(group)] = float(n)
    return systems


def recoverable(
    published: Mapping[str, float | None],
    truth: Mapping[tuple[str, ...], Mapping[str, float]],
    margin: float,
    previous: Mapping[str, float | None] | None = None,
    min_n: int = 10,
) -> list[tuple[str, str]]:
    """(key, how) for every hidden count an attacker can place in an interval narrower than `margin`.

    With the previous release's counts, a district, year and subject whose shown counts agree in both releases is
    the same students twice, so the attacker combines what either shows; a count hidden now that the previous
    release showed is no news and is not judged again. Counts that changed are judged by `moved_by_few`. The groups
    a relation hides must also add up to at least `min_n` students (`small_hidden_groups`)."""
    found = []
    before = tested_systems(previous or {})
    for system, cells in sorted(tested_systems(published).items()):
        hidden = {group for group, value in cells.items() if value is None}
        if not hidden and system not in before:
            continue
        shown = {group: value for group, value in cells.items() if value is not None}
        earlier = {g: v for g, v in before.get(system, {}).items() if v is not None}
        relations = subgroup_relations(truth.get(system, {group: 0.0 for group in cells}))
        combined = None
        if earlier and all(earlier[g] == v for g, v in shown.items() if g in earlier):
            try:
                combined = [e for e in exposed_cells(earlier | shown, hidden - earlier.keys(), relations, margin) if not already_published(earlier, e, relations)]
            except Contradiction:
                combined = None  # not the same students after all: `moved_by_few` judges what changed
        try:
            exposures = combined if combined is not None else exposed_cells(shown, hidden, relations, margin)
            small = small_hidden_groups(shown, relations, min_n)
        except Contradiction as error:
            found.append(("/".join(["tested", *system]), str(error)))
            continue
        suffix = " together with the previous release" if combined is not None else ""
        found += [("/".join(["tested", *system, e.cell]), e.describe() + suffix) for e in exposures]
        if system in before:
            then = {group: value for group, value in before[system].items() if value is not None}
            try:
                found += [("/".join(["tested", *system, m.cells[0]]), m.describe()) for m in changed_by_few(shown, then, relations, min_n)]
            except Contradiction as error:
                found.append(("/".join(["tested", *system]), str(error)))
        for relation, most in small:
            hidden_parts = [part for part in relation.parts if part in hidden]
            if hidden_parts:
                found.append(("/".join(["tested", *system, hidden_parts[0]]), f"the groups of {relation.total} not shown ({', '.join(hidden_parts)}) add up to at most {most:g} students"))
    return found


def already_published(earlier: Mapping[str, float], exposure, relations) -> bool:
    """Whether the previous release alone placed the count in as narrow a range: then combining the two tells
    nothing new (a release that raises `min_n` hides more, but cannot take back what the last one showed)."""
    low, high = attacker_bounds(earlier, {exposure.cell}, relations)[exposure.cell]
    return high - low <= exposure.high - exposure.low + TOLERANCE


def moved_by_few(published: Mapping[str, float | None], previous: Mapping[str, float | None], min_n: int) -> list[str]:
    """Counts both releases show for the same students whose difference describes fewer than `min_n` of them."""
    problems = []
    for key, value in published.items():
        before = previous.get(key)
        if value is not None and before is not None and 0 < abs(value - before) < min_n:
            problems.append(f"{key}: {before:g} in the previous release and {value:g} now, so the two differ by {abs(value - before):g} students")
    return problems


# ------------------------------------------------------------------ identifiers


def student_identifiers(data_dir: Path) -> tuple[set[str], set[str]]:
    """Every student id and birth date (single tokens) and full name (`first last`) in the dataset: none may appear
    in the site. Single first or last names are not searched: `White` or `Hall` are words of the pages too."""
    tokens: set[str] = set()
    names: set[str] = set()
    wanted = (*ROW_LEVEL_FIELDS, *NAME_FIELDS)
    for path in sorted(data_dir.glob("students.*")):
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, usecols=lambda c: c in wanted)
        else:
            frame = pd.read_parquet(path)
            frame = frame[[c for c in frame.columns if c in wanted]]
        for column in ROW_LEVEL_FIELDS:
            if column in frame:
                tokens.update(frame[column].dropna().astype(str))
        if all(column in frame for column in NAME_FIELDS):
            full = frame["first_name"].astype("string").str.strip() + " " + frame["last_name"].astype("string").str.strip()
            names.update(full.dropna().str.lower())
    return tokens, names


PDFS_PER_PROCESS = 32  # a process takes about half a second to start; a PDF's text, 15 ms


class PdfTexts:
    """The texts of PDFs read by an earlier audit, by the SHA-256 of their bytes: reading a PDF's text takes a tenth
    of a second, so only the PDFs that changed are read again (by the same reader, which `reader` names)."""

    @staticmethod
    def reader() -> str:
        from importlib import metadata

        return f"pypdf {metadata.version('pypdf')}"

    def __init__(self, known: Mapping[str, str] | None = None):
        self.known, self.read = dict(known or {}), {}
        self.digests: dict[Path, str] = {}  # what `read_all` hashed, so `text` does not read and hash it again

    def digest(self, path: Path) -> tuple[str, bytes | None]:
        """The SHA-256 of a PDF's bytes, and the bytes when they had to be read for it."""
        if path in self.digests:
            return self.digests[path], None
        content = path.read_bytes()
        self.digests[path] = hashlib.sha256(content).hexdigest()
        return self.digests[path], content

    def read_all(self, paths: list[Path]) -> None:
        """Read every PDF not read before, on every core when there are many (pypdf is pure Python: a process each);
        when there are few, `text` reads each as it comes, once."""
        if min(os.cpu_count() or 1, len(paths) // PDFS_PER_PROCESS) < 2:
            return
        unread = {}
        for path in paths:
            digest, content = self.digest(path)
            if digest in self.known:
                self.read[digest] = self.known[digest]
            elif digest not in self.read:
                unread[digest] = content
        workers = min(os.cpu_count() or 1, len(unread) // PDFS_PER_PROCESS)
        if workers < 2:
            return  # `text` reads them one by one
        try:
            texts = texts_in_processes(list(unread.values()), workers)
        except OSError:
            return
        self.read.update({digest: text for digest, text in zip(unread, texts) if text is not None})

    def text(self, path: Path) -> str:
        digest, content = self.digest(path)
        if digest not in self.read:
            self.read[digest] = self.known[digest] if digest in self.known else pdf_text(content or path.read_bytes())
        return self.read[digest]


def readable_text(path: Path, pdfs: PdfTexts | None = None) -> str | None:
    """A file's text: every file of the site that is UTF-8 whatever its name (a notebook, a `.qmd` left behind, a
    file without suffix) and a PDF's text; None for images and other binary files."""
    if path.suffix.lower() == ".pdf":
        return (pdfs or PdfTexts()).text(path)
    if path.suffix.lower() in TEXT_SUFFIXES:
        return path.read_text(encoding="utf-8", errors="replace")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None


def scan_site(site_dir: Path, identifiers: set[str], names: set[str] = frozenset(), pdfs: PdfTexts | None = None) -> list[str]:
    """Files under `site_dir` that contain a student identifier, a student's full name or a row-level field name."""
    problems = []
    paths = sorted(p for p in site_dir.rglob("*") if p.is_file())
    pdfs = pdfs or PdfTexts()
    pdfs.read_all([path for path in paths if path.suffix.lower() == ".pdf"])
    wanted = {identifier.encode("ascii") for identifier in identifiers if identifier.isascii()}  # a token is ASCII
    for path in paths:
        where = path.relative_to(site_dir).as_posix()
        try:
            text = readable_text(path, pdfs)
        except UnreadableFile as error:
            problems.append(f"{where}: {error}")
            continue
        if text is None:
            continue
        for field in (*ROW_LEVEL_FIELDS, *NAME_FIELDS):
            if field in text:
                problems.append(f"{where}: row-level field name '{field}'")
        if wanted:
            leaked = sorted(tokens(text, TOKEN_BYTES, WORD_BYTES) & wanted)
            if leaked:
                problems.append(f"{where}: {len(leaked)} student identifier(s), e.g. {leaked[0].decode()}")
        if names:
            words = split(text.lower(), TOKEN_BYTES)
            named = sorted({f"{a.decode()} {b.decode()}" for a, b in zip(words, words[1:])} & names)
            if named:
                problems.append(f"{where}: {len(named)} student name(s), e.g. {named[0]}")
    return problems


def _separators(kept: str) -> bytes:
    return bytes(code if chr(code) in kept else ord(" ") for code in range(256))


# What counts as a token (`[A-Za-z0-9_-]+`) and as a word (`[A-Za-z0-9]+`), as translation tables: every other byte becomes
# a space, so `split` gives the tokens those patterns' `findall` would (they match ASCII only; a text's other characters
# are encoded as `?`, a separator), a third faster.
TOKEN_BYTES = _separators(string.ascii_letters + string.digits + "_-")
WORD_BYTES = _separators(string.ascii_letters + string.digits)


def split(text: str | bytes, table: bytes) -> list[bytes]:
    """The text's tokens as the table splits it, in order."""
    return (text.encode("ascii", "replace") if isinstance(text, str) else text).translate(table).split()


def tokens(text: str, *tables: bytes) -> set[bytes]:
    """The text's tokens as each table splits it (encoded once)."""
    encoded = text.encode("ascii", "replace")
    return set().union(*(split(encoded, table) for table in tables))


# ------------------------------------------------------------------ the whole release


def audit_release(
    rendered: Path,
    data_dir: Path,
    tables=(),
    *,
    outcomes: pd.DataFrame | None = None,
    min_n: int = 10,
    margin: float = 5,
    previous: Mapping[str, float | None] | None = None,
    shown: Iterable[PublishedCount] = (),
    pdf_texts: Path | None = None,
) -> None:
    """Fail with every problem named when the rendered release could identify a student; publish nothing then.
    `shown` are the counts pages show outside the tables (the briefs'), keyed as the tables' are; `pdf_texts` keeps
    the PDFs' texts for the next audit."""
    cells = [*read_counts(rendered, tables), *shown]
    pdfs = PdfTexts(read_json(pdf_texts).get(PdfTexts.reader()) if pdf_texts else None)
    values, inconsistent = counts_by_key(cells)
    listed = rendered / STUDENT_COUNTS_FILE
    if listed.is_file() and read_student_counts(listed) != values:
        inconsistent.append(f"{STUDENT_COUNTS_FILE} does not list exactly the counts the pages publish")
    exposed = []
    if outcomes is not None:
        where = {cell.key: cell for cell in cells if cell.value is None}
        exposed = [f"{where[key].where() if key in where else key}: {how}" for key, how in recoverable(values, true_counts(outcomes), margin, previous, min_n)]
    findings = {
        "a hidden count can be worked out": exposed,
        f"a count under {min_n} students is shown": small_counts(cells, min_n),
        "a percentage gives a count of students": percentages_giving_counts(rendered, tables, min_n),
        "differencing with the previous release": moved_by_few(values, previous, min_n) if previous else [],
        "student-level data": scan_site(rendered, *student_identifiers(data_dir), pdfs),
        "inconsistent": inconsistent,
    }
    if pdf_texts is not None:
        write_json_atomic(pdf_texts, {PdfTexts.reader(): pdfs.read}, indent=None)
    total = sum(len(found) for found in findings.values())
    if total:
        lines = []
        for kind, found in findings.items():
            lines += [f"  {kind}: {problem}" for problem in found[:PROBLEMS_SHOWN]]
            lines += [f"  … and {len(found) - PROBLEMS_SHOWN} more ({kind})"] if len(found) > PROBLEMS_SHOWN else []
        raise DisclosureAuditError(f"the release would disclose information about students ({total} problem(s)):\n" + "\n".join(lines))
