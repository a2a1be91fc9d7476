"""A run's training curves (per-step losses and metrics), updated live from new rows only."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QWidget

from modelyard.gui import tasks


class MetricCurves(QWidget):
    """Two charts — losses, and every other stepped metric — for the selected run.

    Rows are read on a worker thread, only those newer than the last one seen, so a run that
    logs every step is followed within a store tick or two and a history of a million points
    never freezes the window; pyqtgraph downsamples and clips long curves to the visible range.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, object] = {}
        self.curves: dict[str, object] = {}
        self.points: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._run_id: int | None = None
        self._store = None
        self._last_id = 0
        self._reader = tasks.Latest(self._read, self._add)
        self.hide()

    @property
    def busy(self) -> bool:
        """A read is under way (tests wait for it to settle)."""
        return self._reader.busy

    def show_run(self, store, run) -> None:
        if run is None or store is None:
            self._run_id = None
            self.hide()
            return
        if run.id != self._run_id:
            self._run_id, self._store, self._last_id, self.points = run.id, store, 0, {}
            for key, curve in self.curves.items():  # and their legend entries
                self.plots[_group(key)].removeItem(curve)
            self.curves = {}
            self.hide()
        self._reader.request()

    def _read(self):
        from modelyard.tracking.runs import metric_arrays

        if self._run_id is None:
            return None
        store, run_id, after = self._store, self._run_id, self._last_id
        return lambda: (run_id, after, metric_arrays(store, run_id, after))

    def _add(self, result) -> None:
        run_id, after, (arrays, last) = result
        if run_id != self._run_id or after != self._last_id:
            return  # an answer for an earlier selection
        self._last_id = last
        for key, (steps, values) in arrays.items():
            if key in self.points:
                old_steps, old_values = self.points[key]
                steps = np.concatenate([old_steps, steps])
                values = np.concatenate([old_values, values])
            self.points[key] = (steps, values)
        if not any(len(v[0]) > 1 for v in self.points.values()):
            self.hide()
            return
        from modelyard.gui.charts import ready

        if not ready():  # draw once pyqtgraph is loaded, without freezing the window
            QTimer.singleShot(200, self, lambda: self._draw(run_id))
            return
        self._draw(run_id)

    def _draw(self, run_id: int) -> None:
        from modelyard.gui.charts import add_line, make_plot, set_curve

        if run_id != self._run_id:
            return
        if not self.plots:
            for name, label in (("loss", "Loss per step"), ("other", "Metrics per step")):
                plot = make_plot(label, "value")
                plot.setLabel("bottom", "step")
                plot.setMouseEnabled(x=True, y=True)  # pan and zoom long histories
                plot.setDownsampling(auto=True, mode="peak")
                plot.setClipToView(True)
                self.plots[name] = plot
                self._layout.addWidget(plot)
        for key, (steps, values) in self.points.items():
            if len(steps) < 2:
                continue
            if key not in self.curves:
                self.curves[key] = add_line(self.plots[_group(key)], key, len(self.curves))
            set_curve(self.curves[key], steps, values, list(self.curves).index(key))
        drawn = {_group(key) for key in self.curves}
        for name, plot in self.plots.items():
            plot.setVisible(name in drawn)
        self.show()

    def series_arrays(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        return self.points.get(key, (np.empty(0, dtype=np.int64), np.empty(0)))

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """What a curve shows (for tests)."""
        steps, values = self.points.get(key, (np.empty(0), np.empty(0)))
        return [int(s) for s in steps], [float(v) for v in values]


def _group(key: str) -> str:
    return "loss" if "loss" in key else "other"
