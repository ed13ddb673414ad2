"""matplotlib's SVG canvas with one change: each piece of text is measured once per process, not once per save.

A chart's text is measured to find its tight bounds and again to draw it, and a page's charts repeat the same tick
labels, titles and legend entries. matplotlib keeps its measurements per renderer, and every save makes new
renderers. What SVG measures depends only on the text, its font properties and whether it is mathtext (unhinted,
at 72 dpi), so one cache for every renderer gives the same numbers: `test_charts` holds every page's charts to the
bytes matplotlib's own canvas writes. Charts are saved through it with `savefig(backend=BACKEND)`.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

from matplotlib import cbook
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.textpath import TextToPath

BACKEND = f"module://{__name__}"
_text_to_path = TextToPath()


@lru_cache(maxsize=65536)
def _measured(text: str, font, ismath) -> tuple[float, float, float]:
    return _text_to_path.get_text_width_height_descent(text, font, ismath)


class RendererMeasuringOnce(RendererSVG):
    def get_text_width_height_descent(self, s, prop, ismath):
        return _measured(s, prop.copy(), ismath)  # a copy: font properties can change later, and hash by what they hold


class FigureCanvas(FigureCanvasSVG):
    def print_svg(self, filename, *, bbox_inches_restore=None, metadata=None, **ignored):
        """`FigureCanvasSVG.print_svg` as matplotlib 3.11 writes it, drawing with `RendererMeasuringOnce`. `ignored`: the
        colours, orientation and dpi savefig passes every canvas, which matplotlib drops before its own SVG canvas."""
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
            if not cbook.file_requires_unicode(fh):
                fh = codecs.getwriter("utf-8")(fh)
            dpi = self.figure.dpi
            self.figure.dpi = 72
            width, height = self.figure.get_size_inches()
            w, h = width * 72, height * 72
            renderer = MixedModeRenderer(
                self.figure, width, height, dpi, RendererMeasuringOnce(w, h, fh, image_dpi=dpi, metadata=metadata), bbox_inches_restore=bbox_inches_restore
            )
            self.figure.draw(renderer)
            renderer.finalize()
