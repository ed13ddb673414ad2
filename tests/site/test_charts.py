"""Charts as inline SVG: every district mark a titled link, byte-stable, with text kept as text."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from districtstat.site import charts
from districtstat.views.chart_kinds import every_chart

DISTRICTS = pd.DataFrame(
    {"district_id": ["D01", "D02", "D03"], "district_name": ["Harbor City", "Oak & Elm", "Prairie View"], "spending": [15.0, 16.5, 18.0], "score": [480.0, 500.0, 510.0]}
)


def drawn(n: int = 3, **options) -> str:
    frame = pd.concat([DISTRICTS] * (n // 3 + 1), ignore_index=True).head(n)
    frame["district_id"] = [f"D{i:03d}" for i in range(n)]
    fig, ax = charts.figure()
    charts.district_points(ax, frame, "spending", "score", "overview", titles=[f"{name}: {score:.1f} points" for name, score in zip(frame["district_name"], frame["score"])], **options)
    return charts.svg_markup(fig, "Scatter of three districts")


@pytest.mark.parametrize("n", [3, 150])  # few marks are drawn as paths, many as one shape reused
def test_every_district_mark_is_a_link_with_its_title(n):
    markup = drawn(n)
    links = re.findall(r'<a href="district:(D\d+)" id="overview-(D\d+)" class="district-mark"><title>([^<]+)</title>\s*<(path|use)\b', markup)
    assert [link[0] for link in links] == [f"D{i:03d}" for i in range(n)]
    assert all(a == b for a, b, *_ in links)
    assert links[1][2] == "Oak &amp; Elm: 500.0 points"


def test_a_chart_with_links_is_a_named_group_and_one_without_an_image():
    assert drawn().startswith('<svg role="group" aria-label="Scatter of three districts"')
    fig, ax = charts.figure()
    ax.plot([1, 2], [3, 4])
    assert charts.svg_markup(fig, "A line").startswith('<svg role="img" aria-label="A line"')


def test_the_same_chart_gives_the_same_bytes_and_keeps_its_text_as_text():
    first, second = drawn(), drawn(sizes=None)
    assert first == second
    assert re.search(r"<text [^>]*>15\.0</text>", first)  # a tick label a screen reader and a phone can read


def test_fewer_marks_than_districts_is_an_error_not_a_wrong_title():
    fig, ax = charts.figure()
    charts.district_points(ax, DISTRICTS, "spending", "score", "overview")
    fig.districtstat_marks[0] = charts.DistrictMarks("overview", ("D01", "D02", "D03", "D04"), ("a", "b", "c", "d"))
    with pytest.raises(ValueError):
        charts.svg_markup(fig, "alt")


@pytest.mark.parametrize("values", [[481.2, 484.9, 488.3], [-35.1, -28.7, -25.0], [12600.0, 13700.0, 13850.0], [2.2, 3.2, 2.5]])
def test_drawn_ticks_show_the_ticks_matplotlib_would_and_make_no_tick_objects(values):
    """The same values at the same places as matplotlib's own ticks on the same axes, as text, with no offset."""
    import matplotlib.pyplot as plt

    def small_chart():
        fig, axes = charts.grid_figure(1, 1, 2.5, 2.9)
        ax = axes[0][0]
        ax.plot([2022, 2023, 2024], values)
        ax.set_xlim(2021.7, 2024.3)
        fig.subplots_adjust(left=0.27, right=0.94, top=0.8, bottom=0.25)
        return fig, ax

    fig, ax = small_chart()
    ax.tick_params(labelsize=charts.SMALLEST_TEXT)
    fig.canvas.draw()
    low, high = ax.get_ylim()
    expected = [label.get_text() for tick, label in zip(ax.get_yticks(), ax.get_yticklabels()) if low <= tick <= high]
    plt.close(fig)

    fig, ax = small_chart()
    charts.drawn_ticks(ax, [2022, 2023, 2024], ["2021–22", "2022–23", "2023–24"])
    assert ax.get_yticks().size == 0 and ax.get_xticks().size == 0
    shown = re.findall(r"<text [^>]*>([^<]+)</text>", charts.svg_markup(fig, "A small chart"))
    assert shown == expected + ["2021–22", "2022–23", "2023–24"]
    assert all(float(label.replace("−", "-")) for label in expected if label not in ("0", "−0"))


def as_savefig_writes(fig) -> str:
    """What `svg_document` must write: matplotlib's own SVG canvas with `bbox_inches="tight"`, found by a first draw."""
    import io

    import matplotlib.pyplot as plt

    reference = io.StringIO()
    with plt.rc_context(charts.SVG_SETTINGS):
        fig.savefig(reference, format="svg", bbox_inches="tight", metadata=charts.SVG_METADATA)
    plt.close(fig)
    return reference.getvalue()


def test_a_chart_is_the_svg_savefig_writes_within_tight_bounds_drawn_once(built):
    """`svg_document` measures the tight bounds without savefig's first, throwaway draw: every page's charts
    keep the bytes savefig gives them with `bbox_inches="tight"`."""
    import matplotlib.pyplot as plt

    from districtstat.config import load_project
    from districtstat.report import Release

    release = Release(load_project(built[1]))
    compared = []
    for name, make in every_chart(release, "D02").items():
        fig, _ = make()
        if fig is None:
            continue
        reference = as_savefig_writes(fig)
        fig, _ = make()
        assert charts.svg_document(fig) == reference, name
        plt.close(fig)
        compared.append(name)
    assert len(compared) >= 12, compared


def constrained_with_a_title():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(5, 3), layout="constrained")
    fig.suptitle("A title wider than the axes leave room for")
    axes[1].plot([1, 2], [1000000, 2000000])
    return fig


def image_with_a_colour_bar():
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(3, 3))
    shown = ax.imshow(np.arange(100).reshape(10, 10))
    fig.colorbar(shown)
    ax.pcolormesh(np.arange(12).reshape(3, 4), rasterized=True)
    return fig


def labels_in_math():
    fig, ax = charts.figure(4, 3)
    ax.set_title(r"Spending $\alpha_{district}$ per pupil")
    ax.set_xlabel("Students in the district")
    return fig


@pytest.mark.parametrize("make", [constrained_with_a_title, image_with_a_colour_bar, labels_in_math])
def test_a_notebook_s_own_figure_is_the_svg_savefig_writes(make):
    """A figure a notebook makes may use what the pages' charts do not: a layout engine (laid out by savefig's first
    draw), images and rasterized artists (at savefig's resolution, not the 72 dpi the figure is saved at)."""
    assert charts.svg_document(make()) == as_savefig_writes(make())


@pytest.mark.parametrize("setting", [{"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans Mono"]}, {"mathtext.default": "bf"}])
def test_text_measured_before_a_font_setting_changed_is_measured_again(setting):
    """The measurements kept across saves depend on the settings that choose a font: after a notebook changes them,
    a chart is still measured as savefig measures it."""
    import matplotlib.pyplot as plt

    def labelled():  # charts.figure would set the font family back
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.set_title(r"Spending $\alpha_{district}$ per pupil")
        ax.set_xlabel("Students in the district")
        return fig

    charts.svg_document(labelled())  # measured with the settings as they were
    with plt.rc_context(setting):
        assert charts.svg_document(labelled()) == as_savefig_writes(labelled())


def test_a_font_s_line_metrics_are_read_once_not_for_every_text_laid_out(monkeypatch):
    """matplotlib reads a font's tables each time it lays out a text; the canvas answers from what it read once per
    font and size, with the same numbers (the bytes are savefig's)."""
    import matplotlib.text

    fig, reference = labels_in_math_with_two_lines(), as_savefig_writes(labels_in_math_with_two_lines())
    opened = []
    get_font = matplotlib.text.get_font
    monkeypatch.setattr(matplotlib.text, "get_font", lambda *args, **kwargs: opened.append(args) or get_font(*args, **kwargs))
    assert charts.svg_document(fig) == reference
    assert opened == []


def labels_in_math_with_two_lines():
    fig = labels_in_math()
    fig.axes[0].set_ylabel("Two lines\nof a label")
    return fig
