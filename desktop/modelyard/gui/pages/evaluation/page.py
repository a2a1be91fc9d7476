"""Evaluation page: a model version on its holdout or another dataset, optionally against a
champion, with curves, tables and a Promote action. The work runs off the GUI thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from modelyard.gui import tasks
from modelyard.gui.pages.base import Page
from modelyard.gui.widgets import fill_table, make_table

if TYPE_CHECKING:
    from modelyard.store.entities import ModelVersion

HOLDOUT = "The run's holdout (re-created from its seed)"


NOT_YET = (
    "Choose the data to evaluate on (and a champion to compare with, if you like), then press "
    "Evaluate: metrics, per-class scores, curves, feature importance and the worst "
    "predictions appear in the tabs below."
)


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


class EvaluationPage(Page):
    title = "Evaluation"
    empty_title = "Nothing to evaluate yet"
    empty_hint = (
        "Register a model on the Runs page first; then pick a version here (or press Evaluate… on\n"
        "the Models page) to measure it on its holdout or on any dataset with the same columns."
    )

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.clicked.connect(self.start_evaluation)
        self.promote_button = QPushButton("Promote challenger to production")
        self.promote_button.clicked.connect(self.promote)
        self.promote_button.setEnabled(False)
        self.actions_layout.addWidget(self.evaluate_button)
        self.actions_layout.addWidget(self.promote_button)
        self.version_box = QComboBox()
        self.data_box = QComboBox()
        self.champion_box = QComboBox()
        form = QFormLayout()
        form.addRow("Model version", self.version_box)
        form.addRow("Evaluate on", self.data_box)
        form.addRow("Compare with (champion)", self.champion_box)
        self.slice_edit = QLineEdit()
        self.slice_edit.setPlaceholderText(
            "columns to slice by, e.g. contract, senior (any column of the rows; optional)"
        )
        form.addRow("Slice by", self.slice_edit)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setObjectName("verdict")
        self.tabs = QTabWidget()
        self.metrics_table = make_table(("Metric", "Value"))
        self.class_table = make_table(("Class", "Precision", "Recall", "F1", "Support"))
        self.confusion_table = make_table(("Actual \\ predicted",))
        per_class = QWidget()
        per_class_layout = QVBoxLayout(per_class)
        per_class_layout.addWidget(self.class_table)
        per_class_layout.addWidget(QLabel("Confusion matrix (rows: actual, columns: predicted)"))
        per_class_layout.addWidget(self.confusion_table)
        self.worst_table = make_table(("Row",))
        self.importance_table = make_table(("Feature", "Importance", "± std"))
        self.importance_note = QLabel()
        self.importance_note.setWordWrap(True)
        importance = QWidget()
        importance_layout = QVBoxLayout(importance)
        importance_layout.addWidget(self.importance_note)
        importance_layout.addWidget(self.importance_table, 1)
        self.charts = QWidget()
        self.charts_layout = QVBoxLayout(self.charts)
        self.plots: dict[str, Any] = {}
        self.tabs.addTab(self.metrics_table, "Metrics")
        self.tabs.addTab(per_class, "Per class")
        self.tabs.addTab(self.charts, "Curves")
        self.tabs.addTab(importance, "Feature importance")
        worst = QWidget()
        worst_layout = QVBoxLayout(worst)
        self.explain_button = QPushButton("Explain selected prediction")
        self.explain_button.clicked.connect(self.explain_selected)
        self.row_explanation = QLabel(
            "Select a row and press Explain to see how each column moved its prediction (SHAP)."
        )
        self.row_explanation.setWordWrap(True)
        self.row_explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        worst_layout.addWidget(self.worst_table, 1)
        worst_layout.addWidget(self.explain_button)
        worst_layout.addWidget(self.row_explanation)
        self.tabs.addTab(worst, "Worst predictions")
        self.shap_note = QLabel("SHAP values appear here after an evaluation.")
        self.shap_note.setWordWrap(True)
        self.shap_table = make_table(("Feature", "Mean |SHAP|"))
        self.shap_box = QWidget()
        self.shap_layout = QVBoxLayout(self.shap_box)
        self.shap_layout.addWidget(self.shap_note)
        self.shap_layout.addWidget(self.shap_table, 1)
        self.beeswarm = None
        self.tabs.addTab(self.shap_box, "Explanations")
        self.slice_table = make_table(("Column", "Group", "Rows"))
        self.slice_note = QLabel("Name columns in Slice by to score every group of them.")
        self.slice_note.setWordWrap(True)
        sliced = QWidget()
        sliced_layout = QVBoxLayout(sliced)
        sliced_layout.addWidget(self.slice_note)
        sliced_layout.addWidget(self.slice_table, 1)
        self.tabs.addTab(sliced, "Slices")
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addLayout(form)
        layout.addWidget(self.verdict)
        layout.addWidget(self.tabs, 1)
        self.set_content(content)
        self._versions: list[ModelVersion] = []
        self._wanted: int | None = None
        self.task: tasks.Task | None = None
        self.result: Any = None
        self.single_explanation: Any = None
        self.explain_task: tasks.Task | None = None
        self.beeswarm_points = 0
        self.partial: Any = None  # the sections computed so far, shown while the rest runs
        self._shown_partial: Any = None
        self.parts_shown: list[str] = []  # sections in the order they reached the page

    # ---- choices ------------------------------------------------------------------------
    def load(self) -> None:
        from modelyard.datasets.service import list_datasets
        from modelyard.registry.service import list_models

        self._versions = [v for m in list_models(self.store) for v in reversed(m.versions)]
        wanted = self._wanted if self._wanted is not None else self.version_box.currentData()
        champion = self.champion_box.currentData()
        data = self.data_box.currentData()
        self.version_box.clear()
        self.champion_box.clear()
        self.champion_box.addItem("No comparison", None)
        for v in self._versions:
            self.version_box.addItem(v.label, v.id)
            self.champion_box.addItem(v.label, v.id)
        self.data_box.clear()
        self.data_box.addItem(HOLDOUT, None)
        for dataset in list_datasets(self.store):
            for dv in reversed(dataset.versions):
                self.data_box.addItem(dv.label, dv.label)
        for box, value in (
            (self.version_box, wanted),
            (self.champion_box, champion),
            (self.data_box, data),
        ):
            index = box.findData(value)
            if index >= 0:
                box.setCurrentIndex(index)
        self._wanted = None
        if self.result is None and self.task is None:
            self.verdict.setText(NOT_YET)
        self.show_empty(not self._versions)

    def select_version(self, version: ModelVersion, champion: ModelVersion | None = None) -> None:
        self._wanted = version.id
        self.refresh()
        if champion is not None:
            self.champion_box.setCurrentIndex(self.champion_box.findData(champion.id))

    def _version(self, version_id) -> ModelVersion | None:
        return next((v for v in self._versions if v.id == version_id), None)

    # ---- work ---------------------------------------------------------------------------
    def start_evaluation(self) -> None:
        version = self._version(self.version_box.currentData())
        if version is None or self.task is not None:
            return
        champion = self._version(self.champion_box.currentData())
        dataset = self.data_box.currentData()
        by = tuple(c.strip() for c in self.slice_edit.text().split(",") if c.strip())
        store = self.store
        self.partial = self._shown_partial = None
        self.parts_shown = []

        def keep(section, result):  # on the worker thread: a snapshot the GUI thread can read
            import copy

            self.partial = (section, copy.copy(result))

        def work(progress):
            if champion is not None:
                from modelyard.registry.comparison import compare

                return compare(store, champion, version, dataset, progress)
            from modelyard.registry.evaluation import evaluate

            return evaluate(store, version, dataset, progress, on_part=keep, by=by, save=True)

        self.evaluate_button.setEnabled(False)
        self.promote_button.setEnabled(False)
        self.verdict.setText(f"Evaluating {version.label}…")
        self.task = tasks.start(
            work,
            on_success=self.show_result,
            on_failure=self._failed,
            on_progress=self._progressed,
            on_finished=self._finished,
        )

    def _progressed(self, _fraction: float, message: str) -> None:
        self.verdict.setText(message + "…")
        partial = self.partial
        if partial is not None and partial is not self._shown_partial:
            self._shown_partial = partial
            section, result = partial
            self.parts_shown.append(section)
            self._show_single(result)
            self.verdict.setText(message + "… (the rest follows)")

    def _failed(self, message: str) -> None:
        self.verdict.setText("")
        self.message.emit(message, True)

    def _finished(self) -> None:
        self.task = None
        self.evaluate_button.setEnabled(True)

    def promote(self) -> None:
        from modelyard.errors import ModelyardError
        from modelyard.registry.aliases import PRODUCTION, set_alias

        comparison = self.result
        if comparison is None or not hasattr(comparison, "challenger"):
            return
        version = comparison.challenger.version
        try:
            change = set_alias(self.store, version.model_name, PRODUCTION, version.version)
        except ModelyardError as exc:
            self.message.emit(str(exc), True)
            return
        self.message.emit(change.describe(), False)

    # ---- showing ------------------------------------------------------------------------
    def show_result(self, result) -> None:
        self.result = result
        if hasattr(result, "challenger"):
            main = result.challenger
            rows = [(name, _fmt(a), _fmt(b)) for name, a, b in result.rows()]
            self.metrics_table.setColumnCount(3)
            self.metrics_table.setHorizontalHeaderLabels(
                [
                    "Metric",
                    f"Champion {result.champion.version.label}",
                    f"Challenger {main.version.label}",
                ]
            )
            self.verdict.setText(result.verdict)
            self.promote_button.setEnabled(
                result.champion.version.model_name == main.version.model_name
            )
        else:
            self._show_single(result)
            self.parts_shown.append("all")
            self.verdict.setText(
                f"{result.version.label} on {result.data_label}: {result.n_rows:,} rows."
                + (f" {result.intervals_note}." if result.intervals_note else "")
            )
            return
        fill_table(self.metrics_table, rows, [r[0] for r in rows], select_first=False)
        self._show_tables(main)
        self._show_charts(main)

    def _show_single(self, result) -> None:
        """One evaluation (complete or as far as it got): metrics with their intervals."""
        intervals = result.intervals
        rows = [
            (
                name,
                _fmt(value),
                f"{intervals[name][0]:.4g} – {intervals[name][1]:.4g}" if name in intervals else "",
            )
            for name, value in result.metrics.items()
        ]
        self.metrics_table.setColumnCount(3)
        self.metrics_table.setHorizontalHeaderLabels(["Metric", "Value", "95% interval"])
        fill_table(self.metrics_table, rows, [r[0] for r in rows], select_first=False)
        self._show_tables(result)
        self._show_charts(result)

    def _show_tables(self, result) -> None:
        rows = [
            (r["class"], _fmt(r["precision"]), _fmt(r["recall"]), _fmt(r["f1"]), r["support"])
            for r in result.per_class
        ]
        fill_table(self.class_table, rows, list(range(len(rows))), select_first=False)
        labels = [str(c) for c in result.classes]
        self.confusion_table.setColumnCount(len(labels) + 1)
        self.confusion_table.setHorizontalHeaderLabels(["Actual \\ predicted", *labels])
        rows = [(c, *row) for c, row in zip(labels, result.confusion, strict=True)]
        fill_table(self.confusion_table, rows, list(range(len(rows))), select_first=False)
        rows = [(n, _fmt(m), _fmt(s)) for n, m, s in result.importance]
        fill_table(self.importance_table, rows, list(range(len(rows))), select_first=False)
        self.importance_note.setText(
            result.importance_note or ("Computing…" if self.task is not None else "")
        )
        keys = list(result.worst[0]) if result.worst else ["row"]
        self.worst_table.setColumnCount(len(keys))
        self.worst_table.setHorizontalHeaderLabels(keys)
        rows = [[w.get(k) for k in keys] for w in result.worst]
        fill_table(self.worst_table, rows, list(range(len(rows))), select_first=False)
        self._show_slices(result)
        self._show_explanations(result)

    def _show_explanations(self, result) -> None:
        shap = result.explanations
        if not shap.get("mean_abs"):
            self.shap_note.setText(
                shap.get("note")
                or ("Computing SHAP values…" if self.task is not None else "No explanations.")
            )
            fill_table(self.shap_table, [], [])
            return
        self.shap_note.setText(
            f"{shap['method']} explains the {shap['output']} (expected {shap['expected']:.4g}): "
            f"{shap['rows']:,} of {shap['of_rows']:,} rows in {shap['seconds']:.2f} s. Each dot "
            "is a row: left lowers the output, right raises it; red is a high value of the "
            "column, blue a low one."
        )
        rows = [(n, _fmt(v)) for n, v in shap["mean_abs"]]
        fill_table(self.shap_table, rows, list(range(len(rows))), select_first=False)
        self._draw_beeswarm(shap["beeswarm"])

    def _draw_beeswarm(self, swarm) -> None:
        import numpy as np
        import pyqtgraph as pg

        if self.beeswarm is None:
            self.beeswarm = pg.PlotWidget(background="w")
            self.beeswarm.setMinimumHeight(220)
            self.beeswarm.showGrid(x=True, alpha=0.3)
            self.beeswarm.setLabel("bottom", "SHAP value")
            self.beeswarm.getAxis("bottom").enableAutoSIPrefix(False)
            self.beeswarm.getAxis("left").setWidth(130)
            self.shap_layout.insertWidget(1, self.beeswarm, 2)
        plot = self.beeswarm
        plot.clear()
        plot.addLine(x=0, pen=pg.mkPen("#999"))
        rng = np.random.default_rng(0)
        spots = []
        for level, feature in enumerate(reversed(swarm)):
            for value, scaled in zip(feature["shap"], feature["value"], strict=True):
                colour = pg.mkColor(int(255 * scaled), 60, int(255 * (1 - scaled)))
                y = level + float(rng.uniform(-0.3, 0.3))
                spots.append({"pos": (value, y), "brush": colour, "pen": None, "size": 5})
        plot.addItem(pg.ScatterPlotItem(spots=spots))
        plot.getAxis("left").setTicks(
            [[(i, f["column"]) for i, f in enumerate(reversed(swarm))], []]
        )
        plot.setYRange(-0.6, len(swarm) - 0.4, padding=0)
        self.beeswarm_points = len(spots)

    def explain_selected(self) -> None:
        from modelyard.gui.widgets import selected_key

        result = self.result if self.result is not None else None
        if result is None or hasattr(result, "challenger") or not result.worst:
            self.row_explanation.setText("Evaluate a version (without a champion) first.")
            return
        key = selected_key(self.worst_table)
        index = 0 if key is None else int(key)
        row = result.worst[index]["row"]
        store = self.store

        def work(_progress):
            from modelyard.registry.evaluation import explain_prediction

            return explain_prediction(store, result, row)

        def show(single) -> None:
            from modelyard.registry.explain import explanation_text

            self.single_explanation = single
            self.row_explanation.setText(f"Row {row}: " + explanation_text(single))

        self.row_explanation.setText(f"Explaining row {row}…")
        self.explain_task = tasks.start(
            work,
            on_success=show,
            on_failure=self.row_explanation.setText,
            on_finished=lambda: setattr(self, "explain_task", None),
        )

    def _show_slices(self, result) -> None:
        from modelyard.cli.evaluate_cmd import slice_lines

        sliced = result.slices
        metrics = list(dict.fromkeys(k for t in sliced for g in t["groups"] for k in g["metrics"]))
        self.slice_table.setColumnCount(3 + len(metrics))
        self.slice_table.setHorizontalHeaderLabels(["Column", "Group", "Rows", *metrics])
        rows = [
            (t["column"], g["group"], f"{g['rows']:,}" + (" (small)" if g["small"] else ""),
             *(_fmt(g["metrics"].get(m)) for m in metrics))
            for t in sliced
            for g in t["groups"]
        ]  # fmt: skip
        fill_table(self.slice_table, rows, list(range(len(rows))), select_first=False)
        notes = [line for t in sliced for line in slice_lines(t)[2:]]
        self.slice_note.setText(
            "\n".join(notes) if sliced else "Name columns in Slice by to score every group of them."
        )

    def _plot(self, key: str, title: str, x_label: str, y_label: str):
        import pyqtgraph as pg

        plot = self.plots.get(key)
        if plot is None:
            plot = pg.PlotWidget(background="w")
            plot.showGrid(x=True, y=True, alpha=0.3)
            plot.addLegend()
            self.charts_layout.addWidget(plot)
            self.plots[key] = plot
        plot.clear()
        plot.setTitle(title)
        plot.setLabel("bottom", x_label)
        plot.setLabel("left", y_label)
        plot.setVisible(True)
        return plot

    def _show_charts(self, result) -> None:
        import pyqtgraph as pg

        for plot in self.plots.values():
            plot.setVisible(False)
        colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
        if result.task == "classification":
            roc = self._plot("roc", "ROC curve", "false positive rate", "true positive rate")
            roc.plot([0, 1], [0, 1], pen=pg.mkPen("#999", style=pg.QtCore.Qt.PenStyle.DashLine))
            for i, (label, (xs, ys)) in enumerate(result.roc.items()):
                roc.plot(xs, ys, pen=pg.mkPen(colours[i % 6], width=2), name=f"class {label}")
            pr = self._plot("pr", "Precision–recall curve", "recall", "precision")
            for i, (label, (xs, ys)) in enumerate(result.pr.items()):
                pr.plot(xs, ys, pen=pg.mkPen(colours[i % 6], width=2), name=f"class {label}")
        else:
            plot = self._plot("residuals", "Residuals", "predicted", "actual − predicted")
            predicted, residual = result.residuals
            plot.plot(
                predicted, residual, pen=None, symbol="o", symbolSize=4, symbolBrush=colours[0]
            )
            plot.addLine(y=0, pen=pg.mkPen("#999"))
