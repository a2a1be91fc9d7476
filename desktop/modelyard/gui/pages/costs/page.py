"""Costs page: energy, money and CO2 of every run, per day or week, charted and exportable."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from modelyard.gui.pages.base import Page
from modelyard.gui.widgets import fill_table, make_table


def money(value: float | None, currency: str) -> str:
    """Cents for everyday sums; below a cent, two significant digits in plain decimals."""
    if value is None:
        return ""
    if value == 0 or abs(value) >= 0.01:
        return f"{value:,.2f} {currency}"
    decimals = min(8, 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f} {currency}"


def scaled(value: float, unit: str) -> str:
    """A quantity with a metric prefix that keeps 1–999 before the point (mWh, Wh, kWh…)."""
    if value == 0:
        return f"0 {unit}"
    for factor, prefix in ((1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "µ")):
        if abs(value) >= factor or factor == 1e-6:
            shown = value / factor
            return f"{shown:,.3g} {prefix}{unit}" if shown >= 100 else f"{shown:.3g} {prefix}{unit}"
    return f"{value} {unit}"  # unreachable: the last prefix always matches


class CostsPage(Page):
    title = "Costs"
    empty_title = "No run costs yet"
    empty_hint = (
        "Every run records its energy, cost and CO2 when it ends.\n"
        "Set your electricity price and carbon intensity on the Settings page."
    )

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.period_box = QComboBox()
        self.period_box.addItem("Per day", "day")
        self.period_box.addItem("Per week", "week")
        self.period_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.choose_export)
        self.budget_button = QPushButton("Set budget…")
        self.budget_button.setToolTip("An energy or money limit per experiment")
        self.budget_button.clicked.connect(self.edit_budget)
        self.actions_layout.addWidget(self.period_box)
        self.actions_layout.addWidget(self.budget_button)
        self.actions_layout.addWidget(self.export_button)
        self.table = make_table(
            (
                "Run",
                "Model",
                "Registered as",
                "Dataset",
                "Time",
                "Energy",
                "Cost",
                "Cloud equiv.",
                "CO2",
                "How measured",
            )
        )
        self.periods = make_table(("Period", "Runs", "Energy", "Cost", "CO2"))
        self.total = QLabel()
        self.charts = QWidget()
        self._charts_layout = QHBoxLayout(self.charts)
        self.plots: dict[str, object] = {}
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.addWidget(self.total)
        self.budgets = make_table(("Experiment", "Budget", "Used", "Share", "State", "Auto-stop"))
        self.budgets.setMaximumHeight(120)
        lower_layout.addWidget(self.budgets)
        lower_layout.addWidget(self.charts, 2)
        lower_layout.addWidget(self.periods, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        self.set_content(splitter)
        self.costs: list = []
        self.currency = ""

    def read(self):
        from modelyard.telemetry.accounting import list_run_costs, model_versions_by_run
        from modelyard.telemetry.budgets import all_budgets

        store = self.store
        return lambda: (list_run_costs(store), model_versions_by_run(store), all_budgets(store))

    def show_data(self, data) -> None:
        from modelyard.telemetry.accounting import costs_by_period, totals_by_currency

        self.costs, registered, budgets = data
        self._fill_budgets(budgets)
        rows = [
            (
                c.run_id,
                c.model_kind,
                ", ".join(registered.get(c.run_id, [])),
                c.dataset,
                f"{c.duration_s:.1f} s",
                scaled(c.energy_wh, "Wh"),
                money(c.cost, c.currency),
                money(c.cloud_equivalent, c.currency),
                scaled(c.co2_g, "g"),
                "; ".join(f"{k}: {v}" for k, v in c.methods.items()),
            )
            for c in reversed(self.costs)
        ]
        fill_table(self.table, rows, [c.run_id for c in reversed(self.costs)], select_first=False)
        periods = costs_by_period(self.costs, self.period_box.currentData())
        fill_table(
            self.periods,
            [
                (
                    p.period,
                    p.runs,
                    scaled(p.energy_wh, "Wh"),
                    money(p.cost, p.currency),
                    scaled(p.co2_g, "g"),
                )
                for p in periods
            ],
            [(p.period, p.currency) for p in periods],
            select_first=False,
        )
        totals = totals_by_currency(self.costs)
        self.currency = self.costs[-1].currency if self.costs else ""
        text = (
            f"{len(self.costs)} runs: {sum(c.energy_wh for c in self.costs):.4g} Wh, "
            f"{' + '.join(money(v, k) for k, v in totals.items())}, "
            f"{sum(c.co2_g for c in self.costs):.3g} g CO2"
        )
        if len(totals) > 1:
            text += f". The charts show the runs priced in {self.currency}, the newest currency."
        self.total.setText(text)
        self.show_empty(not self.costs)
        self.export_button.setEnabled(bool(self.costs))
        if self.costs:
            self._draw(periods)

    def _fill_budgets(self, statuses) -> None:
        rows = [
            (
                s.experiment.name,
                s.limit_text(),
                f"{s.used_kwh:.4g} kWh, {money(s.used_money, s.currency)}",
                f"{s.fraction:.0%}",
                s.state,
                "yes" if s.experiment.budget_auto_stop else "no",
            )
            for s in statuses
        ]
        fill_table(self.budgets, rows, [s.experiment.name for s in statuses], select_first=False)
        for row, status in enumerate(statuses):
            colour = {"warning": "#ef6c00", "exceeded": "#c62828"}.get(status.state)
            if colour:
                from PySide6.QtGui import QColor

                self.budgets.item(row, 4).setForeground(QColor(colour))
        self.budgets.setVisible(bool(statuses))

    def edit_budget(self) -> None:
        from modelyard.gui.pages.costs.budget_dialog import BudgetDialog
        from modelyard.gui.widgets import selected_key

        dialog = BudgetDialog(self.store, selected_key(self.budgets), self)
        if dialog.exec() and dialog.status is not None:
            self.message.emit(dialog.status.describe(), False)
            self.refresh()

    def _draw(self, periods) -> None:
        from modelyard.gui.charts import make_plot, pg, ready

        if not ready():  # draw once pyqtgraph is loaded, without freezing the window
            QTimer.singleShot(200, self, lambda: self._draw(periods))
            return
        graph = pg()
        if not self.plots:
            self.plots["per_run"] = make_plot("Cost per run", "cost", legend=False)
            self.plots["per_period"] = make_plot("Cost per period", "cost", legend=False)
            self.plots["cumulative"] = make_plot(
                "Cumulative cost", "cost", legend=False, time_axis=True
            )
            for plot in self.plots.values():
                self._charts_layout.addWidget(plot)
        for plot in self.plots.values():
            plot.clear()
            plot.setLabel("left", f"cost ({self.currency})")
        costs = [c for c in self.costs if c.currency == self.currency]
        periods = [p for p in periods if p.currency == self.currency]
        self.plots["per_run"].addItem(
            graph.BarGraphItem(
                x=[c.run_id for c in costs],
                height=[c.cost for c in costs],
                width=0.7,
                brush="#1565c0",
            )
        )
        self.plots["per_period"].addItem(
            graph.BarGraphItem(
                x=list(range(len(periods))),
                height=[p.cost for p in periods],
                width=0.7,
                brush="#2e7d32",
            )
        )
        self.plots["per_period"].getAxis("bottom").setTicks(
            [[(i, p.period) for i, p in enumerate(periods)]]
        )
        dated = sorted((c for c in costs if c.started_at), key=lambda c: c.started_at)
        times, running, total = [], [], 0.0
        for c in dated:
            total += c.cost
            times.append(c.started_at.replace(tzinfo=_utc()).timestamp())
            running.append(total)
        self.plots["cumulative"].plot(
            times, running, pen=graph.mkPen("#c62828", width=2), symbol="o", symbolSize=5
        )

    def chart_heights(self, key: str) -> list[float]:
        """What a chart shows (for tests): bar heights, or the cumulative line's values."""
        from modelyard.gui.charts import pg

        plot = self.plots[key]
        for item in plot.listDataItems() + plot.getPlotItem().items:
            if isinstance(item, pg().BarGraphItem):
                return list(item.opts["height"])
            if hasattr(item, "getData"):
                return list(item.getData()[1])
        return []

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export run costs", str(Path.home() / "modelyard-costs.csv"), "CSV files (*.csv)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        from modelyard.errors import ModelyardError
        from modelyard.telemetry.accounting import export_csv

        try:
            export_csv(self.costs, path)
        except (ModelyardError, OSError) as exc:
            self.message.emit(f"Could not export the costs: {exc}", True)
            return
        self.message.emit(f"Exported {len(self.costs)} run costs to {path}.", False)


def _utc():
    from datetime import UTC

    return UTC
