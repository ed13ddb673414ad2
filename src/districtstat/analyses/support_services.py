"""Support services month by month: each monthly KPI of a district as an XmR chart, with its limits and signals.

Readers are a chief operating officer who knows control charts from industry and a school board that does not:
every chart names its lines with their values, marks each signal with its own shape and says it in plain words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from districtstat.site.charts import ACCENT, HIGHLIGHT, PALETTE, SMALLEST_TEXT, style
from districtstat.privacy.disclosure import ProtectedTable, protect
from districtstat.analyses.efficiency import in_sentence
from districtstat.analyses.indicators import INDICATORS
from districtstat.analyses.process import BASELINE_POINTS, KIND_WORDS, NO_SIGNAL, XmR, month_words, xmr
from districtstat.report import ByRow, Release

BOUNDS = {"percent": (0.0, 100.0), "count": (0.0, None), "days": (0.0, None)}
UNIT_WORDS = {"percent": "%", "count": "", "days": "days"}
# Each rule has its own shape (WCAG: not colour alone): a diamond beyond a limit, a hollow square around each month of a
# run, a triangle pointing the trend's way.
TREND_MARKERS = {"rising": "^", "falling": "v"}
RUN_COLOUR, TREND_COLOUR, LIMIT_COLOUR, CENTRE_COLOUR, RANGE_COLOUR = PALETTE[2], PALETTE[4], "#4d4d4d", "#1a1a1a", "#6b6b6b"
HOW_TO_READ = (
    "Each dot is a school month (summers have none). Solid line: the usual level, the average of the shaded months; dashed "
    "lines: the natural process limits. A month between them is routine variation. Diamonds: a month beyond a limit; "
    "squares: eight or more in a row on one side of the average (a shift); triangles: six or more in a row each higher, "
    "or each lower, than the one before (a trend). Lower panel: each month's change from the one before, with its limit."
)
LABELS = {"line": "Line or signal", "months": "Months", "value": "Value", "unit": "Unit", "meaning": "What it means"}
CHANGE_UNIT = {"%": "pct. pts"}


def monthly_kpis(release: Release, district_id: str) -> list[str]:
    """The KPI codes the district reports month by month, in the order the scorecard lists them."""
    if not release.has_table("operations_monthly"):
        return []
    monthly = release.table("operations_monthly")
    codes = set(monthly.loc[monthly["district_id"] == district_id, "kpi_code"])
    return [code for code in INDICATORS if code in codes] + sorted(codes - set(INDICATORS))


def label(code: str) -> str:
    return INDICATORS[code].label if code in INDICATORS else code.replace("_", " ").capitalize()


def unit_of(release: Release, district_id: str, code: str) -> str:
    monthly = release.table("operations_monthly")
    return str(monthly.loc[(monthly["district_id"] == district_id) & (monthly["kpi_code"] == code), "unit"].iloc[0])


def shown(unit: str):
    """How a value of the unit reads in a sentence or on a chart."""
    if unit == "percent":
        return "{:.1f}%".format
    if unit == "count":
        return "{:,.0f}".format
    return lambda value: f"{value:,.1f} {UNIT_WORDS.get(unit, unit)}".rstrip()


def shown_change(unit: str):
    """How a month-to-month change reads: a change of a percentage is in percentage points."""
    return (lambda value: f"{value:.1f} pts") if unit == "percent" else shown(unit)


def process_chart(release: Release, district_id: str, code: str) -> XmR | None:
    """The district's series of one KPI read against its natural process limits (None: too few months)."""

    def compute() -> XmR | None:
        monthly = release.table("operations_monthly")
        series = monthly[(monthly["district_id"] == district_id) & (monthly["kpi_code"] == code)]
        unit = str(series["unit"].iloc[0])
        better = INDICATORS[code].better if code in INDICATORS else "neither"
        return xmr(series["month"].astype(str).tolist(), series["value"].astype(float).tolist(), bounds=BOUNDS.get(unit, (None, None)),
                   label=in_sentence(label(code)), better=better, shown=shown(unit))

    return release.remember(("process", district_id, code), compute)


# ------------------------------------------------------------------ words


def lead(release: Release, district_id: str) -> str:
    """What the page shows for this district, and which processes signal a real change."""
    codes = monthly_kpis(release, district_id)
    if not codes:
        return ("**This district reports no monthly support-service figures**, so there are no process charts to show. "
                "Its yearly operations figures are on its scorecard.")
    charts = {code: process_chart(release, district_id, code) for code in codes}
    months = sorted({month for chart in charts.values() if chart is not None for month in chart.months})
    signalling = [code for code, chart in charts.items() if chart is not None and chart.signals]
    quiet = [code for code, chart in charts.items() if chart is not None and not chart.signals]
    parts = [f"**{len(codes)} support-service process{'es' if len(codes) > 1 else ''}, month by month**"
             + (f", {month_words(months[0])} to {month_words(months[-1])}." if months else ".")]
    parts += [_headline(label(code), charts[code]) for code in signalling]
    if quiet:
        parts.append(f"No signal in {_listed([in_sentence(label(code)) for code in quiet])}: month to month, "
                     f"{'they vary' if len(quiet) > 1 else 'it varies'} only as usual, and no single month is worth reacting to.")
    short = [code for code, chart in charts.items() if chart is None]
    if short:
        parts.append(_listed([label(code) for code in short]) + ": too few months for limits (six are needed).")
    return " ".join(parts)


def _headline(title: str, chart: XmR) -> str:
    """The signal that says most about a process, in one sentence: a shift, else a trend, else a month beyond a limit."""
    signal = min(chart.signals, key=lambda s: (("run", "trend", "beyond").index(s.kind), -s.points))
    span = f"{month_words(signal.first_month)} to {month_words(signal.last_month)}"
    name = in_sentence(title)
    limit = "upper" if signal.direction == "above" else "lower"
    if signal.kind == "run":
        said = f"A shift in {name}: {signal.points} months in a row {signal.direction} the usual level from {month_words(signal.first_month)}"
    elif signal.kind == "trend":
        said = f"A steady {'rise' if signal.direction == 'rising' else 'fall'} in {name}: every month from {span}"
    elif signal.points == 1:
        said = f"An unusual month for {name}: {month_words(signal.first_month)}, {signal.direction} the {limit} limit"
    else:
        said = f"Unusual months for {name}: {span}, {signal.direction} the {limit} limit"
    others = len(chart.signals) - 1
    return f"**{said}**" + (f" ({others} other signal{'s' if others > 1 else ''} below)." if others else ".")


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def reading_guide() -> str:
    """How to read a process-behaviour chart, once per page."""
    return (
        "## How to read these charts\n\n"
        "Every process varies from month to month. A **process-behaviour chart** (an XmR chart, as in Lean and Six Sigma) "
        "separates that routine variation from a **signal** that something changed. The **centre line** is the usual "
        f"level, the average of the first {BASELINE_POINTS} months. The **natural process limits** lie 2.66 times the average "
        "month-to-month change above and below it: as long as the process stays the same, nearly every month falls between "
        "them, so a month inside the limits is noise, however good or bad it looks. Three patterns are signals worth "
        "finding the cause of:\n\n"
        "- ◆ **a month beyond a limit**: something unusual happened that month;\n"
        "- □ **eight or more months in a row on one side of the centre line**: the process has shifted;\n"
        "- ▲▼ **six or more months in a row each higher (or each lower) than the one before**: a steady trend.\n\n"
        "The limits describe what the process does, not what it should do: they are not targets."
    )


def kpi_heading(code: str) -> str:
    return f"## {label(code)}"


# ------------------------------------------------------------------ chart


def xmr_figure(chart: XmR, title: str, unit: str):
    """The X chart over the moving-range chart, lines labelled with their values, signals marked by shape."""
    import matplotlib.pyplot as plt

    style()
    fig, (ax, ranges) = plt.subplots(2, 1, figsize=(7.5, 5.6), sharex=True, gridspec_kw={"height_ratios": [3.2, 1.3], "hspace": 0.12})
    text = shown(unit)
    x = np.arange(len(chart.months))
    baseline = len(chart.baseline)
    first_base = chart.months.index(chart.baseline[0])
    for axis in (ax, ranges):
        axis.axvspan(first_base - 0.5, first_base + baseline - 0.5, color="#ececec", zorder=0, lw=0)
        for boundary in _school_year_breaks(chart.months):
            axis.axvline(boundary - 0.5, color="#bdbdbd", lw=0.8, ls=":", zorder=0)
    ax.plot(x, chart.values, color=HIGHLIGHT, lw=1.3, marker="o", ms=4, zorder=3, label="Monthly value")
    ax.axhline(chart.centre, color=CENTRE_COLOUR, lw=1.3, zorder=2)
    for limit in (chart.lower, chart.upper):
        ax.axhline(limit, color=LIMIT_COLOUR, lw=1.2, ls="--", zorder=2)
    right = len(x) - 0.3
    handles = _mark_signals(ax, chart, x)
    ax.set_ylabel(_axis_label(title, unit), fontsize=9)
    ax.set_ylim(*_y_range(chart))
    ax.text(first_base - 0.4, 1.01, f"Limits from these {baseline} months", transform=ax.get_xaxis_transform(), fontsize=SMALLEST_TEXT, color="#4d4d4d", va="bottom")
    if handles:
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.02, 0.0), ncol=1, frameon=False, fontsize=9, title="Signals", title_fontsize=9, alignment="left")
    moving = chart.moving_ranges
    ranges.plot(x[1:], moving, color=RANGE_COLOUR, lw=1.0, marker="o", ms=3, zorder=3)
    ranges.axhline(chart.mean_moving_range, color=CENTRE_COLOUR, lw=1.1, zorder=2)
    ranges.axhline(chart.upper_range, color=LIMIT_COLOUR, lw=1.1, ls="--", zorder=2)
    ranges.set_ylabel("Change from\nprevious month", fontsize=9)
    ranges.set_ylim(0, max(float(np.max(moving, initial=0)), chart.upper_range) * 1.25 or 1)
    ticks = [i for i, month in enumerate(chart.months) if month[5:] in ("09", "01", "04")]
    ranges.set_xticks(ticks, [_tick(chart.months[i]) for i in ticks])
    ranges.set_xlim(-0.6, len(x) - 0.4)
    ax.tick_params(axis="x", length=0)
    change = shown_change(unit)
    _line_labels(ax, right, [(chart.upper, f"Upper limit {text(chart.upper)}"), (chart.centre, f"Average {text(chart.centre)}"),
                             (chart.lower, f"Lower limit {text(chart.lower)}")])
    _line_labels(ranges, right, [(chart.upper_range, f"Range limit {change(chart.upper_range)}"),
                                 (chart.mean_moving_range, f"Average change {change(chart.mean_moving_range)}")])
    return fig


def _school_year_breaks(months: tuple[str, ...]) -> list[int]:
    """Where a new school year begins (a September after other months): the summer between is not shown."""
    return [i for i, month in enumerate(months) if i and month[5:] == "09"]


def _tick(month: str) -> str:
    return month_words(month, short=True).replace(" ", "\n")


def _axis_label(title: str, unit: str) -> str:
    return f"{title} (%)" if unit == "percent" else (f"{title}\nper month" if unit == "count" else f"{title} ({unit})")


def _y_range(chart: XmR) -> tuple[float, float]:
    low = min(float(chart.values.min()), chart.lower)
    high = max(float(chart.values.max()), chart.upper)
    pad = (high - low) * 0.08 or 1.0
    return low - pad, high + pad


LABEL_GAP = 12  # points between the centres of two line labels, so that 9-point labels never overlap


def _line_labels(ax, x: float, lines: list[tuple[float, str]]) -> None:
    """Each horizontal line's name and value at its right end, moved apart where lines lie close together."""
    to_points = ax.transData.transform
    per_point = ax.figure.dpi / 72
    wanted = [float(to_points((0, y))[1]) / per_point for y, _ in lines]
    order = np.argsort(wanted)[::-1]  # from the top down
    placed: dict[int, float] = {}
    below = np.inf
    for i in order:
        placed[i] = min(wanted[i], below - LABEL_GAP)
        below = placed[i]
    for i, (_, text) in enumerate(lines):
        y = ax.transData.inverted().transform((0, placed[i] * per_point))[1]
        ax.text(x, y, f" {text}", fontsize=SMALLEST_TEXT + 1, va="center", ha="left", color="#1a1a1a", clip_on=False)


def _mark_signals(ax, chart: XmR, x: np.ndarray) -> list:
    """Each signal's points in its shape, and one legend entry per signal saying it in short plain words."""
    index = {month: i for i, month in enumerate(chart.months)}
    handles = []
    for signal in chart.signals:
        points = np.array([index[month] for month in signal.months])
        if signal.kind == "beyond":
            style_ = {"marker": "D", "s": 70, "facecolor": ACCENT, "edgecolor": "black", "linewidths": 0.8, "zorder": 5}
        elif signal.kind == "run":
            style_ = {"marker": "s", "s": 140, "facecolor": "none", "edgecolor": RUN_COLOUR, "linewidths": 1.6, "zorder": 4}
        else:
            style_ = {"marker": TREND_MARKERS[signal.direction], "s": 46, "facecolor": TREND_COLOUR, "edgecolor": "black", "linewidths": 0.6, "zorder": 6}
        ax.scatter(x[points], chart.values[points], **style_)
        handles.append(Line2D([], [], linestyle="none", marker=style_["marker"], markersize=7 if signal.kind != "run" else 9,
                              markerfacecolor=style_["facecolor"], markeredgecolor=style_["edgecolor"], markeredgewidth=style_["linewidths"],
                              label=short_words(signal)))
    return handles


def short_words(signal) -> str:
    """A signal in a few words, for the chart's key."""
    span = month_words(signal.first_month, short=True) + ("" if signal.points == 1 else f" – {month_words(signal.last_month, short=True)}")
    if signal.kind == "beyond":
        side = "upper" if signal.direction == "above" else "lower"
        return f"Beyond the {side} limit: {span}" + ("" if signal.points == 1 else f" ({signal.points} months)")
    if signal.kind == "run":
        return f"Shift: {signal.points} months in a row {signal.direction} the average, {span}"
    return f"Trend: {signal.points} months in a row each {'higher' if signal.direction == 'rising' else 'lower'}, {span}"


def chart_and_words(release: Release, district_id: str, code: str):
    """The figure (None when there are too few months), its alt text, caption and reading note."""
    chart = process_chart(release, district_id, code)
    title = label(code)
    caption = f"{title}, month by month, against its natural process limits"
    if chart is None:
        return None, "Fewer than six months of data: too few for natural process limits.", caption, HOW_TO_READ
    unit = unit_of(release, district_id, code)
    text = shown(unit)
    alt = (f"Process-behaviour chart of {in_sentence(title)} in {release.district_name(district_id)}, {month_words(chart.months[0])} to "
           f"{month_words(chart.months[-1])}: average {text(chart.centre)}, natural process limits {text(chart.lower)} to {text(chart.upper)}, "
           f"from the first {len(chart.baseline)} months. " + (" ".join(s.sentence for s in chart.signals) if chart.signals else NO_SIGNAL))
    return xmr_figure(chart, title, unit), alt, caption, HOW_TO_READ


# ------------------------------------------------------------------ table


def limits_table(release: Release, district_id: str, code: str) -> ProtectedTable:
    """The chart's lines and signals as rows: months, value with its unit, and what each means."""
    chart = process_chart(release, district_id, code)
    if chart is None:
        return protect(pd.DataFrame(columns=list(LABELS)), counts={}, min_n=release.min_n)
    unit = unit_of(release, district_id, code)
    words = table_unit(code, unit)
    changes = CHANGE_UNIT.get(words, words)
    base = _span(chart.baseline[0], chart.baseline[-1])
    rows = [
        ("Average (centre line)", base, chart.centre, words, f"The usual level: the average of these {len(chart.baseline)} months, which all the limits come from."),
        ("Upper natural process limit", None, chart.upper, words, "Average + 2.66 × average change" + _bound_note(chart.upper, unit, "upper") + "."),
        ("Lower natural process limit", None, chart.lower, words, "Average − 2.66 × average change" + _bound_note(chart.lower, unit, "lower") + "."),
        ("Average change (mR̄)", None, chart.mean_moving_range, changes, "The mean difference between one month and the next."),
        ("Upper range limit", None, chart.upper_range, changes, "3.268 × average change: a larger change from one month to the next is unusual."),
    ]
    last = [chart.baseline[-1]] * len(rows)
    rows += [(f"{KIND_WORDS[s.kind]} ({month_words(s.first_month, short=True)})", _span(s.first_month, s.last_month), float(s.points), "months", s.sentence) for s in chart.signals]
    last += [s.last_month for s in chart.signals]
    if not chart.signals:
        rows.append(("Signals", _span(chart.months[0], chart.months[-1]), 0.0, "months", NO_SIGNAL))
        last.append(chart.months[-1])
    table = pd.DataFrame(rows, columns=list(LABELS))
    # Each row's school year is the one its last month falls in (a month from July on belongs to the next spring year).
    return protect(table, counts={}, min_n=release.min_n).of_school_year([int(m[:4]) + (int(m[5:]) >= 7) for m in last])


def table_unit(code: str, unit: str) -> str:
    """The unit as a table's Unit column names it: %, days, or what the KPI counts."""
    if unit == "count":
        return INDICATORS[code].unit if code in INDICATORS else "count"
    return UNIT_WORDS.get(unit, unit)


def _span(first: str, last: str) -> str:
    return month_words(first, short=True) if first == last else f"{month_words(first, short=True)} – {month_words(last, short=True)}"


def _bound_note(value: float, unit: str, side: str) -> str:
    low, high = BOUNDS.get(unit, (None, None))
    bound = high if side == "upper" else low
    return f", set at {bound:g} since no month can go {'higher' if side == 'upper' else 'lower'}" if bound is not None and value == bound else ""


def _value(value, row) -> str:
    """Months and counts as whole numbers, percentages and days to one decimal, as the charts show them."""
    return f"{value:,.1f}" if row["unit"] in ("%", "pct. pts", "days") else f"{value:,.0f}"


FORMATS = {"value": ByRow(_value)}


# ------------------------------------------------------------------ the page


def show_processes(release: Release, district_id: str) -> None:
    """Every monthly KPI of the district: heading, chart, and the table of its limits and signals."""
    from districtstat.report import show_chart, show_table, show_text

    codes = monthly_kpis(release, district_id)
    if not codes:
        return
    show_text(reading_guide())
    for code in codes:
        show_text(kpi_heading(code))
        fig, alt, caption, how_to_read = chart_and_words(release, district_id, code)
        show_chart(fig, alt, caption, how_to_read)
        if fig is None:
            continue
        show_table(
            limits_table(release, district_id, code),
            caption=f"{label(code)}: natural process limits and signals",
            how_to_read="Every limit comes from the months of the centre line's row; each signal names the months it covers and how many. Values are in the unit beside them.",
            labels=LABELS,
            formats=FORMATS,
        )
