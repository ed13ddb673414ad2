"""Charts with a colour-blind-safe palette and byte-stable PNG output."""

from __future__ import annotations

import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

PALETTE = sns.color_palette("colorblind")
HIGHLIGHT, CONTEXT, ACCENT = PALETTE[0], "#b8b8b8", PALETTE[1]


def style() -> None:
    """One look for every chart: the same fonts, sizes and palette in every notebook."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font="DejaVu Sans", rc={"figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold"})


def figure(width: float = 7.5, height: float = 4.0):
    style()
    return plt.subplots(figsize=(width, height))


def grid_figure(rows: int, columns: int, width: float, height: float):
    """Small multiples laid out once at a fixed spacing: cheaper than asking matplotlib to fit the layout."""
    style()
    return plt.subplots(rows, columns, figsize=(width, height), squeeze=False)


def district_points(ax, frame, x: str, y: str, gid_prefix: str, sizes=None, colour=HIGHLIGHT, **style) -> None:
    """One marker per district, each its own SVG group (`<prefix>-<district id>`), so a page can mark a reader's district."""
    sizes = [36] * len(frame) if sizes is None else list(sizes)
    for (_, row), size in zip(frame.iterrows(), sizes):
        ax.plot([row[x]], [row[y]], "o", markersize=size**0.5, color=colour, markeredgecolor="black", markeredgewidth=0.5, alpha=0.85, gid=f"{gid_prefix}-{row['district_id']}", **style)


def svg_markup(fig, alt: str) -> str:
    """The figure as inline SVG, text kept as text, with its alt text as the accessible name; byte-stable."""
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "districtstat"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    markup = buffer.getvalue()
    markup = markup[markup.index("<svg") :]
    return markup.replace("<svg ", f'<svg role="img" aria-label="{html.escape(alt)}" ', 1)


def png_bytes(fig) -> bytes:
    """The figure as PNG without software or time metadata, so the same data gives the same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
