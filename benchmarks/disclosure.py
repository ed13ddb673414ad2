"""What complementary suppression and its linear-programming audit cost, beside primary suppression alone, in one run.

    python benchmarks/disclosure.py [--params params/synthetic.yml] [--repeats 3]

On the release's group counts (every district, year and subject), each repeat times: primary suppression alone
(the plain alternative: hide n < min_n, and nothing that protects it), the full suppression (pairs, then
complements until the attacker's linear program finds nothing), and the attacker's audit of the result. It prints
medians, the ratio to primary suppression, how many counts each hides, and how many hidden counts primary
suppression alone would leave recoverable.
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

    from districtstat import audit, pipeline
    from districtstat.config import load_project
    from districtstat.disclosure import PUBLISHED_GRADE, count_key, suppress_subgroups

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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
