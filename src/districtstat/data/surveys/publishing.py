"""What a page may show of the answers: counts of students withheld by the rules for every student count
(`mark_kept_hidden`, `hidden_student_counts`), the answers as published, and what changed between two releases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from districtstat.config import Question, Settings, Topic
from districtstat.data.surveys.layout import TABLE_COLUMNS, natural, surveyed


# ------------------------------------------------------------------ what a page may show


def count_measure(topic_id: str, question_id: str) -> str:
    """The measure part of a survey count's key (`disclosure.count_key`), the same on every page and release."""
    return f"survey:{topic_id}:{question_id}"


def mark_kept_hidden(answers: pd.DataFrame, settings: Settings, school_year: int, previous: dict | None, min_n: int) -> pd.DataFrame:
    """Flag the student counts the previous release hid, or that moved by fewer than `min_n` since it showed them:
    two releases side by side must not tell about a few students (see `disclosure.kept_hidden`)."""
    from districtstat.privacy.disclosure import count_key, kept_hidden

    answers = answers.copy()
    if not previous or answers.empty:
        return answers
    counting = {(topic.id, q.id) for topic in surveyed(settings) for q in topic.survey.questions if q.counts_students}
    answers["kept_hidden"] = [
        (topic, question) in counting and pd.notna(value) and kept_hidden(float(value), previous, count_key(count_measure(topic, question), district, school_year), min_n)
        for topic, district, question, value in zip(answers["topic_id"], answers["district_id"], answers["question_id"], answers["value"])
    ]
    return answers


def topic_answers(release, topic: Topic) -> pd.DataFrame:
    """The topic's answers from the districts a page may show (at least `min_n` students), with their names."""
    if not release.has_table("survey_answers"):
        return pd.DataFrame(columns=[*TABLE_COLUMNS, "district_name"])
    answers = release.table("survey_answers")
    answers = answers[(answers["topic_id"] == topic.id) & answers["district_id"].isin(release.publishable_districts)]
    names = release.latest_indicators.set_index("district_id")["district_name"]
    return answers.assign(district_name=answers["district_id"].map(names).astype(str)).reset_index(drop=True)


def hidden_student_counts(release, topic: Topic, question: Question, answers: pd.DataFrame) -> np.ndarray:
    """Which answers to a question counting students no page may show, one flag per row of `answers`.

    A count of students follows the rules of every student count (`disclosure.suppress`): hidden when it is 1 to
    `min_n` − 1 students, when the district's other students (its enrollment minus the count) are 1 to `min_n` − 1,
    or when the previous release hid it or it moved by fewer than `min_n` since."""
    from districtstat.privacy.disclosure import Relation, suppress

    if not question.counts_students:
        return np.zeros(len(answers), dtype=bool)
    enrollment = release.latest_indicators.set_index("district_id")["enrollment"].astype(float)
    enrollment_hidden = dict(zip(answers["district_id"], release.enrollment_hidden(list(answers["district_id"]))))
    flags = []
    for district, value, kept in zip(answers["district_id"], answers["value"], answers["kept_hidden"]):
        if pd.isna(value):
            flags.append(False)
            continue
        enrolled = float(enrollment.get(district, np.nan))
        counts = {"answer": float(value)} | ({"enrolled": enrolled} if pd.notna(enrolled) else {})
        relations = [Relation("enrolled", ("answer", "(the district's other students)"))] if pd.notna(enrolled) and value <= enrolled else []
        keep = {"answer"} if kept else set()
        keep |= {"enrolled"} if enrollment_hidden.get(district) else set()
        hidden = suppress(counts, relations, min_n=release.min_n, margin=release.project.settings.margin, keep_hidden=keep, last_resort=("enrolled",))
        flags.append("answer" in hidden or ("enrolled" in hidden and "enrolled" not in keep))
    return np.array(flags, dtype=bool)


def number_format(question: Question) -> str:
    """How a page writes a number answer: whole students, percentages to a tenth, dollars whole."""
    if question.counts_students:
        return "{:,.0f}"
    return {"%": "{:.1f}%", "$": "${:,.0f}"}.get(question.unit, "{:,.1f}")


def with_unit(question: Question, value: float) -> str:
    """A number answer with its unit, as a chart's tooltip and the published answers write it."""
    text = number_format(question).format(value)
    return text if question.unit in ("%", "$") else f"{text} {question.unit}"


def shown_answers(release, topic: Topic) -> pd.DataFrame:
    """Every answer of the topic as its page shows it: the number with its unit, `*` for a count of students no page
    may show, yes/no and codes as answered, text as written; a blank answer as empty text."""
    from districtstat.privacy.disclosure import SUPPRESSED

    answers = topic_answers(release, topic)
    parts = []
    for question in topic.survey.questions:
        rows = answers[answers["question_id"] == question.id].reset_index(drop=True)
        hidden = hidden_student_counts(release, topic, question, rows)
        if question.type == "number":
            shown = [SUPPRESSED if secret else "" if pd.isna(value) else with_unit(question, value) for value, secret in zip(rows["value"], hidden)]
        else:
            shown = ["" if pd.isna(answer) else str(answer) for answer in rows["answer"]]
        parts.append(rows.assign(question=question.name, answer_shown=shown, hidden=hidden))
    return pd.concat(parts, ignore_index=True) if parts else answers.assign(question="", answer_shown="", hidden=False)


PUBLISHED_COLUMNS = ["topic_id", "district_id", "district_name", "question_id", "question", "answer_shown"]
CHANGE_COLUMNS = ["topic_id", "district_id", "district_name", "question_id", "question", "before", "after", "change"]


def published_answers(release) -> pd.DataFrame:
    """Every survey answer the release's topic pages publish, after disclosure control, one row per district and
    question it answered (an answer left blank is empty): what the next release's "What changed" compares."""
    parts = [shown_answers(release, topic)[PUBLISHED_COLUMNS] for topic in surveyed(release.project.settings)]
    published = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PUBLISHED_COLUMNS)
    return published.astype(str).reset_index(drop=True)


def answer_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Answers new, changed or withdrawn between two releases' published answers (`published_answers`).

    Only questions both releases published are compared (a new topic's survey is not a change in answers), and an
    answer hidden (`*`) in either release is not compared: placing a hidden answer beside a shown one says nothing
    true. A district's answer is new when it answered now but not before (or left it blank), no longer published the other way (withdrawn, left blank, or its district no longer published)."""
    from districtstat.privacy.disclosure import SUPPRESSED

    keys = ["topic_id", "district_id", "question_id"]
    before, after = (frame[PUBLISHED_COLUMNS].astype(str) for frame in (before, after))
    asked = set(zip(before["topic_id"], before["question_id"])) & set(zip(after["topic_id"], after["question_id"]))
    merged = before.merge(after, on=keys, how="outer", suffixes=("_before", "_after"), indicator=True)
    merged = merged.loc[np.array([pair in asked for pair in zip(merged["topic_id"], merged["question_id"])], dtype=bool)]  # a list could be empty: then it would pick columns
    was, now = merged["answer_shown_before"].fillna(""), merged["answer_shown_after"].fillna("")
    change = np.select([(was == "") & (now != ""), (was != "") & (now == ""), was != now], ["new answer", "no longer published", "changed"], default="")
    secret = (was == SUPPRESSED) | (now == SUPPRESSED)
    change = np.where(secret & (was != "") & (now != ""), "", change)
    moves = merged.assign(
        district_name=merged["district_name_after"].fillna(merged["district_name_before"]),
        question=merged["question_after"].fillna(merged["question_before"]),
        before=was,
        after=now,
        change=change,
    )
    moves = moves[moves["change"] != ""]
    order = {key: n for n, key in enumerate(dict.fromkeys([*zip(after["topic_id"], after["question_id"]), *zip(before["topic_id"], before["question_id"])]))}
    moves = moves.assign(_order=[order[pair] for pair in zip(moves["topic_id"], moves["question_id"])])
    moves = moves.sort_values(["topic_id", "district_id", "_order"], key=lambda c: c.map(natural) if c.name == "district_id" else c, kind="stable")
    return moves[CHANGE_COLUMNS].reset_index(drop=True)
