"""Set or clear an experiment's budget: a kWh and/or money limit, and whether to auto-stop."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from modelyard.errors import InvalidInputError, ModelyardError


def _optional_number(text: str, what: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInputError(f"The {what} limit must be a number, not '{text}'.") from None


class BudgetDialog(QDialog):
    """On OK the budget is saved; `self.status` then holds the experiment's budget status."""

    def __init__(self, store, experiment: str | None = None, parent=None) -> None:
        super().__init__(parent)
        from modelyard.telemetry.prices import load_prices
        from modelyard.tracking.experiments import list_experiments

        self.setWindowTitle("Experiment budget")
        self.setMinimumWidth(420)
        self.store = store
        self.status = None
        self.experiments = {e.name: e for e in list_experiments(store)}
        self.experiment = QComboBox()
        self.experiment.setEditable(True)
        self.experiment.addItems(list(self.experiments) or ["Default"])
        if experiment:
            self.experiment.setCurrentText(experiment)
        self.kwh = QLineEdit()
        self.kwh.setPlaceholderText("empty: no energy limit")
        currency = load_prices(store).currency
        self.money = QLineEdit()
        self.money.setPlaceholderText(f"empty: no money limit ({currency})")
        self.auto_stop = QCheckBox("Stop the experiment's running runs at 100%")
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        form.addRow("Experiment", self.experiment)
        form.addRow("Energy limit (kWh)", self.kwh)
        form.addRow(f"Money limit ({currency})", self.money)
        form.addRow("", self.auto_stop)
        hint = QLabel("A warning shows at 80% of either limit. Leave both empty to remove it.")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.experiment.currentTextChanged.connect(self._show_current)
        self._show_current(self.experiment.currentText())

    def _show_current(self, name: str) -> None:
        current = self.experiments.get(name)
        self.kwh.setText(
            "" if not current or current.budget_kwh is None else f"{current.budget_kwh:g}"
        )
        self.money.setText(
            "" if not current or current.budget_money is None else f"{current.budget_money:g}"
        )
        self.auto_stop.setChecked(bool(current and current.budget_auto_stop))

    def accept(self) -> None:
        from modelyard.telemetry.budgets import budget_status
        from modelyard.tracking.experiments import set_budget

        try:
            kwh = _optional_number(self.kwh.text(), "energy")
            money = _optional_number(self.money.text(), "money")
            experiment = set_budget(
                self.store, self.experiment.currentText(), kwh, money, self.auto_stop.isChecked()
            )
        except ModelyardError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.status = budget_status(self.store, experiment)
        super().accept()
