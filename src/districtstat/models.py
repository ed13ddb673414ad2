"""Consortium models, fitted once per release: gaps, efficiency and peers for every district."""

from __future__ import annotations

import pandas as pd

from .aggregate import latest_rows
from .config import ParamsError, Settings
from .disclosure import hidden_enrollments, suppress_subgroups
from .efficiency import fit_efficiency, school_allocation
from .gaps import gap_trends, outcome_gaps
from .peers import find_peers


def district_peers(settings: Settings, latest: pd.DataFrame) -> pd.DataFrame:
    """Peers by the declared rule, with any peer list a district fixed in params taking its place."""
    rule = settings.peers
    peers = find_peers(latest, id_col="district_id", numeric=rule.numeric, indicators=rule.indicators, k=rule.k, missing=rule.missing)
    known = set(latest["district_id"])
    for district, overrides in sorted(settings.districts.items()):
        unknown = sorted(set(overrides.peers or []) - known)
        if unknown:
            raise ParamsError(f"params: districts.{district}.peers names {', '.join(unknown)}, not a district of the latest year")
        if overrides.peers:
            fixed = pd.DataFrame({"district": district, "rank": range(1, len(overrides.peers) + 1), "peer": overrides.peers, "distance": float("nan")})
            peers = pd.concat([peers[peers["district"] != district], fixed], ignore_index=True)
    return peers.sort_values(["district", "rank"], kind="stable").reset_index(drop=True)


def efficiency_tables(settings: Settings, latest: pd.DataFrame, peers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    model = settings.efficiency
    if model is None:
        return {}
    fit = fit_efficiency(latest, outcome=model.outcome, spending=model.spending, controls=model.controls, folds=model.folds, seed=model.seed, peers=peers)
    return {
        "efficiency": fit.districts,
        "efficiency_coefficients": fit.coefficients,
        "efficiency_fit": pd.DataFrame([{"formula": fit.formula, "n": fit.n, "r2": fit.r2, "adj_r2": fit.adj_r2, "cv_r2": fit.cv_r2}]),
    }


def fit_models(settings: Settings, tables: dict[str, pd.DataFrame], previous_counts: dict[str, float | None] | None = None) -> dict[str, pd.DataFrame]:
    """Gaps, efficiency, peers and allocation; and which student-group counts and district enrollments every page
    hides (`hidden`, `enrollment_hidden`), decided once for the whole release so that no page and no pair of pages
    can reveal what another hides."""
    indicators = tables["district_indicators"]
    latest = latest_rows(indicators).reset_index(drop=True)
    peers = district_peers(settings, latest)
    outcomes = tables["subgroup_outcomes"].drop(columns="hidden", errors="ignore")
    outcomes["hidden"] = suppress_subgroups(outcomes, min_n=settings.min_n, margin=settings.margin, previous=previous_counts)
    indicators = indicators.assign(enrollment_hidden=hidden_enrollments(indicators, previous_counts, settings.min_n))
    gaps = outcome_gaps(outcomes, confidence=settings.gaps.confidence)
    return {
        "district_indicators": indicators,
        "subgroup_outcomes": outcomes,
        "peers": peers,
        **efficiency_tables(settings, latest, peers),
        "school_allocation": school_allocation(tables["school_profile"], min_enrollment=settings.min_n),
        "gaps": gaps,
        "gap_trends": gap_trends(gaps, min_n=settings.min_n),
    }
