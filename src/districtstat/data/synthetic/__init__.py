"""A deterministic synthetic consortium whose answers are known in advance.

Why: every step of the pipeline (validate, gaps, efficiency, peers, disclosure control) needs
realistic microdata to run on, and tests need effects that were planted on purpose so they can
check that the analysis finds them. `generate` builds every microdata entity of the data
contracts from a `ConsortiumSpec`; `write_consortium` writes them as ``<entity>.csv`` beside
``planted_truths.json``, which records the spec, the generating model and every planted truth.

Everything is a pure function of the spec. Each district draws from its own random streams,
``SeedSequence(seed, spawn_key=(district_number, topic))``, so the same seed gives byte-identical
files and a district's data do not depend on how many districts come after it.

Submodules, in the order they build on each other:

- `model`: the entities and code sets, and the generating model (coefficients, spending lines, formulas).
- `spec`: `ConsortiumSpec`, the district profiles that carry the planted truths, the planted monthly
  processes, and the random streams.
- `population`: one district's schools, students, student-years and program flags.
- `finance`: what needs and size predict a district spends, and its ledger lines.
- `outcomes`: attendance and scale scores, with the effects planted in them.
- `operations`: yearly support-service KPIs and the monthly processes (`school_months`).
- `tables`: the districts stacked into the contracts' tables.
- `simulate`: one district after another, then `generate`.
- `truths`: `planted_truths`, the content of planted_truths.json.
- `files`: `write_consortium` and the command line (`python -m districtstat.data.synthetic OUT_DIR`).
"""

from __future__ import annotations

from districtstat.data.synthetic.files import TRUTHS_FILE, write_consortium
from districtstat.data.synthetic.model import (
    ENTITIES,
    GRADE_CODES,
    KPI_UNITS,
    MONTHLY_KPI_UNITS,
    PROGRAM_CODES,
    RACE_CODES,
)
from districtstat.data.synthetic.operations import school_months
from districtstat.data.synthetic.simulate import generate
from districtstat.data.synthetic.spec import ConsortiumSpec, DistrictProfile, district_profiles, effective_scale
from districtstat.data.synthetic.truths import planted_truths

__all__ = [
    "ENTITIES",
    "GRADE_CODES",
    "KPI_UNITS",
    "MONTHLY_KPI_UNITS",
    "PROGRAM_CODES",
    "RACE_CODES",
    "TRUTHS_FILE",
    "ConsortiumSpec",
    "DistrictProfile",
    "district_profiles",
    "effective_scale",
    "generate",
    "planted_truths",
    "school_months",
    "write_consortium",
]
