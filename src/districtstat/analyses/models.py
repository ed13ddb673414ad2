"""Consortium models, fitted once per release: gaps, efficiency and peers for every district."""

from __future__ import annotations

import pandas as pd

from districtstat.data.aggregate import latest_rows
from districtstat.data.measures import OPTIONAL_MEASURES, columns_of, measures_not_reported, without_missing
from districtstat.data.subjects import statistic_of_indicator, subject_of_indicator
from districtstat.config import ParamsError, Settings
from districtstat.privacy.disclosure import hidden_enrollments, suppress_subgroups
from districtstat.privacy.revisions import revised_by_few
from districtstat.analyses.efficiency import compare_models, fit_efficiency, school_allocation
from districtstat.analyses.gaps import gap_trends, outcome_gaps
from districtstat.analyses.peers import find_peers


def district_peers(settings: Settings, latest: pd.DataFrame, missing: list[str] = ()) -> pd.DataFrame:
    """Peers by the declared rule, less features made from a measure the data do not report, with any peer list a
    district fixed in params taking its place."""
    rule = settings.peers
    numeric, _ = without_missing(rule.numeric, list(missing))
    indicators, _ = without_missing(rule.indicators, list(missing))
    weights = {feature: weight for feature, weight in rule.weights.items() if feature in numeric + indicators}
    try:
        peers = find_peers(latest, id_col="district_id", numeric=numeric, indicators=indicators, k=rule.k, missing=rule.missing, weights=weights)
    except KeyError as error:
        raise ParamsError(f"params: {error.args[0]}") from None
    known = set(latest["district_id"])
    for district, overrides in sorted(settings.districts.items()):
        unknown = sorted(set(overrides.peers or []) - known)
        if unknown:
            raise ParamsError(f"params: districts.{district}.peers names {', '.join(unknown)}, not a district of the latest year")
        if overrides.peers:
            fixed = pd.DataFrame({"district": district, "rank": range(1, len(overrides.peers) + 1), "peer": overrides.peers, "distance": float("nan")})
            peers = pd.concat([peers[peers["district"] != district], fixed], ignore_index=True)
    return peers.sort_values(["district", "rank"], kind="stable").reset_index(drop=True)


def tested_in_outcome(outcome: str, latest: pd.DataFrame, subgroup_outcomes: pd.DataFrame) -> pd.DataFrame:
    """Each district's students tested and score SD in the outcome's subject (what its mean's chance variation rests
    on); enrollment and no SD where the data do not say."""
    subject = subject_of_indicator(outcome) if statistic_of_indicator(outcome) == "mean_score" else None
    rows = subgroup_outcomes
    if subject is not None and not rows.empty:
        rows = rows[(rows["subgroup"] == "ALL") & (rows["grade"] == "ALL") & (rows["subject"] == subject)]
        rows = rows[["district_id", "school_year", "n", "sd_score"]].rename(columns={"n": "students_tested"})
        latest = latest.merge(rows, on=["district_id", "school_year"], how="left")
    else:
        latest = latest.assign(students_tested=float("nan"), sd_score=float("nan"))
    return latest.assign(students_tested=latest["students_tested"].fillna(latest["enrollment"]))


def efficiency_tables(settings: Settings, latest: pd.DataFrame, subgroup_outcomes: pd.DataFrame, missing: list[str] = ()) -> dict[str, pd.DataFrame]:
    model = settings.efficiency
    if model is None:
        return {}
    latest = tested_in_outcome(model.outcome, latest, subgroup_outcomes)
    controls, _ = without_missing(model.controls, list(missing))
    fit = fit_efficiency(
        latest,
        outcome=model.outcome,
        spending=model.spending,
        controls=controls,
        folds=model.folds,
        seed=model.seed,
        students="students_tested",
        score_sd="sd_score",
        min_cv_r2=model.min_cv_r2,
    )
    declared = {"model": "As declared", "formula": fit.formula, "n": fit.n, "r2": fit.r2, "adj_r2": fit.adj_r2, "cv_r2": fit.cv_r2, "aic": float(fit.result.aic)}
    alternatives = [(alternative.name, model.outcome, alternative.spending, alternative.controls) for alternative in model.alternatives]
    return {
        "efficiency": fit.districts,
        "efficiency_coefficients": fit.coefficients,
        "efficiency_fit": pd.DataFrame([fit.summary()]),
        "efficiency_models": pd.concat([pd.DataFrame([declared]), *([compare_models(latest, alternatives, folds=model.folds, seed=model.seed)] if alternatives else [])], ignore_index=True),
    }


def left_out(settings: Settings, missing: list[str]) -> pd.DataFrame:
    """What the release leaves out for want of a measure: each measure, and each declared peer feature and model
    control made from one, so the pages can say what was switched off and why."""
    rows = [("measure", measure, OPTIONAL_MEASURES[measure][0], OPTIONAL_MEASURES[measure][1]) for measure in missing]
    dropped_peers = without_missing([*settings.peers.numeric, *settings.peers.indicators], missing)[1]
    rows += [("peer_feature", feature, ", ".join(sorted(columns_of(feature))), "") for feature in dropped_peers]
    if settings.efficiency is not None:
        for control in without_missing(settings.efficiency.controls, missing)[1]:
            rows.append(("model_control", control, ", ".join(sorted(columns_of(control))), ""))
    return pd.DataFrame(rows, columns=["kind", "name", "measure", "switches_off"])


def fit_models(settings: Settings, tables: dict[str, pd.DataFrame], previous_counts: dict[str, float | None] | None = None, previous_means=None) -> dict[str, pd.DataFrame]:
    """Gaps, efficiency, peers and allocation; and which student-group counts and district enrollments every page
    hides (`hidden`, `enrollment_hidden`) and whose revised figures it withholds (`figures_withheld`, see
    `revisions`), decided once for the whole release so that no page and no pair of pages
    can reveal what another hides."""
    indicators = tables["district_indicators"]
    latest = latest_rows(indicators).reset_index(drop=True)
    missing = measures_not_reported(tables)
    peers = district_peers(settings, latest, missing)
    outcomes = tables["subgroup_outcomes"].drop(columns="hidden", errors="ignore")
    outcomes["hidden"] = suppress_subgroups(outcomes, min_n=settings.min_n, margin=settings.margin, previous=previous_counts)
    outcomes["figures_withheld"] = revised_by_few(outcomes, previous_means or {}, settings.min_n)
    indicators = indicators.assign(enrollment_hidden=hidden_enrollments(indicators, previous_counts, settings.min_n))
    gaps = outcome_gaps(outcomes, confidence=settings.gaps.confidence)
    return {
        "district_indicators": indicators,
        "subgroup_outcomes": outcomes,
        "peers": peers,
        **efficiency_tables(settings, latest, outcomes, missing),
        "left_out": left_out(settings, missing),
        "school_allocation": school_allocation(tables["school_profile"], min_enrollment=settings.min_n),
        "gaps": gaps,
        "gap_trends": gap_trends(gaps, min_n=settings.min_n),
    }
