"""The methods, glossary and data-quality pages of a release: what a reader needs to trust the numbers."""

from __future__ import annotations

import json

from .config import Project
from .provenance import Provenance, package_versions
from .pages import front_matter


def efficiency_section(model) -> str:
    if model is None:
        return "## Spending and results (efficiency)\n\nThis release has no spending data, so no efficiency model is fitted.\n"
    return f"""## Spending and results (efficiency)

An ordinary least squares regression across districts, with heteroskedasticity-robust (HC1) standard errors:

`{model.outcome} ~ {" + ".join([model.spending, *model.controls])}`

A district's **residual** is its observed result minus the result predicted for its spending and needs. The
**cross-validated R²** ({model.folds}-fold) says how well the model predicts a district it has not seen. A
residual describes; it does not show that spending caused a result.

Within a district, the slope of school spending per pupil on the school's share of economically
disadvantaged students (robust standard errors) says whether money follows need: **progressive** when the
95% confidence interval is above zero.
"""


def methods_page(project: Project, provenance: Provenance) -> str:
    settings = project.settings
    model = settings.efficiency
    rule = settings.peers
    return f"""{front_matter({"title": "Methods and glossary"})}
## Where the numbers come from

Every input file is checked against its data contract before any figure is computed. Student records are
turned into district, school and student-group summaries; only summaries that pass disclosure control are
published.

## Outcome gaps

For each district, year, subject and student group: the number of students tested (n), the mean scale
score, its standard deviation and the percent proficient (performance level 3 or 4). A **gap** is the group's
mean minus the mean of the students outside the group (and, for each race/ethnicity, minus the mean of
White students). The **standardized gap** is Hedges' g: the gap divided by the pooled standard deviation,
multiplied by the small-sample correction 1 − 3 / (4(n₁ + n₂) − 9). The 95% confidence interval of a gap
is gap ± 1.96 × √(s₁²/n₁ + s₂²/n₂).

{efficiency_section(model)}
## Peer districts

Peers are chosen on demographics and size, never on outcomes: the numeric features
({", ".join(rule.numeric)}) are standardized with the sample standard deviation; the categorical
features ({", ".join(rule.indicators) or "none"}) enter as 0/1 indicators; missing values are handled by
the rule `{rule.missing}`. The {rule.k} districts at the smallest Euclidean distance are the peers, ties
broken by district id.

## Privacy

No published count, mean or rate rests on fewer than **{settings.min_n} students**. Hidden figures are
shown as `*`, never as 0 or blank.

## Glossary

- **Scale score**: the score on the state test, on a scale of 100 to 900.
- **Proficient**: performance level 3 (proficient) or 4 (advanced).
- **Chronically absent**: present on fewer than 90% of the days enrolled.
- **Economically disadvantaged**: eligible for free or reduced-price meals or a similar measure.

## This release

{provenance.line()}

The parameters hash covers the whole params file except each district's own section; a district's pages
show the hash of the settings they read (these plus that district's section).

Built with: {", ".join(f"{name} {version}" for name, version in package_versions().items())}.
"""


def data_quality_page(project: Project) -> str:
    report = json.loads((project.build_dir / "data_quality.json").read_text())
    rows = "\n".join(f"| {entity} | {entry['rows'] or 0:,} | {entry['failures']:,} |" for entity, entry in sorted(report["files"].items()))
    status = "Every input file passed its data contract." if report.get("ok") else "Some input files failed their data contracts."
    return f"{front_matter({'title': 'Data quality'})}\n{status}\n\n| Input | Rows | Problems |\n|---|---|---|\n{rows}\n\n: Validation of each input file against its data contract\n"
