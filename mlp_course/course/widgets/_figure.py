"""Figures shown by widgets as PNG images.

A widget redraws its matplotlib figure into an ``ipywidgets.Image`` rather than
``display()``-ing it into an ``Output`` widget: the picture updates in place, and
notebook runners (nbclient, the grader) never wait on an Output widget's messages.
"""

from __future__ import annotations

import io


def figure_png(figure) -> bytes:
    """The figure rendered as PNG bytes, without touching pyplot's state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()
