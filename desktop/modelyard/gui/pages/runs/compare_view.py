"""Several runs side by side: a diff table, overlaid curves, parallel coordinates, a scatter.

The data comes from modelyard.tracking.compare. This module holds the widgets: the tabs, their
choosers and the diff table; modelyard.gui.pages.runs.compare_charts draws the charts, with pyqtgraph,
which is imported when a chart is first drawn, never when this module is imported.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from modelyard.gui import charts, tasks
from modelyard.gui.pages.runs import compare_charts
from modelyard.store.entities import Run
from modelyard.tracking import compare

DIFFERS_BACKGROUND = QColor("#fff3cd")


class KeyChooser(QComboBox):
    """A chooser of param/metric keys. Across refills it keeps only a key the user picked: a
    default kept from an earlier selection would outlive the reason it was chosen."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.picked: str | None = None
        self.activated.connect(lambda i: setattr(self, "picked", self.itemData(i)))

    def set_keys(self, keys: Sequence[str], default: str | None = None) -> None:
        keys = list(keys)
        chosen = next((k for k in (self.picked, default) if k in keys), keys[0] if keys else None)
        if [self.itemData(i) for i in range(self.count())] == keys and self.currentData() == chosen:
            return
        self.blockSignals(True)
        self.clear()
        for key in keys:
            self.addItem(key, key)
        self.setCurrentIndex(keys.index(chosen) if chosen is not None else -1)
        self.blockSignals(False)


class ChartTab(QWidget):
    """Controls over either a chart or a sentence saying why there is none; under the chart, a
    caption naming the runs that the chart marks by id only."""

    changed = Signal()  # a control changed: draw again

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.controls = QHBoxLayout()
        self.stack = QStackedWidget()
        self.message = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel(wordWrap=True, visible=False)
        self.stack.addWidget(self.message)
        layout.addLayout(self.controls)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.caption)
        self.plot = None
        self.dirty = True

    def chooser(self, label: str) -> KeyChooser:
        combo = KeyChooser()
        combo.currentIndexChanged.connect(self.changed)
        self.controls.addWidget(QLabel(label))
        self.controls.addWidget(combo)
        return combo

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)
        self.caption.hide()

    def show_plot(self, make):
        """The tab's plot, made on first use, now showing."""
        if self.plot is None:
            self.plot = make()
            self.stack.addWidget(self.plot)
        self.stack.setCurrentWidget(self.plot)
        return self.plot

    def name_runs(self, runs: Sequence[Run]) -> None:
        """Which run each id is: its name, else its model."""
        names = (f"<b>{r.id}</b> {html.escape(r.name or r.model_kind)}" for r in runs)
        self.caption.setText("Runs: " + " &nbsp;·&nbsp; ".join(names))
        self.caption.show()


class CompareView(QWidget):
    """Compare 2..N runs. `show_runs` may be called on every store refresh: with the same runs
    it reads nothing new (except a live run's new metric rows) and keeps the chosen keys."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = None
        self._runs: tuple[Run, ...] = ()
        self._histories = compare.Histories()
        self._overlaid: dict[str, dict[int, compare.Series]] = {}
        self._reader = tasks.Latest(self._read_histories, self._histories_read)
        self._curves_read = False  # the selection's histories have been read once

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel("Select two or more runs to compare them.")
        self.message.setObjectName("emptyHint")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tabs = QTabWidget()
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        self.differences = QWidget()
        column = QVBoxLayout(self.differences)
        self.only_differences = QCheckBox("Only differences")
        self.only_differences.toggled.connect(self._hide_same_rows)
        self.table = QTableWidget(0, 1)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        column.addWidget(self.only_differences)
        column.addWidget(self.table, 1)

        self.curves, self.parallel, self.scatter = ChartTab(), ChartTab(), ChartTab()
        self.curve_key = self.curves.chooser("Metric")
        self.colour_by = self.parallel.chooser("Colour by")
        self.only_differing_axes = QCheckBox("Only axes that differ", checked=True)
        self.only_differing_axes.toggled.connect(self.parallel.changed)
        self.parallel.controls.addWidget(self.only_differing_axes)
        self.scatter_x = self.scatter.chooser("X")
        self.scatter_y = self.scatter.chooser("Y")
        self.curve_chart = compare_charts.CurvesChart()
        self.parallel_chart = compare_charts.ParallelChart()
        self.scatter_chart = compare_charts.ScatterChart()
        self.tabs.addTab(self.differences, "Differences")
        for tab, name in (
            (self.curves, "Curves"),
            (self.parallel, "Parallel coordinates"),
            (self.scatter, "Scatter"),
        ):
            tab.controls.addStretch(1)
            tab.changed.connect(partial(self._redraw, tab))
            self.tabs.addTab(tab, name)
        self.tabs.currentChanged.connect(self._update_current)
        self.tabs.hide()

    # -- input

    def show_runs(self, store, runs: Sequence[Run]) -> None:
        runs = tuple(runs)
        same = store is self._store and runs == self._runs
        self._store = store
        if not same:
            self._runs = runs
            enough = len(runs) >= 2
            self.message.setVisible(not enough)
            self.tabs.setVisible(enough)
            if not enough:
                self._histories = compare.Histories()
                return
            self._curves_read = False
            self._fill_table()
            self._fill_choices()
            for tab in (self.curves, self.parallel, self.scatter):
                tab.dirty = True
        if len(self._runs) >= 2:
            self._update_current()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._update_current()

    def _redraw(self, tab: ChartTab) -> None:
        tab.dirty = True
        self._update_current()

    def _update_current(self) -> None:
        """Work only for what the user sees: history reads and chart drawing wait for their tab."""
        tab = self.tabs.currentWidget()
        if not self.isVisible() or len(self._runs) < 2 or tab is self.differences:
            return
        if tab is self.curves:
            if self._histories.forget(self._runs):
                self._histories_changed()
            if self._histories.plan(self._runs):
                self._reader.request()  # long histories are read on a worker thread
            else:
                self._curves_read = True
        self._draw_current()

    @property
    def busy(self) -> bool:
        return self._reader.busy

    def _read_histories(self):
        store, runs = self._store, self._runs
        plan = self._histories.plan(runs)
        if not plan:
            return None
        return lambda: (runs, compare.Histories.read(store, plan))

    def _histories_read(self, result) -> None:
        runs, read = result
        if runs != self._runs:
            self._reader.request()  # the selection changed meanwhile: read for the new one
            return
        first = not self._curves_read
        self._curves_read = True
        if self._histories.merge(read) or first:
            self._histories_changed()
            self._draw_current()

    def _histories_changed(self) -> None:
        self._overlaid = self._histories.overlaid()
        # Start on the curve the most runs have; ties go to the first key.
        widest = max(self._overlaid, key=lambda k: len(self._overlaid[k]), default=None)
        self.curve_key.set_keys(list(self._overlaid), widest)
        self.curves.dirty = True

    def _draw_current(self) -> None:
        tab = self.tabs.currentWidget()
        if not self.isVisible() or len(self._runs) < 2 or tab is self.differences:
            return
        if not tab.dirty:
            return
        if tab is self.curves and not self._curves_read:
            tab.say("Reading the runs' histories…")  # drawn when the first read is in
            return
        if not charts.ready():  # pyqtgraph still loading on its thread: try again shortly
            tab.say("Loading charts…")
            QTimer.singleShot(100, self, self._draw_current)
            return
        tab.dirty = False
        if tab is self.curves:
            self.curve_chart.draw(tab, self._runs, self._overlaid, self.curve_key.currentData())
        elif tab is self.parallel:
            only = self.only_differing_axes.isChecked()
            self.parallel_chart.draw(tab, self._runs, self.colour_by.currentData(), only)
        else:
            x, y = self.scatter_x.currentData(), self.scatter_y.currentData()
            self.scatter_chart.draw(tab, self._runs, x, y)

    # -- choices

    def _fill_choices(self) -> None:
        """Offer the keys that two or more runs have, starting on one most of the runs have:
        one that only a model family logs or takes leaves the rest grey or off the chart."""
        shared = compare.chart_keys(self._runs, only_differing=False)
        metrics = [k for k in shared if k.startswith(compare.METRIC)]
        y = compare.most_shared(self._runs, metrics)
        x = next((k for k in compare.chart_keys(self._runs) if k != y), None)
        self.colour_by.set_keys(metrics, y)
        self.scatter_x.set_keys(shared, x or next((k for k in shared if k != y), None))
        self.scatter_y.set_keys(metrics, y)

    # -- differences

    def _fill_table(self) -> None:
        rows = compare.diff_rows(self._runs)
        self.table.setRowCount(len(rows))
        self.table.setColumnCount(len(self._runs) + 1)
        self.table.setHorizontalHeaderLabels(["", *(r.label for r in self._runs)])
        bold = QFont(self.table.font())
        bold.setBold(True)
        for r, row in enumerate(rows):
            for c, text in enumerate((row.name, *row.values)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.differs)
                if len(text) > 40:
                    item.setToolTip(text)
                if row.differs:
                    item.setBackground(DIFFERS_BACKGROUND)
                    if c == 0:
                        item.setFont(bold)
                self.table.setItem(r, c, item)
        self._hide_same_rows()

    def _hide_same_rows(self) -> None:
        only = self.only_differences.isChecked()
        for r in range(self.table.rowCount()):
            self.table.setRowHidden(
                r, only and not self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
            )

    def differing_rows(self) -> list[str]:
        """Names of the highlighted rows (for tests and accessibility)."""
        return [
            self.table.item(r, 0).text()
            for r in range(self.table.rowCount())
            if self.table.item(r, 0).background().color() == DIFFERS_BACKGROUND
        ]
