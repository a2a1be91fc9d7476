"""Review before saving: the first rows, the inferred schema with flags, and per-column type
and role choices. Pressing Import with nothing changed keeps the sensible defaults."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from modelyard.datasets.review import KINDS, ROLES


class ReviewDialog(QDialog):
    def __init__(self, preview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = preview
        self.setWindowTitle(f"Review {preview.path.name}")
        self.resize(900, 600)
        n_rows = preview.table.num_rows
        heading = QLabel(
            f"{preview.path.name}: {n_rows:,} rows × {len(preview.columns)} columns. "
            "Change a column's type or role if the guess is wrong, then press Import."
        )
        heading.setWordWrap(True)
        renamed = QLabel("Renamed: " + "; ".join(preview.renamed) + ".")
        renamed.setWordWrap(True)
        renamed.setVisible(bool(preview.renamed))
        names = [c.name for c in preview.columns]
        self.rows = QTableWidget(len(preview.head), len(names))
        self.rows.setHorizontalHeaderLabels(names)
        for r, row in enumerate(preview.head):
            for c, value in enumerate(row):
                self.rows.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
        self.schema = QTableWidget(len(names), 5)
        self.schema.setHorizontalHeaderLabels(["Column", "Inferred", "Flags", "Type", "Role"])
        self.schema.horizontalHeader().setStretchLastSection(True)
        self.kind_boxes: dict[str, QComboBox] = {}
        self.role_boxes: dict[str, QComboBox] = {}
        for r, column in enumerate(preview.columns):
            self.schema.setItem(r, 0, QTableWidgetItem(column.name))
            self.schema.setItem(r, 1, QTableWidgetItem(column.kind))
            self.schema.setItem(r, 2, QTableWidgetItem(", ".join(preview.flags[column.name])))
            kind = QComboBox()
            kind.addItems(KINDS)
            kind.setCurrentText(column.kind)
            role = QComboBox()
            role.addItems(ROLES)
            role.setCurrentText(preview.roles.get(column.name, "feature"))
            if "ID-like" in preview.flags[column.name] or "constant" in preview.flags[column.name]:
                role.setToolTip("Flagged: consider ignoring this column")
            self.schema.setCellWidget(r, 3, kind)
            self.schema.setCellWidget(r, 4, role)
            self.kind_boxes[column.name] = kind
            self.role_boxes[column.name] = role
        self.schema.resizeColumnsToContents()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(renamed)
        layout.addWidget(QLabel("First rows"))
        layout.addWidget(self.rows, 1)
        layout.addWidget(QLabel("Schema"))
        layout.addWidget(self.schema, 1)
        layout.addWidget(buttons)

    def overrides(self) -> dict[str, dict]:
        """Only what the user changed. A column whose default role is ignore (R's row names)
        is kept in the data but not learnt from; choosing ignore for any other drops it."""
        chosen: dict[str, dict] = {}
        for column in self.preview.columns:
            kind = self.kind_boxes[column.name].currentText()
            role = self.role_boxes[column.name].currentText()
            choice = {}
            if kind != column.kind:
                choice["kind"] = kind
            if role != self.preview.roles.get(column.name, "feature"):
                choice["role"] = role
            if choice:
                chosen[column.name] = choice
        return chosen
