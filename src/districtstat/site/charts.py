"""Charts with a colour-blind-safe palette, as inline SVG whose district marks a reader can point at.

SVG keeps text as text (legible at any width, read by screen readers and search) and costs less per chart
than a PNG (`benchmarks/charts.py`). Each mark that stands for a district is a link to that district's page
with an SVG `<title>` naming the district and its value: a tooltip on hover, an accessible name on keyboard focus.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from districtstat.site import svg_canvas  # noqa: E402

PALETTE = sns.color_palette("colorblind")
HIGHLIGHT, CONTEXT, ACCENT = PALETTE[0], "#b8b8b8", PALETTE[1]
# Written where a district's page belongs; the site turns it into a link relative to the page (see `site.district_links`).
DISTRICT_LINK = "district:"
MARKS_ATTRIBUTE = "districtstat_marks"
SMALLEST_TEXT = 8  # points: the smallest text a chart may use, legible on a phone (see styles.css)


@dataclass(frozen=True)
class DistrictMarks:
    """The marks of one scatter, in drawing order: which district each stands for and what its title says."""

    prefix: str
    district_ids: tuple[str, ...]
    titles: tuple[str, ...]


def matplotlib_colour(colour) -> str:
    """A palette colour as `#rrggbb`, to mix with named colours in one array."""
    return matplotlib.colors.to_hex(colour)


def style() -> None:
    """One look for every chart: the same fonts, sizes and palette in every notebook."""
    sns.set_theme(
        style="whitegrid",
        palette=PALETTE,
        font="DejaVu Sans",
        rc={"figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold", "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 9},
    )


def figure(width: float = 7.5, height: float = 4.0):
    style()
    return plt.subplots(figsize=(width, height))


def grid_figure(rows: int, columns: int, width: float, height: float, height_ratios: list[float] | None = None):
    """Small multiples laid out once at a fixed spacing: cheaper than asking matplotlib to fit the layout; rows of
    unequal height where `height_ratios` says."""
    style()
    return plt.subplots(rows, columns, figsize=(width, height), squeeze=False, gridspec_kw={"height_ratios": height_ratios} if height_ratios else None)


def drawn_ticks(ax, x_positions, x_labels, size: float = SMALLEST_TEXT) -> None:
    """Grid lines and tick labels drawn as plain lines and text, in place of matplotlib's tick objects, for the
    small multiples of a scorecard.

    A tick is five artists (two marks, a grid line, two labels) whose properties matplotlib copies deeply each
    time a figure is drawn, and the figure is drawn twice to find its tight bounds; on a page of 31 small charts
    the ticks were half of the drawing (`benchmarks/charts.py`). The y ticks are those matplotlib would choose
    (its locator and formatter on the limits the data set, no offset); the y label is placed clear of the
    widest of them.
    """
    ax.tick_params(axis="y", labelsize=size)  # the locator fits as many ticks as labels of this size allow
    low, high = ax.get_ylim()
    locator, formatter = ax.yaxis.get_major_locator(), ax.yaxis.get_major_formatter()
    margin = (high - low) * 1e-9
    y_positions = [float(y) for y in locator.tick_values(low, high) if low - margin <= y <= high + margin]
    if hasattr(formatter, "set_useOffset"):
        formatter.set_useOffset(False)
    formatter.set_locs(y_positions)
    y_labels = [formatter(y) for y in y_positions]
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_ylim(low, high)
    grid = {"color": plt.rcParams["grid.color"], "linewidth": plt.rcParams["grid.linewidth"], "zorder": 0.5}
    ax.hlines(y_positions, 0, 1, transform=ax.get_yaxis_transform(), **grid)
    ax.vlines(list(x_positions), 0, 1, transform=ax.get_xaxis_transform(), **grid)
    gap = plt.rcParams["ytick.major.pad"] + plt.rcParams["ytick.major.size"]  # points between the frame and a label, as matplotlib leaves
    for y, label in zip(y_positions, y_labels):
        ax.annotate(label, (0, y), xycoords=ax.get_yaxis_transform(), xytext=(-gap, 0), textcoords="offset points", ha="right", va="center", fontsize=size)
    for x, label in zip(x_positions, x_labels):
        ax.annotate(label, (x, 0), xycoords=ax.get_xaxis_transform(), xytext=(0, -gap), textcoords="offset points", ha="center", va="top", fontsize=size)
    widest = max((len(label) for label in y_labels), default=0) * 0.6 * size  # points: DejaVu Sans digits are about 0.6 em
    axes_width = ax.get_position().width * ax.figure.get_figwidth() * 72
    ax.yaxis.set_label_coords(-(gap * 2 + widest + size * 0.4) / axes_width, 0.5)


def district_points(ax, frame, x: str, y: str, gid_prefix: str, titles=None, sizes=None, colour=HIGHLIGHT, **style) -> None:
    """One marker per district, drawn as one scatter; in the SVG each becomes a titled link (`<prefix>-<district id>`).

    `titles` says, per row, what the mark's tooltip reads (the district's name and value); by default its name.
    """
    sizes = [36] * len(frame) if sizes is None else list(sizes)
    titles = list(frame["district_name"].astype(str)) if titles is None else list(titles)
    ax.scatter(frame[x], frame[y], s=sizes, color=colour, edgecolors="black", linewidths=0.5, alpha=0.85, gid=gid_prefix, **style)
    marks = getattr(ax.figure, MARKS_ATTRIBUTE, [])
    marks.append(DistrictMarks(gid_prefix, tuple(frame["district_id"].astype(str)), tuple(titles)))
    setattr(ax.figure, MARKS_ATTRIBUTE, marks)


def _group_end(markup: str, start: int) -> int:
    """Where the `<g>` opened at `start` closes."""
    depth, position = 0, start
    for tag in re.finditer(r"<g[\s>]|</g>", markup[start:]):
        depth += 1 if tag.group().startswith("<g") else -1
        if depth == 0:
            return start + tag.end()
        position = start + tag.end()
    raise ValueError(f"unclosed <g> at {position}")


def link_marks(markup: str, marks: DistrictMarks) -> str:
    """Each mark of a scatter drawn with `district_points` wrapped in a link with its title and id."""
    opening = markup.find(f'<g id="{marks.prefix}">')
    if opening < 0:
        raise ValueError(f"no scatter drawn with gid {marks.prefix!r}")
    end = _group_end(markup, opening)
    group = re.sub(r"<defs>.*?</defs>", lambda m: m.group().replace("/>", "\0"), markup[opening:end], flags=re.S)
    shapes = iter(zip(marks.district_ids, marks.titles, strict=True))

    def linked(shape: re.Match) -> str:
        district_id, title = next(shapes)
        return (
            f'<a href="{DISTRICT_LINK}{html.escape(district_id)}" id="{marks.prefix}-{html.escape(district_id)}" class="district-mark">'
            f"<title>{html.escape(title)}</title>{shape.group()}</a>"
        )

    group = re.sub(r"<(?:path|use)\b[^>]*/>", linked, group).replace("\0", "/>")
    if next(shapes, None) is not None:
        raise ValueError(f"fewer marks than districts in the scatter {marks.prefix!r}")
    return markup[:opening] + group + markup[end:]


def tight_svg_bounds(fig) -> Bbox:
    """The figure's bounds as `savefig(format="svg", bbox_inches="tight")` finds them: every artist's extent
    measured with SVG text metrics at the 72 dpi SVG is drawn at, padded by `savefig.pad_inches`.

    savefig finds them by drawing the whole figure once without output and then again for real; measuring
    the extents directly gives the same bounds without that first draw. With `svg_canvas` measuring each text
    once, the eleven charts `benchmarks/charts.py` then drew took a quarter less time (898 → 679 ms), and
    `test_charts` holds every page's charts to the bytes savefig writes.
    """
    dpi, image_dpi = fig.dpi, _savefig_dpi(fig)
    fig.dpi = 72
    try:
        return fig.get_tightbbox(svg_canvas.measuring_renderer(fig, io.StringIO(), image_dpi)).padded(plt.rcParams["savefig.pad_inches"])
    finally:
        fig.dpi = dpi


SVG_SETTINGS = {"svg.fonttype": "none", "svg.hashsalt": "districtstat"}  # text kept as text; ids that do not change between runs
SVG_METADATA = {"Date": None, "Creator": None}


def svg_document(fig) -> str:
    """The figure as an SVG document within its tight bounds: byte-stable.

    A figure with a layout engine (constrained or tight layout) is laid out by savefig's first draw, so its bounds
    are found by savefig itself."""
    buffer = io.StringIO()
    with plt.rc_context(SVG_SETTINGS):
        if fig.get_layout_engine() is not None:
            fig.savefig(buffer, format="svg", bbox_inches="tight", metadata=SVG_METADATA, backend=svg_canvas.BACKEND)
        else:
            # at 72 dpi, as savefig's first draw leaves a figure it saves as SVG (else the bounds move in the last bit);
            # images and rasterized artists keep savefig's resolution
            fig.savefig(buffer, format="svg", dpi=72, image_dpi=_savefig_dpi(fig), bbox_inches=tight_svg_bounds(fig), metadata=SVG_METADATA, backend=svg_canvas.BACKEND)
    return buffer.getvalue()


def _savefig_dpi(fig) -> float:
    dpi = plt.rcParams["savefig.dpi"]
    return fig.dpi if dpi == "figure" else dpi


def svg_markup(fig, alt: str) -> str:
    """The figure as inline SVG, text kept as text, with its alt text as the accessible name; byte-stable."""
    markup = svg_document(fig)
    plt.close(fig)
    markup = markup[markup.index("<svg") :]
    for marks in getattr(fig, MARKS_ATTRIBUTE, []):
        markup = link_marks(markup, marks)
    role = "group" if getattr(fig, MARKS_ATTRIBUTE, []) else "img"  # an image's children are hidden from screen readers; links must not be
    return markup.replace("<svg ", f'<svg role="{role}" aria-label="{html.escape(alt)}" ', 1)


def png_bytes(fig) -> bytes:
    """The figure as PNG without software or time metadata, so the same data gives the same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
