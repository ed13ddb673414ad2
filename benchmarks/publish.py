"""What publishing a release by one atomic swap of the whole site folder costs, beside renaming the release alone.

    python benchmarks/publish.py [--releases 4] [--files 6000] [--repeats 5]

A site folder with several published releases of California's size (about 1,700 pages and 3,800 CSV downloads
each, here `--files` small files per release) gets one more release, over and over, two ways in one run:

- plain: rename the rendered release into `site/<release>/` and rewrite the version list in place. Quick, but a
  build stopped between the two steps leaves a site whose version list and releases disagree;
- swap: `districtstat.publish.publish_release`, which assembles the next site folder (other releases hard-linked),
  then exchanges it with the site folder in one system call.

It prints the medians, their ratio, and the cost per file of the other releases.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def make_release(folder: Path, files: int) -> None:
    for number in range(files):
        page = folder / f"districts/D{number // 4:04d}" / f"page-{number % 4}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<p>page {number}</p>\n" * 20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=4, help="releases already published")
    parser.add_argument("--files", type=int, default=6000, help="files in each release")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from districtstat.site.publish import publish_release

    with tempfile.TemporaryDirectory(prefix="districtstat-publish-") as scratch:
        root = Path(scratch)
        site, build = root / "site", root / "build"
        for number in range(args.releases):
            make_release(site / f"2023.{number}", args.files)
        (site / "versions.json").write_text("[]\n")
        rendered = root / "rendered"
        make_release(rendered, args.files)
        timings: dict[str, list[float]] = {"plain rename": [], "atomic swap": []}
        for _ in range(args.repeats):
            staged = root / "staged"
            shutil.copytree(rendered, staged)
            start = time.perf_counter()
            old = site / ".old"
            if (site / "new").exists():
                os.rename(site / "new", old)
            os.rename(staged, site / "new")
            (site / "versions.json").write_text('["new"]\n')
            timings["plain rename"].append(time.perf_counter() - start)
            shutil.rmtree(old, ignore_errors=True)

            staged = root / "staged"
            shutil.copytree(rendered, staged)
            start = time.perf_counter()
            publish_release(site, "new", staged, build, "site", lambda folder: (folder / "versions.json").write_text('["new"]\n'))
            timings["atomic swap"].append(time.perf_counter() - start)

        others = args.releases * args.files
        plain, swap = (statistics.median(timings[name]) for name in ("plain rename", "atomic swap"))
        print(f"site of {args.releases} published releases × {args.files:,} files, publishing one more ({args.repeats} repeats)")
        for name, values in timings.items():
            print(f"{name:>13}: median {statistics.median(values):7.3f} s  ({', '.join(f'{v:.3f}' for v in values)})")
        print(f"swap / plain: ×{swap / plain:,.0f}; {1e6 * (swap - plain) / others:.1f} µs per file of the other releases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
