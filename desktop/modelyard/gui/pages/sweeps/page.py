"""Sweeps page: every sweep, its trials, the best one, and the optimisation history."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from modelyard.gui.pages.base import Page
from modelyard.gui.widgets import fill_table, make_table, select_row, selected_key


class SweepsPage(Page):
    title = "Sweeps"
    empty_title = "No sweeps yet"
    empty_hint = (
        "Press New sweep… to let Optuna search a model's hyperparameters (or every model family\n"
        "with auto); each trial trains as a run in its own worker. From the command line:\n"
        "`modelyard sweep --dataset NAME --target COLUMN --model KIND --trials 20`."
    )
    new_sweep_requested = Signal()

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.new_button = QPushButton("New sweep…")
        self.new_button.clicked.connect(self.new_sweep_requested)
        self.cancel_button = QPushButton("Cancel sweep")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.actions_layout.addWidget(self.new_button)
        self.actions_layout.addWidget(self.cancel_button)
        self.table = make_table(
            ("Sweep", "Status", "Dataset", "Target", "Models", "Sampler", "Trials", "Experiment")
        )
        self.table.itemSelectionChanged.connect(self._show_detail)
        self.best = QLabel()
        self.best.setWordWrap(True)
        self.trials = make_table(
            ("Trial", "Run", "Status", "Model", "Params", "CV (selects)", "Holdout")
        )
        self.chart_box = QWidget()
        self._chart_layout = QVBoxLayout(self.chart_box)
        self._chart_layout.setContentsMargins(0, 0, 0, 0)
        self.plot = None
        lower = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.best)
        left_layout.addWidget(self.trials, 1)
        lower.addWidget(left)
        lower.addWidget(self.chart_box)
        lower.setSizes([560, 420])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setSizes([200, 400])
        self.set_content(splitter)
        self._sweeps: dict[int, object] = {}
        self._show_detail()

    def load(self) -> None:
        from modelyard.training.launcher import reap_sweeps
        from modelyard.training.sweeps import list_sweeps

        reap_sweeps(self.store)

        sweeps = list_sweeps(self.store)
        self._sweeps = {s.id: s for s in sweeps}
        rows = [
            (
                s.id,
                s.status,
                s.dataset,
                s.target,
                s.models_text,
                s.sampler,
                s.n_trials,
                s.experiment,
            )
            for s in sweeps
        ]
        fill_table(self.table, rows, [s.id for s in sweeps])
        self.show_empty(not sweeps)
        self._show_detail()

    def selected_sweep(self):
        key = selected_key(self.table)
        return self._sweeps.get(key) if key is not None else None

    def select_sweep(self, sweep_id: int) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == sweep_id:
                select_row(self.table, row)
                return

    def cancel_selected(self) -> None:
        from modelyard.training.launcher import cancel_sweep

        sweep = self.selected_sweep()
        if sweep is not None and cancel_sweep(self.store, sweep.id):
            self.message.emit(f"Sweep {sweep.id} cancelled.", False)
            self.refresh()

    def _show_detail(self) -> None:
        sweep = self.selected_sweep()
        self.cancel_button.setEnabled(sweep is not None and sweep.status in ("queued", "running"))
        if sweep is None or self.store is None:
            self.best.setText("Select a sweep to see its trials.")
            fill_table(self.trials, [], [])
            return
        from modelyard.cli.sweep_cmd import trial_rows
        from modelyard.training.sweeps import history, summary, trials

        runs = trials(self.store, sweep.id)
        fill_table(self.trials, trial_rows(sweep, runs), [r.id for r in runs], select_first=False)
        self.best.setText(
            f"Sweep {sweep.id} ({sweep.status}): {sweep.direction} cross-validated "
            f"{sweep.metric} (the holdout is scored once per run, never used to choose).\n"
            + "\n".join(summary(self.store, sweep))
            + (f"\n{sweep.error}" if sweep.error else "")
        )
        self._draw(history(self.store, sweep), f"CV {sweep.metric}")

    def _draw(self, points, metric: str) -> None:
        from modelyard.gui.charts import add_line, make_plot, pg, ready

        if not ready():
            QTimer.singleShot(200, self, lambda: self._draw(points, metric))
            return
        if self.plot is None:
            self.plot = make_plot("Optimisation history", metric)
            self.plot.setLabel("bottom", "trial")
            self.values = self.plot.plot(
                [], [], pen=None, symbol="o", symbolSize=7, name="trial", symbolBrush="#1565c0"
            )
            self.best_line = add_line(self.plot, "best so far", 1, width=2)
            self._chart_layout.addWidget(self.plot)
        pg()  # loaded
        self.plot.setLabel("left", metric)
        self.values.setData([p[0] for p in points], [p[1] for p in points])
        self.best_line.setData([p[0] for p in points], [p[2] for p in points])
        fit_trial_axis(self.plot, [p[0] for p in points], [p[1] for p in points])

    def axis_ranges(self) -> tuple[list[float], list[float]]:
        """The chart's visible x and y ranges (for tests)."""
        (x0, x1), (y0, y1) = self.plot.viewRange()
        return [x0, x1], [y0, y1]

    def history_shown(self) -> tuple[list, list]:
        """The best-so-far line's data (for tests)."""
        if self.plot is None:
            return [], []
        xs, ys = self.best_line.getData()
        return list(xs if xs is not None else []), list(ys if ys is not None else [])


def fit_trial_axis(plot, trials: list[int], values: list[float]) -> None:
    """Whole-trial ticks and ranges that hug the data: no half trials, no axis far past the
    metric (pyqtgraph's auto-range pads both and picks fractional ticks for a few trials)."""
    import math

    if not trials:
        return
    first, last = min(trials), max(trials)
    step = max(1, math.ceil((last - first + 1) / 10))
    plot.getAxis("bottom").setTickSpacing(major=step, minor=step)
    plot.setXRange(first - 0.5, last + 0.5, padding=0)
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if finite:
        low, high = min(finite), max(finite)
        margin = (high - low) * 0.08 or abs(high) * 0.05 or 0.05
        plot.setYRange(low - margin, high + margin, padding=0)
