"""The selected column's profile: its statistics and a histogram or bar chart (pyqtgraph)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from modelyard.gui.widgets import FormView


class ProfilePanel(QWidget):
    """Shows one column of a stored profile; the chart is built on first use (start-up speed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.stats = FormView("Select a column to see its profile.")
        self._layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.validation = QLabel()
        self.validation.setWordWrap(True)
        self.add_rule_button = QPushButton("Add rule…")
        self.add_rule_button.setEnabled(False)
        self.add_rule_button.setToolTip("Check this column on every new version of the dataset")
        row = QHBoxLayout()
        row.addWidget(self.validation, 1)
        row.addWidget(self.add_rule_button)
        self._layout.addWidget(self.summary)
        self._layout.addLayout(row)
        self._layout.addWidget(self.stats)
        self.plot = None
        self.chart_kind = ""  # "histogram", "bars" or "" (nothing drawn): for tests and a11y

    def show_dataset(self, profile: dict | None) -> None:
        if not profile:
            self.summary.setText("")
            return
        flagged = profile.get("privacy", {})
        personal = (
            " Personal data: "
            + ", ".join(f"{c} ({p['kind']}, {p['action']})" for c, p in flagged.items())
            + "."
            if flagged
            else ""
        )
        self.summary.setText(
            f"{profile['rows']:,} rows × {profile['columns']} columns · "
            f"{profile['duplicate_rows']:,} duplicate rows · "
            f"{profile['memory_bytes'] / 1e6:,.1f} MB in memory.{personal}"
        )

    def show_validation(self, report: dict | None) -> None:
        from modelyard.datasets.validation import report_lines

        self.validation.setText("\n".join(report_lines(report)) if report else "")

    def show_column(self, name: str | None, profile: dict | None) -> None:
        from modelyard.datasets.profile import column_fields

        stats = (profile or {}).get("column_stats", {}).get(name) if name else None
        self.add_rule_button.setEnabled(stats is not None)
        if stats is None:
            self.stats.set_rows([])
            self._draw(None)
            return
        self.stats.set_rows(
            [("Column", name), *column_fields(stats, profile.get("privacy", {}).get(name))]
        )
        self._draw(stats)

    def _ensure_plot(self):
        if self.plot is None:
            import pyqtgraph as pg

            self.plot = pg.PlotWidget(background=None)
            self.plot.setMinimumHeight(160)
            self.plot.setMouseEnabled(x=False, y=False)
            self.plot.hideButtons()
            self._layout.addWidget(self.plot, 1)
        return self.plot

    def _draw(self, stats: dict | None) -> None:
        from modelyard.gui.charts import ready

        self.chart_kind = ""
        self._pending = stats
        if stats is None or not (stats.get("histogram") or stats.get("top")):
            if self.plot is not None:
                self.plot.clear()
                self.plot.hide()
            return
        if not ready():  # draw once pyqtgraph is loaded, without freezing the window
            QTimer.singleShot(200, self, lambda: self._pending is stats and self._draw(stats))
            return
        import pyqtgraph as pg

        plot = self._ensure_plot()
        plot.clear()
        plot.show()
        axis = plot.getAxis("bottom")
        if stats.get("histogram"):
            edges, counts = stats["histogram"]["edges"], stats["histogram"]["counts"]
            centers = [(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)]
            width = (edges[1] - edges[0]) if len(edges) > 1 else 1.0
            plot.addItem(
                pg.BarGraphItem(x=centers, height=counts, width=width * 0.95, brush="#4c78a8")
            )
            axis.setTicks(None)
            self.chart_kind = "histogram"
        else:
            top = stats["top"]
            plot.addItem(
                pg.BarGraphItem(
                    x=list(range(len(top))), height=[n for _, n in top], width=0.8, brush="#f58518"
                )
            )
            axis.setTicks([[(i, str(v)[:14]) for i, (v, _) in enumerate(top)]])
            self.chart_kind = "bars"
        plot.autoRange()
