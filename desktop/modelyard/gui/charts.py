"""Small pyqtgraph helpers; pyqtgraph is imported only when a chart is first made."""

from __future__ import annotations

import threading

PALETTE = ("#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#455a64")


def pg():
    import pyqtgraph

    pyqtgraph.setConfigOptions(antialias=True, background="w", foreground="#333")
    return pyqtgraph


_PLAIN_AXIS = None


def plain_axis(orientation: str = "left"):
    """An axis whose ticks are plain decimals at the precision their spacing needs:
    0.00004 rather than 4e-05 for a cost of a few hundred-thousandths of a euro."""
    global _PLAIN_AXIS
    if _PLAIN_AXIS is None:
        import math

        class PlainAxis(pg().AxisItem):
            def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
                step = spacing * scale
                big = max((abs(v * scale) for v in values), default=0) >= 1e6
                if step <= 0 or big:
                    return super().tickStrings(values, scale, spacing)
                decimals = max(0, min(12, -math.floor(math.log10(step))))
                return [f"{v * scale:.{decimals}f}" for v in values]

        _PLAIN_AXIS = PlainAxis
    return _PLAIN_AXIS(orientation)


def make_plot(title: str, y_label: str, legend: bool = True, time_axis: bool = False):
    graph = pg()
    axis = {"left": plain_axis("left")}
    if time_axis:
        axis["bottom"] = graph.DateAxisItem()
    plot = graph.PlotWidget(title=title, axisItems=axis)
    plot.setMinimumHeight(150)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setLabel("left", y_label)
    for side in ("left", "bottom"):  # values as logged: no "460 (x0.001)" for a loss of 0.46
        plot.getAxis(side).enableAutoSIPrefix(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    if legend:  # one translucent row at the top, so the curves show through and below it
        plot.addLegend(offset=(5, 5), colCount=4, brush=(255, 255, 255, 170), labelTextSize="8pt")
    return plot


LONG_CURVE = 20_000  # points beyond which a curve is drawn with a one-pixel pen


def add_line(plot, name: str, index: int, width: float = 1.6):
    graph = pg()
    return plot.plot([], [], name=name, pen=graph.mkPen(PALETTE[index % len(PALETTE)], width=width))


def set_curve(curve, x, y, index: int, width: float = 1.6) -> None:
    """Give a line its data; a long one is drawn with a one-pixel pen and no antialiasing,
    because antialiased wide pens make Qt's raster engine take a second per frame of a
    million-point curve where a plain thin line takes a few tens of milliseconds."""
    long = len(x) > LONG_CURVE
    width = 1.0 if long else width
    if curve.opts["pen"].widthF() != width:
        curve.setPen(pg().mkPen(PALETTE[index % len(PALETTE)], width=width))
    curve.setData(x, y, antialias=not long)


_loaded = threading.Event()
_started = threading.Lock()


def preload_in_background() -> None:
    """Import pyqtgraph (about a second) on a thread, so the first chart does not freeze the
    window; only the import happens there, every widget is still made on the GUI thread."""
    if not _started.acquire(blocking=False):
        return

    def load() -> None:
        try:
            import pyqtgraph  # noqa: F401
        except Exception:  # noqa: BLE001, S110 - the GUI thread's own import will report it
            pass
        finally:
            _loaded.set()

    threading.Thread(target=load, name="preload-pyqtgraph", daemon=True).start()


def ready() -> bool:
    """True once pyqtgraph is imported; else starts the import and says to try again later."""
    if not _loaded.is_set():
        preload_in_background()
    return _loaded.is_set()
