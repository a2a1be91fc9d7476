"""Beside a run's detail: its energy, cost and CO2 with methods, and a chart of its system metrics."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from modelyard.gui import tasks

CHARTED = (
    ("system/cpu_percent", "CPU % of a core"),
    ("system/memory_mb", "memory MB"),
    ("system/power_w", "power W"),
)


class RunSystemPanel(QWidget):
    """What the run's worker used (sampled once a second) and what it cost, read off the GUI
    thread: a long run has thousands of samples."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel("Select a run to see what it used and cost.")
        self.summary.setFont(QFont("monospace"))
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self._layout = layout
        self.plot = None
        self.curves: dict[str, object] = {}
        self._shown: tuple[int, int] | None = None
        self._run_id: int | None = None
        self._store = None
        self._reader = tasks.Latest(self._read, self._apply)

    @property
    def busy(self) -> bool:
        return self._reader.busy

    def show_run(self, store, run) -> None:
        if run is None or store is None:
            self.summary.setText("Select a run to see what it used and cost.")
            self._shown = self._run_id = None
            if self.plot is not None:
                self.plot.hide()
            return
        self._run_id, self._store = run.id, store
        self._reader.request()

    def _read(self):
        from modelyard.telemetry.accounting import get_run_cost, system_series

        if self._run_id is None:
            return None
        store, run_id = self._store, self._run_id
        return lambda: (run_id, system_series(store, run_id), get_run_cost(store, run_id))

    def _apply(self, result) -> None:
        run_id, series, cost = result
        if run_id != self._run_id:
            return
        key = (run_id, sum(len(v) for v in series.values()) + (cost is not None))
        if key == self._shown:
            return  # nothing new: skip the redraw
        if cost is not None:
            self.summary.setText("\n".join(cost.describe()))
        elif series:
            energy = series.get("system/energy_wh", [(0, 0.0)])[-1][1]
            self.summary.setText(
                f"energy so far {energy:.4g} Wh (cost is recorded when the run ends)"
            )
        else:
            self.summary.setText("No system metrics for this run.")
        if not series:
            self._shown = key
            if self.plot is not None:
                self.plot.hide()
            return
        from modelyard.gui.charts import ready

        if not ready():  # try again once pyqtgraph is loaded, without freezing the window
            QTimer.singleShot(200, self, lambda: self._apply(result))
            return
        self._shown = key
        self._ensure_plot()
        self.plot.show()
        for key_name, _label in CHARTED:
            points = series.get(key_name, [])
            start = points[0][0] if points else 0.0
            self.curves[key_name].setData([t - start for t, _ in points], [v for _, v in points])

    def _ensure_plot(self) -> None:
        if self.plot is not None:
            return
        from modelyard.gui.charts import add_line, make_plot

        self.plot = make_plot("System metrics", "value")
        self.plot.setLabel("bottom", "seconds since start")
        self.plot.setMouseEnabled(x=True, y=True)
        self.plot.setMinimumHeight(160)
        for i, (key_name, label) in enumerate(CHARTED):
            self.curves[key_name] = add_line(self.plot, label, i)
        self._layout.addWidget(self.plot, 1)
