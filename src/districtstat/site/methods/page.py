"""The Methods and glossary page as a whole: where the numbers come from, each section in turn, and the glossary."""

from __future__ import annotations

from districtstat.data.aggregate import CHRONIC_ABSENCE_THRESHOLD, PROFICIENT_LEVEL
from districtstat.config import Project
from districtstat.privacy.disclosure import SUPPRESSED
from districtstat.site.pages import front_matter
from districtstat.provenance import Provenance
from districtstat.site.methods.left_out import left_out_section
from districtstat.site.methods.models import gaps_section, peers_section, results_section, routines_section, scorecard_section, spending_section
from districtstat.site.methods.parameters import parameters_section
from districtstat.site.methods.privacy import privacy_section


GLOSSARY = {
    "Scale score": "The score on the state test, on a scale shared by all students of a grade and subject; higher is better.",
    "Proficient": f"At performance level {PROFICIENT_LEVEL} (proficient) or {PROFICIENT_LEVEL + 1} (advanced): meeting the state's standard.",
    "Chronically absent": f"Present on fewer than {CHRONIC_ABSENCE_THRESHOLD:.0%} of the days enrolled, for any reason.",
    "Economically disadvantaged": "Eligible for free or reduced-price meals, or a similar measure of family income.",
    "English learner": "A student still learning English, receiving language support.",
    "Students with disabilities": "Students with an individualized education program (IEP) under special education law.",
    "Subgroup": "A group of students who share a characteristic (English learners, a race/ethnicity) reported separately.",
    "Gap": "A group's average score minus the average of the students it is compared with; negative means behind.",
    "Standardized gap": "A gap divided by how spread out scores are (Hedges' g), so gaps on different tests compare.",
    "Confidence interval": "The range a figure could plausibly take if other, similar students had been tested.",
    "Residual": "Points above or below the result predicted for a district's spending and student needs.",
    "Percentile": "The percent of districts (or peers) a district does better than.",
    "Peer district": "One of the districts most like this one in students and size, never chosen on results.",
    "Per-pupil spending": "A district's spending in the year divided by the students enrolled.",
    "NCES function": "The federal code for what money is spent on: instruction, student support, administration, transportation, …",
    "Out-of-district placement": "A student the district places, and pays for, in another district or a private school.",
    f"Suppressed (`{SUPPRESSED}`)": "A figure hidden because it rests on too few students to publish without risk to their privacy.",
    "Release": "One published edition of the site, built from one dataset with one set of settings; never changed afterwards.",
    "Data hash": "A fingerprint of the input files: any change to the data gives a different hash.",
    "Parameters hash": "A fingerprint of the settings (the params file) the release was built with.",
    "Code commit": "The version of the districtstat code that built the release.",
}


def glossary_section() -> str:
    terms = "\n\n".join(f"{term}\n:   {meaning}" for term, meaning in GLOSSARY.items())
    return f"## Glossary\n\nThe words of this site, in plain language.\n\n{terms}\n"


def methods_page(project: Project, provenance: Provenance) -> str:
    settings = project.settings
    fixed_peers = sum(1 for overrides in settings.districts.values() if overrides.peers)
    return "\n".join(
        [
            front_matter({"title": "Methods and glossary"}),
            """How each figure on this site is computed, what it means and what it cannot tell. Formulas are written for
researchers; the sentence under each is for everyone. The settings of this release and a glossary close the page.

## Where the numbers come from

Every input file is checked against its data contract before any figure is computed (see the data-quality
page). Student records are turned into district, school and student-group summaries; only summaries that pass
disclosure control are published.
""",
            *filter(None, [left_out_section(project)]),
            results_section(),
            gaps_section(settings),
            spending_section(settings),
            peers_section(settings.peers, fixed_peers),
            scorecard_section(settings),
            routines_section(settings),
            privacy_section(settings),
            parameters_section(project, provenance),
            glossary_section(),
        ]
    )
