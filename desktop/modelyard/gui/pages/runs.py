"""Runs page: every run with its live status and metrics, and what to do with a finished one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
)

from modelyard.cli.format import compare_text, metrics_text, run_detail
from modelyard.gui.pages.base import Page
from modelyard.gui.run_system_panel import RunSystemPanel
from modelyard.gui.widgets import fill_table, make_table

if TYPE_CHECKING:
    from modelyard.store.entities import Run

STATUS_COLOURS = {
    "finished": "#2e7d32",
    "failed": "#c62828",
    "running": "#1565c0",
    "cancelled": "#757575",
}


class RunsPage(Page):
    title = "Runs"
    empty_title = "No runs yet"
    empty_hint = (
        "Pick a dataset on the Datasets page and press New run… to train a model.\n"
        "Runs started from the command line (`modelyard train …`) appear here too."
    )
    new_run_requested = Signal()
    register_requested = Signal(object)  # Run
    cancel_requested = Signal(object)  # Run
    rerun_requested = Signal(object)  # Run
    ALL = "All experiments"

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.new_button = QPushButton("New run…")
        self.new_button.clicked.connect(self.new_run_requested)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(lambda: self._emit_for_selected(self.cancel_requested))
        self.register_button = QPushButton("Register model…")
        self.register_button.clicked.connect(
            lambda: self._emit_for_selected(self.register_requested)
        )
        self.rerun_button = QPushButton("Re-run")
        self.rerun_button.setToolTip(
            "Train again from this run's record: same data, model, params, seed"
        )
        self.rerun_button.clicked.connect(lambda: self._emit_for_selected(self.rerun_requested))
        self.experiment_box = QComboBox()
        self.experiment_box.addItem(self.ALL)
        self.experiment_box.currentTextChanged.connect(
            lambda _t: self.load() if self.store else None
        )
        self.actions_layout.addWidget(QLabel("Experiment:"))
        self.actions_layout.addWidget(self.experiment_box)
        for button in (self.new_button, self.stop_button, self.rerun_button, self.register_button):
            self.actions_layout.addWidget(button)
        self.table = make_table(
            (
                "Run",
                "Status",
                "Experiment",
                "Name",
                "Dataset",
                "Target",
                "Model",
                "Metrics",
                "Duration",
            )
        )
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setToolTip("Select two or more runs (Ctrl or Shift) to compare them")
        self.table.itemSelectionChanged.connect(self._show_detail)
        self.detail = QPlainTextEdit(readOnly=True)
        self.detail.setFont(QFont("monospace"))
        self.system_panel = RunSystemPanel()
        from modelyard.gui.metric_curves import MetricCurves

        self.curves = MetricCurves()
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.detail)
        left.addWidget(self.curves)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(left)
        lower.addWidget(self.system_panel)
        lower.setSizes([420, 560])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setSizes([350, 250])
        self.set_content(splitter)
        self._runs: dict[int, Run] = {}
        self._show_detail()

    def load(self) -> None:
        from modelyard.tracking.experiments import list_experiments
        from modelyard.tracking.runs import list_runs

        self._fill_experiments([e.name for e in list_experiments(self.store)])
        chosen = self.experiment_box.currentText()
        experiment = None if chosen == self.ALL else chosen
        runs = list_runs(self.store, limit=2000, experiment=experiment)
        self._runs = {r.id: r for r in runs}
        rows = [
            (
                r.id,
                r.status,
                r.experiment,
                r.name or "",
                r.dataset.label,
                r.target,
                r.model_kind,
                metrics_text(r.metrics),
                f"{r.duration_s:.1f} s" if r.duration_s is not None else "",
            )
            for r in runs
        ]
        fill_table(self.table, rows, [r.id for r in runs])
        for row, run in enumerate(runs):
            self.table.item(row, 1).setForeground(QColor(STATUS_COLOURS.get(run.status, "#444")))
        self.show_empty(not runs)
        self._show_detail()

    def _fill_experiments(self, names: list[str]) -> None:
        current = [self.experiment_box.itemText(i) for i in range(1, self.experiment_box.count())]
        if current == names:
            return
        chosen = self.experiment_box.currentText()
        self.experiment_box.blockSignals(True)
        self.experiment_box.clear()
        self.experiment_box.addItems([self.ALL, *names])
        self.experiment_box.setCurrentText(chosen if chosen in names else self.ALL)
        self.experiment_box.blockSignals(False)

    def selected_runs(self) -> list[Run]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        keys = [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows]
        return [self._runs[k] for k in keys if k in self._runs]

    def selected_run(self) -> Run | None:
        """The one selected run; None when none or several are selected."""
        chosen = self.selected_runs()
        return chosen[0] if len(chosen) == 1 else None

    def select_run(self, run_id: int) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == run_id:
                self.table.selectRow(row)
                return

    def _emit_for_selected(self, signal) -> None:
        run = self.selected_run()
        if run is not None:
            signal.emit(run)

    def _show_detail(self) -> None:
        run = self.selected_run()
        several = self.selected_runs() if run is None else []
        self.register_button.setEnabled(run is not None and run.status == "finished")
        self.stop_button.setEnabled(run is not None and not run.is_terminal)
        self.rerun_button.setEnabled(run is not None)
        if run is not None:
            text = run_detail(run)
        elif len(several) > 1:
            text = compare_text(several)
        else:
            text = "Select a run to see its parameters, metrics and errors; select several to compare them."
        if self.detail.toPlainText() != text:
            self.detail.setPlainText(text)
        self.system_panel.show_run(self.store, run)
        self.curves.show_run(self.store, run)
