"""The selected model version in full: details, lineage chain and the registry's audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from modelyard.gui.widgets import FormView, fill_table, make_table

if TYPE_CHECKING:
    from modelyard.registry.details import VersionDetails


class LineageView(QWidget):
    """Boxes joined by arrows: model version → run → dataset version → source file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = QHBoxLayout(self)
        self.steps: list[QLabel] = []

    def show_steps(self, steps: list[tuple[str, str]]) -> None:
        while self.row.count():
            item = self.row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.steps = []
        for i, (kind, label) in enumerate(steps):
            if i:
                arrow = QLabel("→")
                arrow.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.row.addWidget(arrow)
            box = QLabel(f"<b>{kind}</b><br>{label}")
            box.setTextFormat(Qt.TextFormat.RichText)
            box.setFrameShape(QFrame.Shape.StyledPanel)
            box.setMargin(8)
            box.setWordWrap(True)
            box.setObjectName("lineageStep")
            self.steps.append(box)
            self.row.addWidget(box, 1)


class ModelDetail(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = FormView("Select a model version.")
        details = QScrollArea()
        details.setWidgetResizable(True)
        details.setWidget(self.summary)
        self.lineage = LineageView()
        lineage_page = QWidget()
        lineage_layout = QVBoxLayout(lineage_page)
        lineage_layout.addWidget(self.lineage)
        lineage_layout.addStretch(1)
        self.audit = make_table(("Time (UTC)", "Action", "Before → after"))
        self.addTab(details, "Details")
        self.addTab(lineage_page, "Lineage")
        self.addTab(self.audit, "Audit log")

    def show_details(self, details: VersionDetails | None) -> None:
        if details is None:
            self.summary.set_rows([])
            self.lineage.show_steps([])
            fill_table(self.audit, [], [])
            return
        self.summary.set_rows(details.fields())
        self.lineage.show_steps(details.lineage())
        rows = [(f"{e.time:%Y-%m-%d %H:%M:%S}", e.action, e.describe()) for e in details.events]
        fill_table(self.audit, rows, [e.id for e in details.events], select_first=False)
