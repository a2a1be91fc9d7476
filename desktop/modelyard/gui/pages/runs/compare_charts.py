"""The compare view's charts: overlaid curves, parallel coordinates, a param-vs-metric scatter.

Each draws what modelyard.tracking.compare returns into its tab (compare_view.ChartTab): the
tab's plot, or a sentence saying why there is none. pyqtgraph is imported only when a chart is
first drawn, never when this module is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF

from modelyard.gui import charts
from modelyard.store.entities import Run
from modelyard.tracking import compare

if TYPE_CHECKING:
    from modelyard.gui.pages.runs.compare_view import ChartTab

AXIS_PEN = "#9e9e9e"
MISSING_COLOUR = "#bdbdbd"
NAME_GAP = 12  # pixels kept free between two axis names on one row (text margins included)
LINE = {"connect": "finite", "symbol": "o", "symbolSize": 6, "symbolPen": None}


class CurvesChart:
    """One metric's per-step history, a line per run that logged it."""

    def __init__(self) -> None:
        self.items: dict[int, object] = {}  # run id: its line

    def draw(self, tab: ChartTab, runs: Sequence[Run], overlaid: dict, key: str | None) -> None:
        self.items = {}
        if key not in overlaid:
            tab.say(
                "These runs logged no per-step metrics, only final values; the Differences tab lists those."
            )
            return
        plot = tab.show_plot(self._make_plot)
        plot.clear()
        plot.setLabel("left", key)
        for i, run in enumerate(runs):
            if run.id in overlaid[key]:
                self.items[run.id] = charts.add_line(plot, run.label, i)
                charts.set_curve(self.items[run.id], *overlaid[key][run.id], i)  # thin if long
        plot.enableAutoRange()

    @staticmethod
    def _make_plot():
        plot = charts.make_plot("", "value")
        plot.setTitle(None)  # the tab and its chooser say what the chart is
        # Losses fall and scores rise: the top right corner is the one most often empty.
        legend = plot.getPlotItem().legend
        legend.setOffset((-10, 5))
        legend.setBrush((255, 255, 255, 210))
        plot.setLabel("bottom", "step")
        plot.setMouseEnabled(x=True, y=True)  # pan and zoom long histories
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        return plot


class ParallelChart:
    """One vertical axis per param or metric, one line per run across them, coloured by a
    metric. The texts (values, axis names, run ids) are laid out in pixels whenever the size
    changes, so that names and ids do not overlap and nothing is cut off at the edges."""

    def __init__(self) -> None:
        self.axes: list[compare.Axis] = []
        self.lines: dict[int, object] = {}  # run id: its line
        self.names: list = []  # the TextItem under each axis
        self.ends: list[tuple[object, float]] = []  # each line's end: (id TextItem, height)
        self._texts: list[tuple[object, int]] = []  # every TextItem, with its axis's index
        self.colour_bar = None
        self._plot = None

    def draw(self, tab: ChartTab, runs: Sequence[Run], colour_key: str | None, only: bool) -> None:
        chart = compare.parallel_coordinates(runs, compare.chart_keys(runs, only))
        self.axes = list(chart.axes)
        self.lines, self.names, self.ends, self._texts = {}, [], [], []
        if len(self.axes) < 2:
            tab.say(
                "Parallel coordinates need at least two params or metrics that two or more of "
                "these runs have"
                + (" and that differ; untick “Only axes that differ” to see all." if only else ".")
            )
            return
        graph = charts.pg()
        self._plot = plot = tab.show_plot(self._make_plot)
        plot.clear()
        names = []
        for i, a in enumerate(self.axes):
            plot.plot([i, i], [0, 1], pen=graph.mkPen(AXIS_PEN, width=1))
            for text, y, anchor in _value_labels(a):
                self._text(text, i, y, anchor, "#555")
            names.append(self._text(a.label, i, 0, (0.5, -1.0), "#222", a.describe()))
        colours = self._colours(runs, colour_key)
        for r, run in enumerate(runs):
            ys = chart.line(r)
            pen = graph.mkPen(colours[r], width=2)
            nans = [float("nan") if y is None else y for y in ys]
            self.lines[run.id] = plot.plot(nans, pen=pen, symbolBrush=colours[r], **LINE)
            # The run's id where its line ends (its last axis with a value): a full label would
            # run into the next axis or off the chart; the caption and the tooltip name it.
            last = max((i for i, y in enumerate(ys) if y is not None), default=None)
            if last is not None:
                end = self._text(str(run.id), last, ys[last], (-0.4, 0.5), colours[r], run.label)
                self.ends.append((end, ys[last]))
        self.names = names
        tab.name_runs(runs)
        self.fit()

    def _text(self, text: str, x: int, y: float, anchor, colour, tip: str = ""):
        item = charts.pg().TextItem(text, color=colour, anchor=anchor)
        item.setPos(x, y)
        item.setToolTip(tip)
        self._plot.addItem(item)
        self._texts.append((item, x))
        return item

    def _make_plot(self):
        graph = charts.pg()
        plot = charts.make_plot("", "", legend=False)
        plot.setTitle(None)
        plot.hideAxis("left")
        plot.hideAxis("bottom")  # the axes' names are texts under them, staggered if need be
        plot.showGrid(x=False, y=False)
        self.colour_bar = graph.ColorBarItem(
            colorMap=_colour_map(), interactive=False, width=12, colorMapMenu=False
        )
        self.colour_bar.axis.enableAutoSIPrefix(False)
        self.colour_bar.axis.setWidth(None)  # its fixed 45 px put the label over the values
        plot.getPlotItem().layout.addItem(self.colour_bar, 2, 5)  # right of the plot
        plot.getPlotItem().layout.setContentsMargins(2, 8, 2, 2)  # room for the bar's top value
        plot.getViewBox().sigResized.connect(self.fit)
        return plot

    def fit(self) -> None:
        """Lay the texts out for the chart's size in pixels: the axes' names on one row, or
        staggered on two and elided if still too wide; ids of lines ending together spread
        apart; the view padded by what the outermost texts need, so that none is cut off."""
        box = self._plot.getViewBox() if self.names else None
        if box is None or box.width() < 100 or box.height() < 100:
            return
        width, height, last = box.width(), box.height(), len(self.axes) - 1
        font = QFontMetricsF(self.names[0].textItem.font())
        line = self.names[0].boundingRect().height()
        # Elided for the room left by the names as if they were whole, then for the room they
        # leave once elided so: that room can only be larger, so the names never overlap.
        for skip in (self.names, ()):
            left, right = self._overhang(last, skip)
            spacing = (width - left - right) / last
            wide = any(font.horizontalAdvance(a.label) > spacing - NAME_GAP for a in self.axes)
            rows = 2 if wide else 1
            for i, (name, a) in enumerate(zip(self.names, self.axes, strict=True)):
                room = rows * spacing - NAME_GAP
                name.setText(font.elidedText(a.label, Qt.TextElideMode.ElideMiddle, room))
                name.setAnchor((0.5, -1.0 - i % rows))  # under the min value's row
        left, right = self._overhang(last)
        top, bottom = line, line * (1 + rows)
        x_span = last / max(0.2, 1 - (left + right) / width)
        y_span = 1 / max(0.2, 1 - (top + bottom) / height)
        box.setRange(
            xRange=(-left / width * x_span, last + right / width * x_span),
            yRange=(-bottom / height * y_span, 1 + top / height * y_span),
            padding=0,
        )
        gap, ceiling = 0.8 * line / height * y_span, 1 + 0.5 * top / height * y_span
        piles: dict[float, list] = {}
        for item, y in sorted(self.ends, key=lambda end: end[1]):
            pile = piles.setdefault(item.pos().x(), [])
            pile.append((item, max(y, pile[-1][1] + gap) if pile else y))
        for pile in piles.values():  # pushed up past the top: move the whole pile down
            down = max(0.0, pile[-1][1] - ceiling)
            for item, y in pile:
                item.setPos(item.pos().x(), y - down)

    def _overhang(self, last: int, skip=()) -> tuple[float, float]:
        """Pixels by which texts at the first and the last axis reach out past them."""
        left = right = 10.0
        for item, x in self._texts:
            if x in (0, last) and item not in skip:
                w = item.boundingRect().width()
                left = max(left, item.anchor.x() * w) if x == 0 else left
                right = max(right, (1 - item.anchor.x()) * w) if x == last else right
        return left, right

    def _colours(self, runs: Sequence[Run], key: str | None) -> list:
        """Each run's colour on the chosen metric's colour map (grey if it lacks the metric);
        the colour bar beside the chart says which colour is which value."""
        coloured = compare.axis(runs, key) if key is not None else None
        span = coloured.range if coloured is not None else None
        self.colour_bar.setVisible(span is not None and span[0] != span[1])
        if coloured is None:
            return [_palette(i) for i in range(len(runs))]
        if self.colour_bar.isVisible():
            self.colour_bar.setLevels(span)
            self.colour_bar.axis.setLabel(coloured.label)
        colour_map = _colour_map()
        return [
            MISSING_COLOUR if t is None else colour_map.mapToQColor(t) for t in coloured.normalised
        ]


class ScatterChart:
    """A param or metric against a metric, a point per run that has both."""

    def __init__(self) -> None:
        self.item = None  # the ScatterPlotItem
        self.data: compare.Scatter | None = None

    def draw(self, tab: ChartTab, runs: Sequence[Run], x_key: str | None, y_key: str | None):
        self.item, self.data = None, None
        if x_key is None or y_key is None:
            tab.say(
                "No metric is shared by two or more of these runs; the scatter plots a param or metric against a metric."
            )
            return
        points = compare.scatter(runs, x_key, y_key)
        if len(points.run_ids) < 2:
            tab.say(
                f"Fewer than two of these runs have both {x_key} and {y_key}; pick another X or Y."
            )
            return
        graph = charts.pg()
        plot = tab.show_plot(self._make_plot)
        plot.clear()
        plot.setLabel("bottom", x_key)
        plot.setLabel("left", y_key)
        plot.getAxis("bottom").setTicks([points.x_ticks()] if points.x_axis.categories else None)
        index = {run.id: i for i, run in enumerate(runs)}
        self.item = graph.ScatterPlotItem(
            size=11,
            pen=graph.mkPen("w", width=1),
            hoverable=True,
            tip=lambda x, y, data: (
                f"{runs[index[data]].label}\n{x_key} = {x:.4g}\n{y_key} = {y:.4g}"
            ),
        )
        kept = list(zip(points.run_ids, points.x, points.y, strict=True))
        self.item.setData(
            [{"pos": (x, y), "data": i, "brush": _palette(index[i])} for i, x, y in kept]
        )
        plot.addItem(self.item)
        for run_id, x, y in kept:  # ids, not labels: those would hide each other and be cut off
            text = graph.TextItem(str(run_id), color="#555", anchor=(-0.3, 1.0))
            text.setPos(x, y)
            plot.addItem(text)
        plot.enableAutoRange()
        if points.x_axis.categories:  # every category's column, even one no kept run is in
            plot.setXRange(-0.5, len(points.x_axis.categories) - 0.5, padding=0)
        self.data = points
        tab.name_runs([runs[index[i]] for i in points.run_ids])

    @staticmethod
    def _make_plot():
        plot = charts.make_plot("", "", legend=False)
        plot.setTitle(None)
        plot.setMouseEnabled(x=True, y=True)
        plot.getViewBox().setDefaultPadding(0.1)  # the run ids beside the points fit too
        return plot


def _value_labels(a: compare.Axis) -> list[tuple[str, float, tuple[float, float]]]:
    """(text, y, anchor): a numeric axis's max above its top and min below its foot;
    categories (and a constant's one value) beside the axis, at their heights."""
    beside = bool(a.categories) or len(a.ticks()) == 1
    return [(t, y, (-0.08, 0.5) if beside else (0.5, 1.0 if y else 0.0)) for y, t in a.ticks()]


def _palette(index: int) -> str:
    return charts.PALETTE[index % len(charts.PALETTE)]


def _colour_map():
    # The top of viridis is a pale yellow that vanishes on white, so stop short of it.
    return charts.pg().colormap.get("viridis").getSubset(0.0, 0.85)
