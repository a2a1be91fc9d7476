"""A run's training curves (per-epoch losses and metrics), updated live from new rows only."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QWidget


class MetricCurves(QWidget):
    """Two charts — losses, and every other stepped metric — for the selected run.

    Each refresh asks the store only for rows newer than the last one seen, so a run that logs
    every epoch is followed within one store tick (~0.4 s); long histories are downsampled and
    clipped to the visible range by pyqtgraph.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, object] = {}
        self.curves: dict[str, object] = {}
        self.points: dict[str, tuple[list[int], list[float]]] = {}
        self._run_id: int | None = None
        self._last_id = 0
        self.hide()

    def show_run(self, store, run) -> None:
        if run is None or store is None:
            self._run_id = None
            self.hide()
            return
        from modelyard.gui.charts import ready
        from modelyard.tracking.runs import metric_history

        if run.id != self._run_id:
            self._run_id, self._last_id, self.points = run.id, 0, {}
            for curve in self.curves.values():
                curve.setData([], [])
        rows, last = metric_history(store, run.id, self._last_id)
        for key, step, value in rows:
            steps, values = self.points.setdefault(key, ([], []))
            steps.append(step)
            values.append(value)
        self._last_id = last
        stepped = {k: v for k, v in self.points.items() if len(v[0]) > 1}
        if not stepped:
            self.hide()
            return
        if not ready():  # draw once pyqtgraph is loaded, without freezing the window
            QTimer.singleShot(200, self, lambda: self._draw(stepped))
            return
        self._draw(stepped)

    def _draw(self, stepped: dict[str, tuple[list[int], list[float]]]) -> None:
        from modelyard.gui.charts import add_line, make_plot

        if not self.plots:
            for name, label in (("loss", "Loss per epoch"), ("other", "Metrics per epoch")):
                plot = make_plot(label, "value")
                plot.setLabel("bottom", "epoch")
                plot.setMouseEnabled(x=True, y=True)  # pan and zoom long histories
                plot.setDownsampling(auto=True, mode="peak")
                plot.setClipToView(True)
                self.plots[name] = plot
                self._layout.addWidget(plot)
        for key, (steps, values) in stepped.items():
            if key not in self.curves:
                group = "loss" if "loss" in key else "other"
                self.curves[key] = add_line(self.plots[group], key, len(self.curves))
            self.curves[key].setData(steps, values)
        self.show()

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """What a curve shows (for tests)."""
        return self.points.get(key, ([], []))
