"""A topic's survey on its page: who answered, the yes/no and coded answers counted and by district, and the text
answers quoted, each protected like every published table. The numbers a survey asks are ranked with the
indicators (`topics`)."""

from __future__ import annotations

import pandas as pd

from districtstat.data import surveys
from districtstat.config import Question, Topic
from districtstat.privacy.disclosure import ProtectedTable, protect
from districtstat.report import Release


BLANK = "left blank"


def in_words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def answered_districts(release: Release, topic: Topic) -> set[str]:
    """Every district that returned its answer file, whether or not a page may show its answers."""
    if not release.has_table("survey_answers"):
        return set()
    answers = release.table("survey_answers")
    return set(answers.loc[answers["topic_id"] == topic.id, "district_id"])


def survey_introduction(release: Release, topic: Topic) -> str:
    """The survey's heading, who answered, and the districts that have not answered yet."""
    names = release.latest_indicators.set_index("district_id")["district_name"].astype(str)
    answered = answered_districts(release, topic) & set(names.index)
    waiting = [names[d] for d in sorted(names.index, key=surveys.natural) if d not in answered]
    count = len(topic.survey.questions)
    text = (
        f"## Survey: {topic.title}\n\n{len(answered)} of {len(names)} districts answered the consortium's survey on this topic "
        f"({count} question{'s' if count != 1 else ''}). The answers are what each district reported: they are not checked against "
        "the data above, and each district answered by its own records."
    )
    text += f"\n\n**Not answered yet** ({len(waiting)}): {in_words(waiting)}." if waiting else "\n\nEvery district answered."
    small = sorted(answered - release.publishable_districts)
    if small:
        text += f" The answers of {len(small)} district{'s' if len(small) != 1 else ''} with fewer than {release.min_n} students are not shown."
    return text


def left_blank(release: Release, topic: Topic, question: Question) -> str:
    """The districts that returned their file but left this question blank, as a sentence (empty when none did)."""
    answers = surveys.topic_answers(release, topic)
    blank = answers[(answers["question_id"] == question.id) & answers["answer"].isna()]
    names = sorted(blank["district_name"], key=surveys.natural)
    return f"Left blank by {in_words(names)}." if names else ""


def choice_questions(topic: Topic) -> list[Question]:
    return [q for q in topic.survey.questions if q.type in ("yes_no", "code")] if topic.survey else []


def choice_counts(release: Release, topic: Topic) -> str:
    """Districts per answer of each yes/no and coded question, every allowed answer named (none is a zero), as a list.
    These count districts, not students; in words, because a table of answers would have no district to stand on."""
    answers = surveys.topic_answers(release, topic)
    lines = []
    for question in choice_questions(topic):
        given = answers.loc[answers["question_id"] == question.id, "answer"]
        options = surveys.YES_NO if question.type == "yes_no" else list(question.codes or [])
        counts = [(option, int((given == option).sum())) for option in options]
        if given.isna().any():
            counts.append((BLANK, int(given.isna().sum())))
        shown = "; ".join(f"{option}: {count} district{'' if count == 1 else 's'}" for option, count in counts)
        lines.append(f"- **{question.name}** — {shown}.")
    return "\n".join(lines)


def choices_by_district(release: Release, topic: Topic) -> ProtectedTable:
    """Each district's yes/no and coded answers, one row per district that answered, its name linked to its page."""
    answers = surveys.topic_answers(release, topic)
    questions = choice_questions(topic)
    wide = answers[answers["question_id"].isin([q.id for q in questions])].pivot(index="district_id", columns="question_id", values="answer")
    profile = release.latest_indicators.set_index("district_id")[["district_name", "region"]]
    table = profile.reindex(wide.index).join(wide.reindex(columns=[q.id for q in questions]).astype(object).where(wide.notna(), BLANK))
    table = table.sort_values("district_name", key=lambda names: names.map(surveys.natural), kind="stable")
    return protect(table.reset_index(drop=True), counts={}, min_n=release.min_n).naming_districts(table.index).of_school_year(release.latest_year)


def quoted(release: Release, topic: Topic, question: Question) -> ProtectedTable:
    """A text question's answers, quoted as each district wrote them."""
    answers = surveys.topic_answers(release, topic)
    given = answers[(answers["question_id"] == question.id) & answers["answer"].notna()]
    given = given.sort_values("district_name", key=lambda names: names.map(surveys.natural), kind="stable")
    table = pd.DataFrame({"district_name": given["district_name"].to_numpy(), "answer": [f"“{text}”" for text in given["answer"]]})
    return protect(table, counts={}, min_n=release.min_n).naming_districts(given["district_id"]).of_school_year(release.latest_year)


def survey_sections(release: Release, topic: Topic) -> list[tuple[str, tuple | None]]:
    """After the numbers: the yes/no and coded answers counted and by district, then each text question's answers
    quoted. Each part is (text to show, table arguments for `report.show_table` or None); none without a survey."""
    sections: list[tuple[str, tuple | None]] = []
    questions = choice_questions(topic)
    if questions:
        answered = surveys.topic_answers(release, topic)["district_id"].nunique()
        blanks = " ".join(note for note in (left_blank(release, topic, q) for q in questions) if note)
        counts = f"Districts per answer, of the {answered} districts that answered (districts, not students). {blanks}".strip()
        by_district = ("Yes/no and multiple-choice answers by district", "Each district's answers as it reported them. " + " ".join(f"{q.name}: {q.text}" for q in questions), {"district_name": "District", "region": "Region"} | {q.id: q.name for q in questions}, {})
        sections += [(f"### Yes/no and multiple-choice answers\n\n{counts}\n\n{choice_counts(release, topic)}", None), ("", (choices_by_district(release, topic), *by_district))]
    for question in [q for q in topic.survey.questions if q.type == "text"] if topic.survey else []:
        table = quoted(release, topic, question)
        heading = f"### {question.name}"
        if table.frame.empty:
            sections.append((f"{heading}\n\n{question.text} No district has answered this question yet.", None))
            continue
        how_to_read = f"{question.text} Quoted as each district wrote it. {left_blank(release, topic, question)}".strip()
        sections.append((heading, (table, f"{question.name}: in the districts' own words", how_to_read, {"district_name": "District", "answer": "Answer"}, {})))
    return sections
