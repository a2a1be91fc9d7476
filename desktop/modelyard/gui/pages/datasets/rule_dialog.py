"""Adding a validation rule for one column, with its arguments suggested by the profile."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from modelyard.errors import ModelyardError

LABELS = {
    "not_null": "not null",
    "range": "range (MIN..MAX)",
    "allowed": "allowed values (a,b,c)",
    "unique": "unique",
    "pattern": "pattern (regular expression)",
}


def suggestion(kind: str, stats: dict) -> str:
    from modelyard.datasets.profile import format_value

    if kind == "range" and stats.get("min") is not None:
        return f"{format_value(stats['min'])}..{format_value(stats['max'])}"
    if kind == "allowed" and stats.get("top"):
        return ",".join(v for v, _ in stats["top"])
    return ""


class RuleDialog(QDialog):
    def __init__(self, store, version, column: str, stats: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Add a rule for {column}")
        self._store, self._version, self._column, self._stats = store, version, column, stats
        self.kind = QComboBox()
        for kind, label in LABELS.items():
            if kind == "range" and stats.get("kind") not in ("integer", "float"):
                continue
            self.kind.addItem(label, kind)
        self.argument = QLineEdit()
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Column", QLabel(column))
        form.addRow("Rule", self.kind)
        form.addRow("Argument", self.argument)
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.kind.currentIndexChanged.connect(self._suggest)
        self._suggest()
        self.report: dict | None = None

    def _suggest(self) -> None:
        kind = self.kind.currentData()
        self.argument.setText(suggestion(kind, self._stats))
        self.argument.setEnabled(kind in ("range", "allowed", "pattern"))

    def accept(self) -> None:
        from modelyard.datasets.validation import add_rule, rule_params, validate_version

        kind = self.kind.currentData()
        try:
            params = rule_params(kind, self.argument.text())
            add_rule(self._store, self._version, self._column, kind, params)
            self.report = validate_version(self._store, self._version)
        except ModelyardError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
