"""matplotlib's SVG canvas with one change: each piece of text, and each font's line height, is measured once per
process, not once per save (or, for the line height, once per text laid out).

A chart's text is measured to find its tight bounds and again to draw it, and a page's charts repeat the same tick
labels, titles and legend entries. matplotlib keeps its measurements per renderer, and every save makes new
renderers. What SVG measures depends only on the text, its font properties, whether it is mathtext (unhinted, at
72 dpi) and the settings that turn a font's generic family into a file (`font.*`, `mathtext.*`, `text.*`), so one
cache for every renderer, keyed by all of these, gives the same numbers (and a font's line height depends on the
font, its size and the same settings): `test_charts` holds charts to the bytes matplotlib's own canvas writes.
Charts are saved through it with `savefig(backend=BACKEND)`.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

import matplotlib
from matplotlib import cbook
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.font_manager import fontManager, get_font
from matplotlib.textpath import TextToPath

BACKEND = f"module://{__name__}"


def font_settings() -> tuple:
    """The settings a text's measurement depends on besides its own font properties, as they stand now."""
    return tuple((key, str(value)) for key, value in matplotlib.rcParams.items() if key.startswith(("font.", "mathtext.", "text.")))


@lru_cache(maxsize=8)
def _measuring(settings: tuple) -> TextToPath:
    """One measurer for each set of settings: its mathtext parser keeps parses that do not record them."""
    return TextToPath()


@lru_cache(maxsize=16384)
def _measured(text: str, font, ismath, settings: tuple) -> tuple[float, float, float]:
    return _measuring(settings).get_text_width_height_descent(text, font, ismath)


@lru_cache(maxsize=1024)
def _line_metrics(font, settings: tuple) -> tuple[float, float, float]:
    """A font's ascent, descent and line gap at 72 dpi, in points, read from its tables as `Text._get_layout` reads
    them (OS/2, else hhea) each time it lays out a text, here once per font."""
    font_file = get_font(fontManager._find_fonts_by_props(font))
    for table_name, linegap_key, ascent_key, descent_key in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"), ("hhea", "lineGap", "ascent", "descent")):
        table = font_file.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font_file.get_sfnt_table("head")["unitsPerEm"] * font.get_size_in_points() * 72 / 72  # matplotlib's `* dpi / 72`, in its order: the same float
        return table[ascent_key] * scale, -table[descent_key] * scale, table[linegap_key] * scale
    return None, None, None  # matplotlib then measures "lp"


class RendererMeasuringOnce(RendererSVG):
    """Drawn and measured at 72 dpi only (`print_svg`, `charts.tight_svg_bounds`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._font_settings = font_settings()  # read once a save: settings do not change while a figure is drawn

    def get_text_width_height_descent(self, s, prop, ismath):
        return _measured(s, prop.copy(), ismath, self._font_settings)  # a copy: font properties can change later, and hash by what they hold

    def _get_font_height_metrics(self, prop):
        """The hook `Text._get_layout` asks a renderer before reading the font's tables itself."""
        return _line_metrics(prop.copy(), self._font_settings)


def measuring_renderer(figure, svgwriter, image_dpi: float, metadata=None, bbox_inches_restore=None) -> MixedModeRenderer:
    """The renderer SVG draws and measures a figure with, at the 72 dpi it sets on the figure first; images and
    rasterized artists at `image_dpi`."""
    width, height = figure.get_size_inches()
    svg = RendererMeasuringOnce(width * 72, height * 72, svgwriter, image_dpi=image_dpi, metadata=metadata)
    return MixedModeRenderer(figure, width, height, image_dpi, svg, bbox_inches_restore=bbox_inches_restore)


class FigureCanvas(FigureCanvasSVG):
    def print_svg(self, filename, *, bbox_inches_restore=None, metadata=None, image_dpi=None, dpi=None, facecolor=None, edgecolor=None, orientation=None):
        """`FigureCanvasSVG.print_svg` as matplotlib 3.11 writes it, drawing with `RendererMeasuringOnce`.

        `image_dpi`: the resolution of images and rasterized artists, where the figure is saved at another dpi (see
        `charts.svg_document`); by default the figure's, as matplotlib does. The colours, orientation and dpi are what
        savefig passes every canvas, which matplotlib drops before its own SVG canvas."""
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
            if not cbook.file_requires_unicode(fh):
                fh = codecs.getwriter("utf-8")(fh)
            dpi = image_dpi or self.figure.dpi
            self.figure.dpi = 72
            renderer = measuring_renderer(self.figure, fh, dpi, metadata=metadata, bbox_inches_restore=bbox_inches_restore)
            self.figure.draw(renderer)
            renderer.finalize()
