"""The Monitoring page's History, Alerts and rules, and Watch tabs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from modelyard.gui.widgets import fill_table, make_table, selected_key

HISTORY_HEADERS = (
    "Time",
    "Source",
    "Data",
    "Rows",
    "Drift share",
    "Drift",
    "Drifted columns",
    "Measured",
    "Estimated",
)
RULE_HEADERS = ("Rule", "Spec", "Action")
ALERT_HEADERS = ("Alert", "Time", "Version", "Message", "Seen", "Outcome")


class HistoryPanel(QWidget):
    check_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = make_table(HISTORY_HEADERS)
        self.table.itemDoubleClicked.connect(lambda _item: self._chosen())
        self.open_button = QPushButton("Show this check")
        self.open_button.clicked.connect(self._chosen)
        self.plot = None
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(
            QLabel(
                "Drift share and the measured (or estimated) accuracy of every check, oldest first."
            )
        )
        self.layout_.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        self.layout_.addLayout(row)

    def _chosen(self) -> None:
        key = selected_key(self.table)
        if key is not None:
            self.check_chosen.emit(int(key))

    def show_history(self, checks: list) -> None:
        rows = [c.overview() for c in checks]
        fill_table(self.table, rows[::-1], [c.id for c in checks][::-1])
        self._chart(checks)

    def _chart(self, checks: list) -> None:
        from modelyard.gui import charts

        if self.plot is None:
            self.plot = charts.make_plot(
                "Over time (check 1 is the oldest)", "share / metric", legend=False
            )
            self.plot.setLabel("bottom", "check")
            self.plot.addLegend(offset=(-10, 10))  # top right, away from the first checks
            self.layout_.insertWidget(1, self.plot, 1)
        self.plot.clear()
        if not checks:
            return
        series: dict[str, list[tuple[float, float]]] = {"drift share": []}
        for n, c in enumerate(checks, start=1):
            series["drift share"].append((n, c.drift_share))
            for m in (c.report.get("performance") or {}).get("metrics") or []:
                series.setdefault(f"{m['metric']} (measured)", []).append((n, m["current"]))
            for name, value in ((c.report.get("estimated") or {}).get("metrics") or {}).items():
                series.setdefault(f"{name} (estimated)", []).append((n, value))
        graph = charts.pg()
        for i, (name, points) in enumerate(series.items()):
            xs, ys = zip(*points, strict=True)
            colour = charts.PALETTE[i % len(charts.PALETTE)]
            self.plot.plot(
                list(xs),
                list(ys),
                name=name,
                symbol="o",
                symbolSize=6,
                symbolBrush=colour,
                pen=graph.mkPen(colour, width=1.6),
            )
        self.plot.getAxis("bottom").setTicks([[(n, str(n)) for n in range(1, len(checks) + 1)]])
        self.plot.setXRange(
            0.5, len(checks) + 0.5 + max(1, len(checks) * 0.4)
        )  # room for the legend


class AlertsPanel(QWidget):
    add_rule_requested = Signal(str)
    remove_rule_requested = Signal(int)
    retrain_requested = Signal(int)  # an alert id
    acknowledge_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rules_table = make_table(RULE_HEADERS)
        self.spec = QLineEdit()
        self.spec.setPlaceholderText(
            "drift_share>=0.3 · column=age · drop>=0.05 · estimated:accuracy<0.8   [,action=retrain|promote] [,data=merge]"
        )
        add = QPushButton("Add rule")
        add.clicked.connect(lambda: self.add_rule_requested.emit(self.spec.text().strip()))
        self.spec.returnPressed.connect(add.click)
        remove = QPushButton("Remove rule")
        remove.clicked.connect(self._remove)
        self.alerts_table = make_table(ALERT_HEADERS)
        self.retrain_button = QPushButton("Retrain from alert…")
        self.retrain_button.clicked.connect(self._retrain)
        ack = QPushButton("Mark all seen")
        ack.clicked.connect(self.acknowledge_requested.emit)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Alert rules of this model (checked after every check):"))
        layout.addWidget(self.rules_table, 1)
        row = QHBoxLayout()
        row.addWidget(self.spec, 1)
        row.addWidget(add)
        row.addWidget(remove)
        layout.addLayout(row)
        layout.addWidget(QLabel("Alerts, newest first:"))
        layout.addWidget(self.alerts_table, 2)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(ack)
        row.addWidget(self.retrain_button)
        layout.addLayout(row)

    def _remove(self) -> None:
        key = selected_key(self.rules_table)
        if key is not None:
            self.remove_rule_requested.emit(int(key))

    def _retrain(self) -> None:
        key = selected_key(self.alerts_table)
        if key is not None:
            self.retrain_requested.emit(int(key))

    def show_rules(self, rules: list) -> None:
        fill_table(
            self.rules_table, [(r.id, r.spec, r.action) for r in rules], [r.id for r in rules]
        )

    def show_alerts(self, alerts: list) -> None:
        rows = [
            (
                a.id,
                f"{a.created_at:%Y-%m-%d %H:%M}",
                f"v{a.version}",
                a.message,
                "yes" if a.acknowledged else "NEW",
                a.outcome or "",
            )
            for a in alerts
        ]
        fill_table(self.alerts_table, rows, [a.id for a in alerts])


class WatchPanel(QWidget):
    save_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from modelyard.monitoring.stattests import METHODS

        self.method = QComboBox()
        for method, text in zip(
            METHODS,
            (
                "auto (by type and size, as Evidently)",
                "PSI for every column",
                "KS and chi-squared at any size",
            ),
            strict=True,
        ):
            self.method.addItem(text, method)
        self.drift_share = QDoubleSpinBox(minimum=0.01, maximum=1.0, singleStep=0.05, decimals=2)
        self.tolerance = QDoubleSpinBox(minimum=0.0, maximum=0.99, singleStep=0.01, decimals=2)
        self.thresholds = QLineEdit()
        self.thresholds.setPlaceholderText("e.g. wasserstein=0.2, ks=0.01 (empty: the defaults)")
        self.watch_folder = QLineEdit()
        self.requests_folder = QLineEdit()
        self.interval = QSpinBox(minimum=1, maximum=1440, suffix=" min")
        form = QFormLayout()
        form.addRow("Drift tests", self.method)
        form.addRow("Thresholds", self.thresholds)
        form.addRow("Dataset drifts at a share of", self.drift_share)
        form.addRow("Performance tolerance", self.tolerance)
        form.addRow("Watched folder (new files are checked)", self._with_browse(self.watch_folder))
        form.addRow("Request log folder", self._with_browse(self.requests_folder))
        form.addRow("Check the request log every", self.interval)
        save = QPushButton("Save")
        save.clicked.connect(self.save_requested.emit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(save)
        layout.addLayout(row)
        note = QLabel(
            "While the app runs, it checks the watched folder and the request log on its own; "
            "`modelyard monitor check` does the same from cron or CI."
        )
        note.setWordWrap(True)  # unwrapped, this one line made the window 1,400 px wide at least
        layout.addWidget(note)
        layout.addStretch(1)

    def _with_browse(self, edit: QLineEdit) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(
            lambda: edit.setText(
                QFileDialog.getExistingDirectory(self, "Choose a folder") or edit.text()
            )
        )
        row.addWidget(browse)
        return box

    def show_settings(self, settings) -> None:
        self.method.setCurrentIndex(max(0, self.method.findData(settings.method)))
        self.drift_share.setValue(settings.drift_share)
        self.tolerance.setValue(settings.tolerance)
        self.thresholds.setText(", ".join(f"{k}={v:g}" for k, v in settings.thresholds.items()))
        self.watch_folder.setText(settings.watch_folder or "")
        self.requests_folder.setText(settings.requests_folder or "")
        self.interval.setValue(settings.interval_min)

    def values(self) -> dict[str, Any]:
        from modelyard.errors import InvalidInputError

        thresholds = {}
        for pair in filter(None, (p.strip() for p in self.thresholds.text().split(","))):
            test, _, value = pair.partition("=")
            try:
                thresholds[test.strip()] = float(value)
            except ValueError:
                raise InvalidInputError(f"Write thresholds as TEST=NUMBER, not '{pair}'.") from None
        return {
            "method": self.method.currentData(),
            "thresholds": thresholds,
            "drift_share": self.drift_share.value(),
            "tolerance": self.tolerance.value(),
            "watch_folder": self.watch_folder.text().strip() or None,
            "requests_folder": self.requests_folder.text().strip() or None,
            "interval_min": self.interval.value(),
        }
