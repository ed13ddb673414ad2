"""Aggregating a state too large to hold: the spooled microdata split into buckets of whole district-years, each
aggregated by the same functions as a whole dataset, to the same tables byte for byte.

Why the same bytes: every figure is a statistic of one school year of one district (or of one of its schools). A
bucket holds all the rows of its district-years in file order, so each group's rows, and the order pandas sums them
in, are a whole read's. A program or attendance row joins its student's enrollment that year, so it goes to the
bucket of the enrollment's district-year; a test goes to its own, and borrows the few student-years enrolled in
another bucket. What no
bucket knows alone (the programs the state records, and the race, sex and program groups its tested students form)
is gathered over the whole state and passed to each.

Memory is one bucket at a time plus the students' demographics and two integers per enrollment (the lookup of the
enrollment's district-year); time is one extra pass writing the microdata into the buckets.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.parquet as parquet

from districtstat.data.aggregate import (
    DISTRICT_KEYS,
    MICRODATA,
    SCHOOL_KEYS,
    analysis_tables,
    outcomes_of,
    profile_table,
    scored_students,
    sorted_outcomes,
    student_year,
    subgroup_codes,
)
from districtstat.data.keys import KeyLookup, search_sorted
from districtstat.data.spool import SpooledTable, SpoolWriter, as_frame

BUCKET_ROWS = 1_000_000  # enrollment and test rows a bucket holds: about 0.8 GiB while it is aggregated
WRITE_ROWS = 200_000
ROUTED_BY_ENROLLMENT = ("attendance", "program_participation")


def aggregate_partitioned(tables: dict[str, pd.DataFrame | SpooledTable], intersections: list[list[str]] | None = None, *, bucket_rows: int | None = None) -> dict[str, pd.DataFrame]:
    """`aggregate`'s tables, a bucket of district-years (about `bucket_rows`, default `BUCKET_ROWS`) at a time."""
    small = {name: as_frame(table) for name, table in tables.items() if name not in MICRODATA}
    students = as_frame(tables["students"], ["student_id", "sex", "race_ethnicity"])
    spooled = next(table for table in tables.values() if isinstance(table, SpooledTable))
    with tempfile.TemporaryDirectory(prefix="buckets-", dir=spooled.path.parent) as folder:
        buckets = _Buckets(tables, students, bucket_rows or BUCKET_ROWS, Path(folder))
        profiles, schools = [], []
        for bucket in buckets.numbers:
            part = buckets.student_year(bucket)
            if len(part):
                profiles.append(profile_table(small, part, DISTRICT_KEYS))
                schools.append(profile_table(small, part, SCHOOL_KEYS))
        outcomes = buckets.outcomes(intersections)
    profile = _sorted(profiles, DISTRICT_KEYS)
    school_profile = _sorted(schools, SCHOOL_KEYS)
    return analysis_tables(small, profile, school_profile, outcomes)


def _sorted(pieces: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    return pd.concat(pieces, ignore_index=True).sort_values(keys, kind="stable").reset_index(drop=True)


def _pieces(table: pd.DataFrame | SpooledTable | None, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    if isinstance(table, SpooledTable):
        yield from table.pieces(columns)
    elif table is not None:
        yield table if columns is None else table[columns]


class _Buckets:
    """The microdata split into buckets of whole district-years, on disk, and what each bucket needs from the others."""

    def __init__(self, tables: dict, students: pd.DataFrame, bucket_rows: int, folder: Path) -> None:
        self.tables, self.students, self.folder = tables, students, folder
        self.districts, self.years, self.bucket_of = _plan(tables, bucket_rows)
        self.numbers = sorted(set(self.bucket_of[self.bucket_of >= 0].tolist()))
        self.student_places = KeyLookup(students[["student_id"]])
        self.enrolled = self._enrollment_lookup()
        self.program_codes: set[str] = set()
        self.borrowed: dict[int, set[int]] = {}
        self.empty: dict[str, pd.DataFrame] = {}
        for name in ("enrollments", *ROUTED_BY_ENROLLMENT, "assessments"):
            self._split(name)
        self.recorded = {name: name in tables and tables[name] is not None and len(tables[name]) > 0 for name in ROUTED_BY_ENROLLMENT}

    def _bucket(self, piece: pd.DataFrame) -> np.ndarray:
        """The bucket of each row's own school year and district."""
        districts = pd.Categorical(piece["district_id"], categories=self.districts).codes.astype(np.int64)
        years = piece["school_year"].to_numpy(dtype=np.int64) - self.years[0]
        return self.bucket_of[years * len(self.districts) + districts]

    def _keys(self, piece: pd.DataFrame) -> np.ndarray:
        """One integer per (school year, student): the student's place in students.csv within the year."""
        places = self.student_places.positions(piece[["student_id"]])
        years = piece["school_year"].to_numpy(dtype=np.int64)
        return np.where(places >= 0, years * (len(self.student_places) + 1) + places, -1)

    def _enrollment_lookup(self) -> tuple[np.ndarray, np.ndarray]:
        keys, buckets = [], []
        for piece in _pieces(self.tables["enrollments"], ["school_year", "student_id", "district_id"]):
            keys.append(self._keys(piece))
            buckets.append(self._bucket(piece))
        keys_all, buckets_all = np.concatenate(keys), np.concatenate(buckets)
        order = np.argsort(keys_all, kind="stable")
        return keys_all[order], buckets_all[order]

    def _enrollment_bucket(self, piece: pd.DataFrame) -> np.ndarray:
        sorted_keys, buckets = self.enrolled
        keys = self._keys(piece)
        if not len(sorted_keys):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(search_sorted(sorted_keys, keys), len(sorted_keys) - 1)
        return np.where((keys >= 0) & (sorted_keys[at] == keys), buckets[at], -1)

    def _split(self, name: str) -> None:
        writers: dict[int, SpoolWriter] = {}
        waiting: dict[int, list[pd.DataFrame]] = {}  # rows of a bucket not yet written: row groups of WRITE_ROWS
        for piece in _pieces(self.tables.get(name)):
            self.empty.setdefault(name, piece.iloc[:0])
            if name in ROUTED_BY_ENROLLMENT:
                bucket = self._enrollment_bucket(piece)  # a row without an enrollment that year joins nothing
                if name == "program_participation":
                    self.program_codes |= set(piece["program_code"].dropna().unique())
            else:
                bucket = self._bucket(piece)
            if name == "assessments":
                enrolled = self._enrollment_bucket(piece)
                crossing = (enrolled >= 0) & (enrolled != bucket)
                for own, other in set(zip(bucket[crossing].tolist(), enrolled[crossing].tolist())):
                    self.borrowed.setdefault(own, set()).add(other)
            for number in np.unique(bucket[bucket >= 0]).tolist():
                waiting.setdefault(number, []).append(piece[bucket == number])
                if sum(map(len, waiting[number])) >= WRITE_ROWS:
                    writers.setdefault(number, SpoolWriter(self._path(name, number))).write(pd.concat(waiting.pop(number)))
        for number, pieces in waiting.items():
            writers.setdefault(number, SpoolWriter(self._path(name, number))).write(pd.concat(pieces))
        for writer in writers.values():
            writer.close()

    def _path(self, name: str, bucket: int) -> Path:
        return self.folder / name / f"{bucket:05d}.parquet"

    def _read(self, name: str, bucket: int) -> pd.DataFrame | None:
        path = self._path(name, bucket)
        if path.is_file():
            return SpooledTable(path).read().reset_index(drop=True)
        return self.empty.get(name)

    def student_year(self, bucket: int) -> pd.DataFrame:
        """`student_year` of the bucket's enrollments, kept on disk for the tests that join it."""
        enrollments = self._read("enrollments", bucket)
        places = self.student_places.positions(enrollments[["student_id"]])
        students = self.students.iloc[np.unique(places[places >= 0])]  # the bucket's own: a join of the same rows
        part = {"students": students, "enrollments": enrollments}
        for name in ROUTED_BY_ENROLLMENT:
            if name in self.empty:
                part[name] = self._read(name, bucket)
        codes = sorted(self.program_codes) if self.recorded["program_participation"] else []
        frame = student_year(part, codes, attendance_recorded=self.recorded["attendance"])
        columns = [c for c in frame.columns if c not in ("district_id", "school_id", "grade")]
        parquet.write_table(pyarrow.Table.from_pandas(frame[columns], preserve_index=False), self._student_year_path(bucket))
        return frame

    def _student_year_path(self, bucket: int) -> Path:
        path = self.folder / "student_year" / f"{bucket:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _scores(self, bucket: int) -> pd.DataFrame | None:
        path = self._path("assessments", bucket)
        if not path.is_file():
            return None
        assessments = SpooledTable(path).read().reset_index(drop=True)
        years = [parquet.read_table(self._student_year_path(number)).to_pandas() for number in sorted({bucket} | self.borrowed.get(bucket, set()))]
        return scored_students(assessments, pd.concat(years, ignore_index=True) if len(years) > 1 else years[0])

    def outcomes(self, intersections: list[list[str]] | None) -> pd.DataFrame:
        """Each bucket's outcomes by the groups its students form; a bucket that lacks some group of the state's is
        done again with the state's groups, so that its districts still get that group's complement."""
        found: dict[int, tuple[dict[str, list[str]], pd.DataFrame]] = {}
        for bucket in self.numbers:
            scores = self._scores(bucket)
            if scores is not None and len(scores):
                codes = subgroup_codes(scores)
                found[bucket] = (codes, outcomes_of(scores, intersections, codes))
        if not found:
            empty = scored_students(self.empty["assessments"], parquet.read_table(self._student_year_path(self.numbers[0])).to_pandas())
            return outcomes_of(empty, intersections)
        state = {kind: sorted(set().union(*(codes[kind] for codes, _ in found.values()))) for kind in ("race_ethnicity", "sex", "flags")}
        pieces = []
        for bucket, (codes, outcomes) in found.items():
            pieces.append(outcomes if codes == state else outcomes_of(self._scores(bucket), intersections, state))
        return sorted_outcomes(pd.concat(pieces, ignore_index=True))


def _plan(tables: dict, bucket_rows: int) -> tuple[list[str], list[int], np.ndarray]:
    """The districts and school years in the data, and a bucket for each school year of each district: in order of
    year and district, cut into buckets of about `bucket_rows` enrollment and test rows. A year of a district is the
    unit because every figure is of one year of one district (or one of its schools)."""
    rows: dict[tuple[int, str], int] = {}
    for name in ("enrollments", "assessments"):
        for piece in _pieces(tables.get(name), ["school_year", "district_id"]):
            for unit, count in piece.groupby(["school_year", "district_id"], sort=False).size().items():
                rows[unit] = rows.get(unit, 0) + int(count)
    districts = sorted({district for _, district in rows})
    years = list(range(min(year for year, _ in rows), max(year for year, _ in rows) + 1)) if rows else []
    place = {district: number for number, district in enumerate(districts)}
    bucket_of = np.full(len(years) * len(districts), -1, dtype=np.int64)
    bucket, filled = 0, 0
    for year, district in sorted(rows):
        if filled and filled + rows[(year, district)] > bucket_rows:
            bucket, filled = bucket + 1, 0
        bucket_of[(year - years[0]) * len(districts) + place[district]] = bucket
        filled += rows[(year, district)]
    return districts, years, bucket_of
