"""What a chart costs as PNG and as inline SVG: every chart of one district's pages, drawn both ways in one run.

    python benchmarks/charts.py [--params params/synthetic.yml] [--district D03] [--repeats 5]

Charts are most of a warm notebook's time, so the format a page embeds is chosen by this measurement. Each
repeat draws every chart afresh and serialises it as PNG (rasterised at 100 dpi, base64 in the page) and as
SVG (text kept as text, district marks with their titles and links), alternating so the machine's drift hits
both. It prints the median milliseconds per chart and the bytes each adds to its page.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default=str(ROOT / "params" / "synthetic.yml"))
    parser.add_argument("--district", default="D03")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from districtstat import report
    from districtstat.site import charts as chart_output
    from districtstat.views.chart_kinds import every_chart

    consortium = report.open_release(args.params)
    drawn = every_chart(consortium, args.district)
    outputs = {"png": lambda fig, alt: base64.b64encode(chart_output.png_bytes(fig)).decode(), "svg": lambda fig, alt: chart_output.svg_markup(fig, alt)}
    for make in drawn.values():  # the first draw pays for fonts and caches
        fig, alt = make()
        if fig is not None:
            outputs["svg"](fig, alt)
    times: dict[str, dict[str, list[float]]] = {name: {"png": [], "svg": []} for name in drawn}
    sizes: dict[str, dict[str, int]] = {name: {} for name in drawn}
    for _ in range(args.repeats):
        for name, make in drawn.items():
            for kind, serialise in outputs.items():
                started = time.perf_counter()
                fig, alt = make()
                if fig is None:
                    continue
                markup = serialise(fig, alt)
                times[name][kind].append(time.perf_counter() - started)
                sizes[name][kind] = len(markup.encode())
    print(f"{args.params} district {args.district}: median of {args.repeats} draws, drawing and serialising (ms), bytes in the page")
    print(f"{'chart':28s} {'png ms':>8s} {'svg ms':>8s} {'svg/png':>8s} {'png kB':>8s} {'svg kB':>8s}")
    totals = {"png": 0.0, "svg": 0.0}
    for name in drawn:
        if not times[name]["png"]:
            continue
        png, svg = statistics.median(times[name]["png"]) * 1000, statistics.median(times[name]["svg"]) * 1000
        totals["png"] += png
        totals["svg"] += svg
        print(f"{name:28s} {png:8.1f} {svg:8.1f} {svg / png:8.2f} {sizes[name]['png'] / 1000:8.1f} {sizes[name]['svg'] / 1000:8.1f}")
    print(f"{'all charts':28s} {totals['png']:8.1f} {totals['svg']:8.1f} {totals['svg'] / totals['png']:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
