"""What complementary suppression and its linear-programming audit cost, beside primary suppression alone, in one run.

    python benchmarks/disclosure.py [--params params/synthetic.yml] [--repeats 3]

On the release's group counts (every district, year and subject), each repeat times: primary suppression alone
(the plain alternative: hide n < min_n, and nothing that protects it), the full suppression (pairs, then
complements until the attacker's linear program finds nothing), and the attacker's audit of the result. It prints
medians, the ratio to primary suppression, how many counts each hides, and how many hidden counts primary
suppression alone would leave recoverable.

Then a second release of the same counts: unchanged (what a new release republishes of past years) and with one
student withdrawn from a tenth of the district-year-subjects (a revision), each judged against the first release by
the two-release attacker. Last, what readers lose to rounding percentages by group size (`shown_percent`) beside
the previous rule (exact percentages, coded at 5% and 95% for groups under 20 × min_n): the mean distance between
the published and the exact % proficient, and how many percentages are coded or withheld.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(ROOT / "params" / "synthetic.yml"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from districtstat.privacy import audit
    from districtstat import pipeline
    from districtstat.config import load_project
    from districtstat.privacy.disclosure import PUBLISHED_GRADE, count_key, suppress_subgroups

    project = load_project(args.params)
    pipeline.prepare(project)
    outcomes = pd.read_parquet(project.tables_dir / "subgroup_outcomes.parquet").drop(columns="hidden")
    outcomes = outcomes[outcomes["grade"] == PUBLISHED_GRADE].reset_index(drop=True)
    min_n, margin = project.settings.min_n, project.settings.margin
    truth = audit.true_counts(outcomes)
    systems = outcomes.groupby(["school_year", "district_id", "subject"]).ngroups
    print(f"{project.relative(project.params_file)}: {len(outcomes):,} group counts in {systems} district-year-subjects; min_n {min_n}, margin {margin}")

    def published(hidden: pd.Series) -> dict[str, float | None]:
        keys = [count_key("tested", d, y, s, g, c) for d, y, s, g, c in zip(outcomes["district_id"], outcomes["school_year"], outcomes["subject"], outcomes["grade"], outcomes["subgroup"])]
        return {key: (None if h else float(n)) for key, h, n in zip(keys, hidden, outcomes["n"])}

    timings: dict[str, list[float]] = {"primary only": [], "complementary": [], "audit": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        n = outcomes["n"].astype(float)
        primary = (n > 0) & (n < min_n)
        timings["primary only"].append(time.perf_counter() - start)
        start = time.perf_counter()
        hidden = suppress_subgroups(outcomes, min_n=min_n, margin=margin)
        timings["complementary"].append(time.perf_counter() - start)
        start = time.perf_counter()
        exposed = audit.recoverable(published(hidden), truth, margin, min_n=min_n)
        timings["audit"].append(time.perf_counter() - start)
    assert not exposed, exposed[:3]
    recovered = audit.recoverable(published(primary), truth, margin, min_n=min_n)
    base = statistics.median(timings["primary only"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:>14}: median {median:8.3f} s  ({', '.join(f'{v:.3f}' for v in values)})" + (f"  ×{median / base:,.0f} primary" if name != "primary only" else ""))
    print(f"hidden: {int(primary.sum()):,} counts by primary suppression, {int(hidden.sum()):,} with complementary suppression")
    print(f"recoverable by the attacker: {len(recovered):,} hidden counts after primary suppression alone, 0 after complementary")
    second_release(outcomes, published(hidden), min_n, margin, args.repeats, truth)
    reader_loss(pd.read_parquet(project.tables_dir / "subgroup_outcomes.parquet"), min_n)
    return 0


def second_release(outcomes, first, min_n: int, margin: int, repeats: int, truth) -> None:
    """The next release against this one: the same counts, and a tenth of district-year-subjects revised by a student."""
    import numpy as np

    from districtstat.privacy import audit
    from districtstat.privacy.disclosure import count_key, suppress_subgroups

    revised = outcomes.copy()
    systems = revised.groupby(["school_year", "district_id", "subject"]).ngroups
    chosen = np.random.default_rng(7).choice(systems, size=max(1, systems // 10), replace=False)
    at = revised.groupby(["school_year", "district_id", "subject"]).ngroup().isin(chosen)
    # one student leaves: of the largest race and sex, in no program; every count holding such a student loses one
    for _, rows in revised[at].groupby(["school_year", "district_id", "subject"]):
        codes = dict(zip(rows["subgroup"], rows["n"].astype(float)))
        profile = {max((c for c in codes if c.startswith(prefix)), key=codes.get, default=None) for prefix in ("RACE_", "SEX_")} - {None}
        holding = {"ALL", *profile} | {c for c in codes if c.startswith("NOT_") and c.removeprefix("NOT_") not in profile}
        revised.loc[rows.index[rows["subgroup"].isin(holding)], "n"] -= 1
    for name, counts in (("unchanged", outcomes), ("revised", revised)):
        times, hidden = [], None
        for _ in range(repeats):
            start = time.perf_counter()
            hidden = suppress_subgroups(counts, min_n=min_n, margin=margin, previous=first)
            times.append(time.perf_counter() - start)
        keys = [count_key("tested", d, y, s, g, c) for d, y, s, g, c in zip(counts["district_id"], counts["school_year"], counts["subject"], counts["grade"], counts["subgroup"])]
        now = {key: (None if h else float(n)) for key, h, n in zip(keys, hidden, counts["n"])}
        start = time.perf_counter()
        found = audit.recoverable(now, audit.true_counts(counts), margin, previous=first, min_n=min_n)
        audit_time = time.perf_counter() - start
        print(f"second release, {name}: suppression median {statistics.median(times):.3f} s, two-release audit {audit_time:.3f} s; {int(hidden.sum()):,} counts hidden; {len(found)} findings")


def reader_loss(outcomes, min_n: int) -> None:
    """What rounding percentages by group size costs a reader, beside the previous rule, on every published % proficient."""
    import numpy as np

    from districtstat.privacy.disclosure import shown_percent

    shown = outcomes[(outcomes["grade"] == "ALL") & ~outcomes["hidden"].astype(bool) & outcomes["pct_proficient"].notna()]
    if shown.empty:
        print("% proficient: none published in this dataset")
        return
    exact, n = shown["pct_proficient"].to_numpy(dtype=float), shown["n"].to_numpy(dtype=float)
    old_coded = (n * 0.05 < min_n) & ((exact <= 5) | (exact >= 95))
    new = [shown_percent(p, k, min_n) for p, k in zip(exact, n)]
    rounded = np.array([np.nan if value is None else value for value, _ in new])
    coded = np.array([code is not None and code != "*" for _, code in new])
    withheld = np.array([code == "*" for _, code in new])
    error = np.abs(rounded - exact)[~np.isnan(rounded)]
    big = n >= 500
    print(f"% proficient of {len(exact):,} published groups: previous rule exact, {int(old_coded.sum()):,} coded; "
          f"rounded by group size: {int((~np.isnan(rounded)).sum()):,} as numbers (median distance {np.median(error):.2f} points, "
          f"mean {error.mean():.2f}, 90th percentile {np.percentile(error, 90):.2f}), {int(coded.sum()):,} coded, {int(withheld.sum()):,} withheld; "
          f"groups of 500 or more ({int(big.sum()):,}): mean distance {np.abs(rounded - exact)[big & ~np.isnan(rounded)].mean():.2f} points")


if __name__ == "__main__":
    raise SystemExit(main())
