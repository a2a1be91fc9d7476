"""One check's report: the verdict, a row per column, the selected column's distributions and
the performance figures."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from modelyard.gui.widgets import fill_table, make_table, selected_key

COLUMN_HEADERS = (
    "Column",
    "Test",
    "Statistic",
    "Threshold",
    "Drift",
    "Missing (ref → cur)",
    "Note",
)
PERFORMANCE_HEADERS = ("Metric", "Holdout", "Current", "Worse by", "Status")


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def summary(report: dict[str, Any]) -> str:
    verdict = "The data drifts" if report["dataset_drift"] else "No dataset drift"
    parts = [
        f"{verdict}: {report['n_drifted']} of {report['n_columns']} input columns drift "
        f"({report['drift_share']:.0%}; the dataset drifts at {report['drift_share_threshold']:.0%}).",
        f"Current: {report['current']} ({report['current_rows']:,} rows) · reference: "
        f"{report['reference']} ({report['reference_rows']:,} rows) · {report.get('created_at', '')}",
    ]
    for key, title in (("missing_columns", "Missing columns"), ("new_columns", "New columns")):
        if report.get(key):
            parts.append(f"{title}: {', '.join(report[key])}")
    if report.get("retyped_columns"):
        parts.append(
            "Retyped: "
            + "; ".join(f"{r['column']} ({r['found']})" for r in report["retyped_columns"])
        )
    parts.extend(report.get("notes") or [])
    return "\n".join(parts)


def performance_rows(report: dict[str, Any]) -> tuple[str, list[tuple]]:
    """A caption and table rows: measured metrics against the holdout, then estimated ones."""
    rows: list[tuple] = []
    captions = []
    measured = report.get("performance")
    if measured:
        captions.append(
            f"Measured on {measured.get('labelled_rows', 0):,} labelled rows ({measured['source']}); "
            f"tolerance {measured['tolerance']:.0%}."
        )
        for m in measured["metrics"]:
            rows.append(
                (
                    m["metric"],
                    fmt(m["holdout"]),
                    fmt(m["current"]),
                    f"{m['drop']:.1%}",
                    "degraded" if m["degraded"] else "ok",
                )
            )
    estimated = report.get("estimated")
    if estimated:
        captions.append(
            f"Estimated without labels: {estimated['method']}"
            f"{', calibrated on the holdout' if estimated['calibrated'] else ', not calibrated'}."
        )
        for name, value in estimated["metrics"].items():
            holdout = estimated["holdout"].get(name)
            rows.append((f"{name} (estimated)", fmt(holdout), fmt(value), "—", "estimated"))
    if not rows:
        captions.append(
            "No performance: the data has no target column and no labels came back. Send labels "
            "with POST /feedback or Import labels…, or check data that has the target."
        )
    return " ".join(captions), rows


class ReportView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: dict[str, Any] | None = None
        self.summary = QLabel("Pick a model version and check data against it.")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("verdict")
        self.columns_table = make_table(COLUMN_HEADERS)
        self.columns_table.itemSelectionChanged.connect(self._show_column)
        self.chart_host = QVBoxLayout()
        self.chart_title = QLabel("")
        self.chart_host.addWidget(self.chart_title)
        self.plot = None
        self.performance_caption = QLabel("")
        self.performance_caption.setWordWrap(True)
        self.performance_table = make_table(PERFORMANCE_HEADERS)
        charts = QWidget()
        charts.setLayout(self.chart_host)
        split = QSplitter()
        split.addWidget(self.columns_table)
        split.addWidget(charts)
        split.setSizes([640, 360])
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.performance_caption)
        lower_layout.addWidget(self.performance_table)
        vertical = QSplitter()
        vertical.setOrientation(vertical.orientation().Vertical)
        vertical.addWidget(split)
        vertical.addWidget(lower)
        vertical.setSizes([420, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        layout.addLayout(top)
        layout.addWidget(vertical, 1)

    def show_report(self, report: dict[str, Any] | None) -> None:
        self.report = report
        if report is None:
            self.summary.setText(
                "This version has not been checked yet: drop a data file here, or use the buttons above."
            )
            fill_table(self.columns_table, [], [])
            fill_table(self.performance_table, [], [])
            self.performance_caption.setText("")
            if self.plot is not None:
                self.plot.clear()
            return
        self.summary.setText(summary(report))
        rows = [
            (
                c["column"], c["test"], fmt(c["statistic"]), fmt(c["threshold"]),
                "DRIFT" if c["drifted"] else "no",
                f"{c['missing_reference']:.1%} → {c['missing_current']:.1%}", c.get("note") or "",
            )
            for c in report["columns"]
        ]  # fmt: skip
        fill_table(self.columns_table, rows, [c["column"] for c in report["columns"]])
        caption, perf = performance_rows(report)
        self.performance_caption.setText(caption)
        fill_table(self.performance_table, perf, list(range(len(perf))), select_first=False)
        self._show_column()

    def _show_column(self) -> None:
        if self.report is None:
            return
        name = selected_key(self.columns_table)
        column = next((c for c in self.report["columns"] if c["column"] == name), None)
        if column is None or not column.get("histogram"):
            self.chart_title.setText("No distribution to show for this column." if column else "")
            if self.plot is not None:
                self.plot.clear()
            return
        self._draw(column)

    def _draw(self, column: dict[str, Any]) -> None:
        from modelyard.gui import charts

        graph = charts.pg()
        if self.plot is None:
            self.plot = charts.make_plot("", "share of rows", legend=False)
            self.plot.setMinimumHeight(220)
            self.chart_host.addWidget(self.plot, 1)
        self.plot.clear()
        hist = column["histogram"]
        ref, cur = hist["reference"], hist["current"]
        n = len(ref)
        xs = list(range(n))
        width = 0.4
        self.plot.addItem(
            graph.BarGraphItem(
                x=[x - width / 2 for x in xs], height=ref, width=width, brush=charts.PALETTE[0]
            )
        )
        self.plot.addItem(
            graph.BarGraphItem(
                x=[x + width / 2 for x in xs], height=cur, width=width, brush=charts.PALETTE[3]
            )
        )
        if "categories" in hist:
            ticks = [(i, str(label)[:12]) for i, label in enumerate(hist["categories"])]
        else:
            edges = hist["edges"]
            step = max(1, n // 5)
            ticks = [(i, f"{(edges[i] + edges[i + 1]) / 2:.3g}") for i in range(0, n, step)]
        self.plot.getAxis("bottom").setTicks([ticks])
        drift = "drifts" if column["drifted"] else "does not drift"
        self.chart_title.setText(
            f"{column['column']} {drift} ({column['test']} {fmt(column['statistic'])}): "
            f"<span style='color:{charts.PALETTE[0]}'>■ reference</span> "
            f"<span style='color:{charts.PALETTE[3]}'>■ current</span>"
        )
