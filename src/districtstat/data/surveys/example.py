"""The example consortium's survey and its returned answer files, for the synthetic dataset and the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from districtstat.config import Topic
from districtstat.data.surveys.layout import SURVEYS_FOLDER, natural
from districtstat.data.surveys.templates import csv_text, template_rows


# ------------------------------------------------------------------ the example consortium's answers

EXAMPLE_TOPIC = "transportation"
EXAMPLE_NOT_ANSWERED = ("D05", "D09", "D13")  # three districts have not returned their file yet
EXAMPLE_BLANK = ("D02", "what_helped")  # one district left the optional question blank
EXAMPLE_FEW_RIDERS = ("D06", 7)  # one district carries a handful of students (special-education routes only)
EXAMPLE_SEED = 15
EXAMPLE_WHAT_HELPED = [
    "Staggered bell times at the two middle schools freed four buses for the elementary runs.",
    "Routing software rebuilt our routes around the stops students actually use; late runs fell by half.",
    "Paying drivers for a full day kept enough of them to cover every route without doubling up.",
    "A text to families when a bus runs more than ten minutes late, so fewer students wait outside.",
    "Moving the bus depot closer to town cut the first leg of every route.",
    "Contracting our two longest rural routes to a local carrier with spare drivers.",
    "A weekly review of every late run with the driver and the dispatcher.",
    "Combining low-ridership stops after a review of our walk zones.",
    "Two spare drivers on call every morning, so a sick call no longer cancels a route.",
    "Shorter routes: we split the three longest runs and added one bus.",
    "Tracking every late run by cause; most were the same two railroad crossings, now avoided.",
    "Buying back the routes we had contracted out; our own drivers know the roads.",
    "Earlier pick-ups on snow days, announced the evening before.",
    "Nothing yet: we are short of drivers on most days.",
]


def example_survey() -> dict:
    """The survey params/synthetic.yml (and the tests' projects) declare for the example's transportation topic."""
    return {
        "questions": [
            {"id": "bus_riders", "text": "How many students ride district buses on a typical school day?", "label": "Students riding district buses", "type": "number", "unit": "students", "maximum": 100000, "required": True, "counts_students": True},
            {"id": "late_routes", "text": "What share of your bus routes ran late at least once a week this school year?", "label": "Routes late at least once a week", "type": "number", "unit": "%", "minimum": 0, "maximum": 100, "required": True, "better": "lower"},
            {"id": "gps_tracking", "text": "Does every bus have GPS tracking that dispatch can see live?", "label": "GPS on every bus", "type": "yes_no", "required": True},
            {"id": "route_planning", "text": "How do you mainly plan bus routes: by hand, with routing software, or through a contractor?", "label": "How routes are planned", "type": "code", "codes": ["manual", "software", "contractor"], "required": True},
            {"id": "what_helped", "text": "What has done most to reduce late arrivals in your district?", "label": "What reduced late arrivals most", "type": "text"},
        ]
    }


def latest_enrollment(data_dir: Path) -> dict[str, int]:
    """Students enrolled per district in the example's latest school year."""
    enrollments = pd.read_csv(data_dir / "enrollments.csv", dtype=str, usecols=["school_year", "district_id"])
    latest = enrollments[enrollments["school_year"] == enrollments["school_year"].max()]
    return {district: int(n) for district, n in latest.groupby("district_id").size().items()}


def write_example_answers(data_dir: Path, seed: int = EXAMPLE_SEED) -> list[Path]:
    """The example consortium's returned answer files: most districts answered, three not yet, one left the
    optional question blank, and one counts fewer riders than `min_n` (10), so its count is hidden on the page."""
    from districtstat.config import Survey

    topic = Topic(id=EXAMPLE_TOPIC, title="Transportation", indicators=["BUS_ON_TIME_PCT"], survey=Survey.model_validate(example_survey()))
    rng = np.random.default_rng(seed)
    enrolled = latest_enrollment(data_dir)
    folder = data_dir / SURVEYS_FOLDER / EXAMPLE_TOPIC
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, district in enumerate(sorted(enrolled, key=natural)):
        students = enrolled[district]
        share, late = rng.uniform(0.35, 0.75), rng.uniform(2, 24)
        gps, planning = rng.random() < 0.55, rng.choice(["manual", "software", "contractor"], p=[0.3, 0.5, 0.2])
        if district in EXAMPLE_NOT_ANSWERED:
            continue
        riders = EXAMPLE_FEW_RIDERS[1] if district == EXAMPLE_FEW_RIDERS[0] else int(np.clip(round(students * share), 10, max(10, students - 10)))
        answers = {
            "bus_riders": str(min(riders, students)),
            "late_routes": f"{late:.1f}",
            "gps_tracking": "yes" if gps else "no",
            "route_planning": str(planning),
            "what_helped": "" if district == EXAMPLE_BLANK[0] else EXAMPLE_WHAT_HELPED[number % len(EXAMPLE_WHAT_HELPED)],
        }
        rows = [[*row[:-1], answers[row[0]]] for row in template_rows(topic)]
        path = folder / f"{district}.csv"
        path.write_text(csv_text(rows), encoding="utf-8")
        written.append(path)
    return written
