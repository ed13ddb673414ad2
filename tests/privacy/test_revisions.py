import pandas as pd

from districtstat.privacy.revisions import published_means, revised_by_few, score_sum_change


def outcomes(means: dict[str, float], counts: dict[str, int], subject: str = "MATH") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_year": 2024,
            "district_id": "D07",
            "subject": subject,
            "grade": "ALL",
            "subgroup": list(means),
            "n": [counts[g] for g in means],
            "mean_score": list(means.values()),
            "hidden": False,
        }
    )


def test_a_corrected_score_withholds_every_figure_of_its_district_year_and_subject():
    """One student's score corrected by 42 points: the counts stay, a group of 20's mean moves by 2.1 points."""
    counts = {"ALL": 453, "ECODIS": 20, "NOT_ECODIS": 433}
    before = {("D07", 2024, "MATH", g): (m, counts[g]) for g, m in {"ALL": 480.0, "ECODIS": 470.0, "NOT_ECODIS": 480.5}.items()}
    now = outcomes({"ALL": 480.09, "ECODIS": 472.1, "NOT_ECODIS": 480.5}, counts)
    ela = outcomes({"ALL": 500.0, "ECODIS": 490.0, "NOT_ECODIS": 500.5}, counts, "ELA")
    withheld = revised_by_few(pd.concat([now, ela], ignore_index=True), before, 10)
    assert withheld.tolist() == [True, True, True, False, False, False], "math is withheld group by group; ELA was not revised"
    unchanged = revised_by_few(outcomes({"ALL": 480.0, "ECODIS": 470.0, "NOT_ECODIS": 480.5}, counts), before, 10)
    assert not unchanged.any()


def test_a_move_rounding_can_explain_is_not_a_revision_and_a_group_that_changed_its_students_is_judged_by_its_count():
    low, high = score_sum_change((480.0, 453), 480.1, 453)
    assert low <= 1e-6 and high > 0, "0.1 point on 453 students is within rounding"
    counts = {"ALL": 453}
    before = {("D07", 2024, "MATH", "ALL"): (480.0, 430)}
    assert not revised_by_few(outcomes({"ALL": 485.0}, counts), before, 10).any(), "23 more students: a new group, not a revision"
    assert not revised_by_few(outcomes({"ALL": 485.0}, counts), {}, 10).any(), "no previous release"


def test_the_previous_release_s_means_are_read_by_group_code_from_its_long_file(tmp_path):
    figures = tmp_path / "published_figures.csv"
    figures.write_text(
        "district_id,district_name,school_year,subject,group,compared_with,indicator,measure,value,shown_as,unit,n,page,table\n"
        "D07,X,2024,MATH,Economically disadvantaged,,,Mean score (points),470.0,,points,20,p,t\n"
        "D07,X,2024,MATH,English learners,,,Mean score (points),,*,points,,p,t\n"
        "D07,X,2024,MATH,All students,,,% proficient,50,,%,453,p,t\n"
    )
    assert published_means(figures, ["ALL", "ECODIS", "EL"]) == {("D07", 2024, "MATH", "ECODIS"): (470.0, 20.0)}
    assert published_means(None, ["ALL"]) == {}
