"""Disclosure control for every published table: no count, mean or rate rests on fewer than `min_n` students.

Three layers, as a state privacy officer expects them:

- primary suppression hides every count with 0 < n < `min_n` and every figure computed from those students;
- complementary suppression hides further counts until an attacker who knows every published count and how
  counts add up (a group and its complement make all students; the race groups make all students) cannot place
  any hidden count in an interval narrower than the protection margin. The attacker is a linear program
  (`attacker_bounds`, HiGHS through highspy), so what "recoverable" means is computed, not assumed;
- percentages of small groups are top and bottom coded (≤5, ≥95), since 2% of 40 students is one student.

Suppressed cells are shown with a symbol and a footnote, never as 0 or blank. Published tables carry the key of
each count cell, so the publish step can audit the release as an attacker would read it (`audit.py`).

The submodules, one concern each (every name is re-exported here, so `districtstat.privacy.disclosure.protect`
and the like keep working):

- `symbols`: the hidden symbol (`SUPPRESSED`) and its footnote (`hidden_note`);
- `attacker`: what an attacker knows (`Relation`), the linear programs that bound hidden counts
  (`attacker_bounds`, `exposed_cells`, `small_hidden_groups`) and `Contradiction`;
- `release_pairs`: comparison with the previous release (`changed_by_few`, `kept_hidden`, `previous_shown`,
  `hidden_enrollments`);
- `counts_file`: each count's key (`count_key`) and the published student counts file (`STUDENT_COUNTS_FILE`,
  `read_student_counts`, `student_counts_csv`);
- `suppression`: suppression of small counts within one release (`suppress`, complementary suppression of the
  student groups: `subgroup_relations`, `suppress_subgroups`);
- `percents`: rounding and coding of percentages of students (`shown_percent`, `coded_percent`, `percent_interval`);
- `figures`: the district figures that rest on students, as every page publishes them (`withhold_student_figures`);
- `tables`: disclosure control of a published table (`protect`, `ProtectedTable`, `below_threshold_cells`).
"""

from districtstat.privacy.disclosure.attacker import TOLERANCE, Contradiction, Exposure, Relation, attacker_bounds, exposed_cells, small_hidden_groups
from districtstat.privacy.disclosure.counts_file import COUNT_FIELDS, STUDENT_COUNTS_FILE, count_key, read_student_counts, student_counts_csv
from districtstat.privacy.disclosure.figures import STUDENT_FIGURES, STUDENT_GROUP_SHARES, STUDENT_RATES, per_pupil, published_figure, students_behind, tested_subject, withhold_student_figures
from districtstat.privacy.disclosure.percents import (
    BOTTOM_CODE,
    CODED,
    PERCENT_STEPS,
    ROUNDED_NOTE,
    TOP_CODE,
    coded_percent,
    coded_share,
    coding_cut,
    is_coded,
    percent_interval,
    percent_step,
    rounded_percent,
    shown_percent,
)
from districtstat.privacy.disclosure.release_pairs import Movement, changed_by_few, hidden_enrollments, kept_hidden, previous_shown
from districtstat.privacy.disclosure.suppression import PUBLISHED_GRADE, SYSTEM_KEYS, complement_pairs, group_dimension, subgroup_relations, suppress, suppress_subgroups, suppress_subjects
from districtstat.privacy.disclosure.symbols import SUPPRESSED, hidden_note
from districtstat.privacy.disclosure.tables import ProtectedTable, below_threshold_cells, is_figure, protect

__all__ = [
    "BOTTOM_CODE",
    "CODED",
    "COUNT_FIELDS",
    "Contradiction",
    "Exposure",
    "Movement",
    "PERCENT_STEPS",
    "PUBLISHED_GRADE",
    "ProtectedTable",
    "ROUNDED_NOTE",
    "Relation",
    "STUDENT_COUNTS_FILE",
    "STUDENT_FIGURES",
    "STUDENT_GROUP_SHARES",
    "STUDENT_RATES",
    "SUPPRESSED",
    "SYSTEM_KEYS",
    "TOLERANCE",
    "TOP_CODE",
    "attacker_bounds",
    "below_threshold_cells",
    "changed_by_few",
    "coded_percent",
    "coded_share",
    "coding_cut",
    "complement_pairs",
    "count_key",
    "exposed_cells",
    "group_dimension",
    "hidden_enrollments",
    "hidden_note",
    "is_coded",
    "is_figure",
    "kept_hidden",
    "per_pupil",
    "percent_interval",
    "percent_step",
    "previous_shown",
    "protect",
    "published_figure",
    "read_student_counts",
    "rounded_percent",
    "shown_percent",
    "small_hidden_groups",
    "student_counts_csv",
    "students_behind",
    "tested_subject",
    "subgroup_relations",
    "suppress",
    "suppress_subgroups",
    "suppress_subjects",
    "withhold_student_figures",
]
