"""Charts with a colour-blind-safe palette and byte-stable PNG output."""

from __future__ import annotations

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


def png_bytes(fig) -> bytes:
    """The figure as PNG without software or time metadata, so the same data gives the same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
