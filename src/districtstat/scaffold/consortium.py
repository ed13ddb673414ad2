"""`districtstat new consortium NAME`: a params file and a folder of fill-in templates, one per data contract the
consortium needs, so that a data steward starts from the contracts rather than from a copy of someone else's files.

Two kinds of data, as the example datasets show them:

- `aggregate`: what public aggregate data provide, as `params/california.yml`'s dataset does: the districts, a profile
  per district and year, and results by district, year and group (`AGGREGATE_ENTITIES`);
- `microdata`: every file the synthetic example writes (`synthetic.ENTITIES`), from which districtstat derives those
  tables itself.

The params file holds the settings a build needs, each explained beside it, and loads as written: the placeholders
(title, release, release date) are valid, so `districtstat validate` runs as soon as the templates have rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from districtstat.config import EfficiencyModel, PeerModel, Settings, parse_settings
from districtstat.data.contracts import Contract, load_contracts
from districtstat.data.subjects import DEFAULT_SUBJECTS
from districtstat.data.synthetic import ENTITIES as MICRODATA_ENTITIES
from districtstat.scaffold.data_templates import example_rows, template_csv
from districtstat.scaffold.files import ScaffoldError, write_new

# What public aggregate data provide (params/california.yml's dataset, `real_data.california_tables`).
AGGREGATE_ENTITIES = ("districts", "district_profile", "subgroup_outcomes")
KINDS = {"aggregate": AGGREGATE_ENTITIES, "microdata": MICRODATA_ENTITIES}
# The pages aggregate data support, as params/california.yml has them: public files often give all students only,
# so no gap page until subgroup_outcomes has groups, and no operations page without operations_kpis.
AGGREGATE_NOTEBOOKS = ("scorecard", "efficiency", "peers")
CONSORTIUM_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def consortium_files(root: Path, name: str, kind: str = "aggregate") -> dict[Path, str]:
    """Every file of a new consortium, path by path: the params file, then one template per contract it needs."""
    if not CONSORTIUM_NAME.match(name):
        raise ScaffoldError(
            f"consortium name {name!r}: use lower-case letters, digits, '-' and '_', starting with a letter, "
            "at most 40 (such as ohio-valley): it names params/NAME.yml, data/NAME/ and site/NAME/"
        )
    if kind not in KINDS:
        raise ScaffoldError(f"kind {kind!r}: choose aggregate or microdata")
    contracts = load_contracts(root / "data_contracts")
    missing = [entity for entity in KINDS[kind] if entity not in contracts]
    if missing:
        raise ScaffoldError(f"data_contracts/ has no contract for {', '.join(missing)}, which {kind} data need")
    examples = example_rows(contracts)
    files = {root / "params" / f"{name}.yml": params_text(name, kind, contracts)}
    for entity in KINDS[kind]:
        files[root / "data" / name / f"{entity}.csv"] = template_csv(contracts[entity], examples)
    return files


def new_consortium(root: Path, name: str, kind: str = "aggregate") -> list[Path]:
    """Write the consortium's files, or none when any of them is already there."""
    return write_new(consortium_files(root, name, kind))


def params_text(name: str, kind: str, contracts: dict[str, Contract]) -> str:
    """The params file, every setting explained; its values are the models' defaults wherever the kind allows."""
    title = name.replace("-", " ").replace("_", " ").title()
    notebooks = list(AGGREGATE_NOTEBOOKS) if kind == "aggregate" else Settings.model_fields["district_notebooks"].get_default(call_default_factory=True)
    efficiency, peers = EfficiencyModel(), PeerModel()
    profile = contracts.get("district_profile")
    columns = ", ".join(field.name for field in profile.fields if field.type in ("integer", "number") and field.name != "school_year") if profile else "see data_contracts/"
    files = ", ".join(f"{entity}.csv" for entity in KINDS[kind])
    district = example_rows(contracts)["districts"]["district_id"] if "districts" in contracts else "D1"
    subjects = "\n".join(f"  - {{code: {s.code}, name: {s.name}, short: {s.short}}}" for s in DEFAULT_SUBJECTS)
    text = f"""\
# {title}: a consortium written by `districtstat new consortium {name} --kind {kind}`.
# Each setting is explained above it; lines starting with # are comments. Fill in what the comments ask, put the
# data in data/{name}/, then run the two commands at the end of this file.

# The name of the report site, on every page: the consortium's name and what the data cover.
title: {_flow(f"{title} (fill in the consortium's name and the years covered)")}
# custom: your own files, in data_dir (the name of an example dataset would generate one).
dataset: custom
# The folder of input files, one CSV (or parquet) per data contract, named after it: {files}.
# Each template there says what every column holds; data_contracts/README.md says how files are checked.
data_dir: data/{name}
# Where releases are published: site/{name}/RELEASE/, and site/{name}/index.html opens the latest.
site_dir: site/{name}
# The name of this release: letters, digits, '.', '_' or '-'. A published release is never rewritten, so each
# release gets a new name, such as 2025.1 for the first of school year 2024-25. "draft" until you publish.
release: draft
# The day readers see as the release's date, as YYYY-MM-DD; null shows no date. Fill it in before publishing.
release_date: null
# The fewest students a published figure may rest on: a smaller group is shown as *, and so is every figure that
# would give it away. 10 is common practice; raise it if your state's rules ask for more.
min_n: 10
# The subjects tested, as coded in the subject column of {"subgroup_outcomes" if kind == "aggregate" else "assessments"}: a code set. ELA and MATH keep
# these words; declare any other subject (science, a composite of several) with a code of its own, the words pages
# use for it, and `composite: true` for a composite, such as
#   - {{code: COMPOSITE, name: Composite of reading and math, short: composite, composite: true}}
# and set the efficiency outcome to its mean score, mean_score_ + the code in lower case. Never file it under MATH.
subjects:
{subjects}
# The pages each district gets, one notebook each in notebooks/ ({"no gaps page: add outcome_gaps once subgroup_outcomes has student groups" if kind == "aggregate" else "operations needs operations_kpis.csv"}).
# `districtstat new notebook NAME --params params/{name}.yml` writes a new one and adds it here.
district_notebooks: {_flow(notebooks)}

# The efficiency model: across districts, the outcome regressed on spending and student needs; each district's
# distance from its prediction is shown with its interval. Terms name district_profile columns ({columns}),
# optionally transformed with np.log(...). Take out a column your data leave empty (params/california.yml has no pct_swd).
# Write `efficiency: null` when the data have no spending.
efficiency:
  outcome: {efficiency.outcome}
  spending: {efficiency.spending}
  controls: {_flow(efficiency.controls)}
  folds: {efficiency.folds}
  # Rank districts on the residual only when the model predicts districts it was not fitted on (R² above this).
  min_cv_r2: {efficiency.min_cv_r2:g}

# Peers: the k districts nearest in size and needs, never in results. numeric: district_profile columns, optionally
# as log(column); indicators: a districts.csv category (one 0/1 column per value) or "column == value".
peers:
  numeric: {_flow(peers.numeric)}
  indicators: {_flow(peers.indicators)}
  k: {peers.k}
  # What a missing value counts as: zero, mean (the consortium's), or exclude (the district gets no peers).
  missing: {peers.missing}

# Goals for a district's scorecard, by indicator code or gap.GROUP.SUBJECT (the methods page lists every code):
# districts:
#   {district}:
#     goals: {{mean_score_math: 500, gap.ECODIS.MATH: -20}}

# Then, from the project folder:
#   districtstat validate --params params/{name}.yml
#   districtstat build --params params/{name}.yml
"""
    parse_settings(text, f"params/{name}.yml")  # what is written loads: a mistake here is the scaffold's, found now
    return text


def _flow(value) -> str:
    """A value as YAML on one line: lists as [a, b], text quoted only where YAML needs it."""
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip().removesuffix("\n...").strip()
