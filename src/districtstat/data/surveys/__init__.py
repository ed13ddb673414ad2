"""Topic surveys (StatNet): the questions a topic asks every district, their fill-in files, and the answers.

A topic in params may declare a survey (`config.Survey`). `districtstat survey template TOPIC` writes one fill-in
file per district (CSV, and XLSX with drop-downs); each district returns its file, named by its district id, into
`<data_dir>/surveys/<topic>/`: one row per question, the district filling in the `answer` column.

The answers are checked like every input. The survey declaration becomes a data contract (`survey_contract`: a
field per question, with its type, range, codes and whether it is required), and each answer cell is checked
against its question's field by the contracts module's own typing and pandera checks, so a problem reads as any
other input's: `data/synthetic/surveys/transportation/D04.csv:3: answer[late_routes]: maximum 100 (140)`. The
column is the file's `answer` column, with the question in brackets.

Answers become the table `survey_answers` (topic_id, district_id, question_id, answer, value). A number that counts
students is published only where it passes the rules for every student count (`hidden_student_counts`).

The submodules, one concern each (every name is re-exported here, so `districtstat.data.surveys.check_surveys` and
the like keep working):

- `layout`: which topics ask a survey (`surveyed`), where their answer files go (`answers_folder`, `answer_files`),
  the columns every part shares, and `natural` (D2 before D10);
- `templates`: the fill-in files (`write_templates`);
- `checking`: the survey as a data contract (`survey_contract`), reading and checking the answer files
  (`check_surveys`), and who has answered, for data_quality.json (`summary`);
- `publishing`: what a page may show: withholding counts of students (`mark_kept_hidden`, `hidden_student_counts`),
  the answers as published (`published_answers`) and what changed between releases (`answer_changes`);
- `example`: the example consortium's survey and answers (`example_survey`, `write_example_answers`).
"""

from districtstat.data.surveys.checking import (
    answer_column,
    answer_record,
    cell_text,
    check_answer_file,
    check_cells,
    check_surveys,
    check_topic,
    display_path,
    failure_frame,
    normalised,
    question_field,
    read_answers,
    read_xlsx,
    summary,
    survey_contract,
    with_failures,
)
from districtstat.data.surveys.example import (
    EXAMPLE_BLANK,
    EXAMPLE_FEW_RIDERS,
    EXAMPLE_NOT_ANSWERED,
    EXAMPLE_SEED,
    EXAMPLE_TOPIC,
    EXAMPLE_WHAT_HELPED,
    example_survey,
    latest_enrollment,
    write_example_answers,
)
from districtstat.data.surveys.layout import (
    ANSWER_SUFFIXES,
    ANSWERS_SHEET,
    DISTRICT_ID,
    FAILURE_COLUMNS,
    REQUIRED_COLUMNS,
    SURVEYS_FOLDER,
    TABLE_COLUMNS,
    TEMPLATE_COLUMNS,
    TEMPLATES_FOLDER,
    YES_NO,
    answer_files,
    answers_folder,
    natural,
    skipped,
    surveyed,
)
from districtstat.data.surveys.publishing import (
    CHANGE_COLUMNS,
    PUBLISHED_COLUMNS,
    answer_changes,
    count_measure,
    hidden_student_counts,
    mark_kept_hidden,
    number_format,
    published_answers,
    shown_answers,
    topic_answers,
    with_unit,
)
from districtstat.data.surveys.templates import (
    allowed_answers,
    answer_check,
    answer_type,
    csv_text,
    district_names,
    number_text,
    template_rows,
    write_csv_template,
    write_templates,
    write_xlsx_template,
)

__all__ = [
    "ANSWERS_SHEET",
    "ANSWER_SUFFIXES",
    "CHANGE_COLUMNS",
    "DISTRICT_ID",
    "EXAMPLE_BLANK",
    "EXAMPLE_FEW_RIDERS",
    "EXAMPLE_NOT_ANSWERED",
    "EXAMPLE_SEED",
    "EXAMPLE_TOPIC",
    "EXAMPLE_WHAT_HELPED",
    "FAILURE_COLUMNS",
    "PUBLISHED_COLUMNS",
    "REQUIRED_COLUMNS",
    "SURVEYS_FOLDER",
    "TABLE_COLUMNS",
    "TEMPLATES_FOLDER",
    "TEMPLATE_COLUMNS",
    "YES_NO",
    "allowed_answers",
    "answer_changes",
    "answer_check",
    "answer_column",
    "answer_files",
    "answer_record",
    "answer_type",
    "answers_folder",
    "cell_text",
    "check_answer_file",
    "check_cells",
    "check_surveys",
    "check_topic",
    "count_measure",
    "csv_text",
    "display_path",
    "district_names",
    "example_survey",
    "failure_frame",
    "hidden_student_counts",
    "latest_enrollment",
    "mark_kept_hidden",
    "natural",
    "normalised",
    "number_format",
    "number_text",
    "published_answers",
    "question_field",
    "read_answers",
    "read_xlsx",
    "shown_answers",
    "skipped",
    "summary",
    "survey_contract",
    "surveyed",
    "template_rows",
    "topic_answers",
    "with_failures",
    "with_unit",
    "write_csv_template",
    "write_example_answers",
    "write_templates",
    "write_xlsx_template",
]
