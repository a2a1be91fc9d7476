"""Small widgets shared by the pages."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

GUIDE = ("Import data", "Train a model", "Register it", "Export a bundle")


def guide_text(step: int) -> str:
    """The first hour's path, import → train → register → export, with `step` (1-4) in bold."""
    parts = []
    for n, name in enumerate(GUIDE, start=1):
        text = f"{n}. {name}"
        parts.append(f"<b>{text}</b>" if n == step else f"<span style='color:gray'>{text}</span>")
    return " &nbsp;→&nbsp; ".join(parts)


class EmptyState(QWidget):
    """What an empty page shows: what belongs here and how to fill it; on the pages of the
    first hour's path, where this page sits on it."""

    def __init__(
        self, title: str, hint: str, guide_step: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.guide = None
        if guide_step is not None:
            self.guide = QLabel(guide_text(guide_step))
            self.guide.setObjectName("emptyGuide")
            self.guide.setTextFormat(Qt.TextFormat.RichText)
            self.guide.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(self.guide)
            layout.addSpacing(12)
        heading = QLabel(title)
        heading.setObjectName("emptyTitle")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(hint)
        body.setObjectName("emptyHint")
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(heading)
        layout.addWidget(body)
        self._buttons = QHBoxLayout()
        self._buttons.addStretch(1)
        self._buttons.addStretch(1)
        layout.addLayout(self._buttons)
        layout.addStretch(2)
        self.hint = body

    def add_button(self, text: str) -> QPushButton:
        """A button under the hint: the page's first action, one click away."""
        button = QPushButton(text)
        self._buttons.insertWidget(self._buttons.count() - 1, button)
        return button


class Banner(QFrame):
    """A non-blocking message at the bottom of `host`, which leaves room for it.

    Info hides after a while; errors stay until closed or replaced.
    """

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self._host = host
        host.installEventFilter(self)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("✕")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self._timer = QTimer(self, singleShot=True, interval=8000)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str, error: bool = False) -> None:
        self.setProperty("kind", "error" if error else "info")
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self._place()
        self.show()
        self.raise_()
        if error:
            self._timer.stop()
        else:
            self._timer.start()

    def _place(self) -> None:
        width = self._host.width() - 32
        width = max(width, 200)
        self.setFixedSize(width, self.heightForWidth(width))
        self.move(16, self._host.height() - self.height() - 16)
        if self.isVisible():
            self._reserve(True)

    def _reserve(self, shown: bool) -> None:
        """While shown, the page above ends where the banner starts: it never covers the last
        rows of a table (the page shrinks instead of hiding under it)."""
        self._host.setContentsMargins(0, 0, 0, self.height() + 24 if shown else 0)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._reserve(True)
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._reserve(False)
        super().hideEvent(event)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self._host and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False


class ProgressStrip(QFrame):
    """A progress bar with a message and a Cancel button, for one background task at a time."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.hide()

    def start(self, text: str) -> None:
        self.label.setText(text)
        self.bar.setValue(0)
        self.show()

    def update_progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(fraction * 100))
        if message:
            self.bar.setFormat(f"{message} – %p%")


def make_table(headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def cell_under(table: QTableWidget, header: str, row: int = 0) -> str:
    """The text shown in `row` under the column titled `header` (for tests and actions)."""
    for c in range(table.columnCount()):
        if table.horizontalHeaderItem(c).text() == header:
            item = table.item(row, c)
            return "" if item is None else item.text()
    raise KeyError(f"no column titled {header!r}")


def fill_table(
    table: QTableWidget,
    rows: Sequence[Sequence[object]],
    keys: Sequence[object],
    select_first: bool = True,
) -> None:
    """Replace the rows, keeping the selection on the same key; each row's key is in UserRole.

    With nothing selected yet, the first row is, so a page's actions work without a click.
    """
    width = table.columnCount()
    for row in rows:  # a value more or less than the headers shifts every cell after it
        if len(row) != width:
            raise ValueError(f"a row of {len(row)} values for a table of {width} columns")
    chosen = {i.data(Qt.ItemDataRole.UserRole) for i in table.selectedItems()}
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, (row, key) in enumerate(zip(rows, keys, strict=True)):
        for c, value in enumerate(row):
            item = QTableWidgetItem()
            if isinstance(value, int | float) and not isinstance(value, bool):
                item.setData(Qt.ItemDataRole.DisplayRole, value)
            else:
                item.setText("" if value is None else str(value))
            item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(r, c, item)
    again = [r for r, key in enumerate(keys) if key in chosen]
    if len(again) > 1:  # a multi-row selection (e.g. runs to compare) survives a refresh
        selection = QItemSelection()
        last = table.columnCount() - 1
        for r in again:
            selection.select(table.model().index(r, 0), table.model().index(r, last))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        table.selectionModel().select(selection, flags | QItemSelectionModel.SelectionFlag.Rows)
        return
    row = again[0] if again else (0 if select_first and keys else None)
    if row is not None:
        select_row(table, row)


def select_row(table, row: int) -> None:
    """Select exactly this row, as code asks: unlike QTableView.selectRow, the outcome never
    depends on the keyboard (with Ctrl held, or believed held, selectRow toggles the row into or
    out of the selection)."""
    flags = QItemSelectionModel.SelectionFlag
    table.selectionModel().setCurrentIndex(
        table.model().index(row, 0), flags.ClearAndSelect | flags.Rows
    )


def selected_key(table: QTableWidget) -> object | None:
    items = table.selectedItems()
    return items[0].data(Qt.ItemDataRole.UserRole) if items else None


class FormView(QWidget):
    """Read-only (label, value) pairs as a form: labels in one column, values wrapped and
    selectable beside them — instead of a monospace text dump."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QFormLayout

        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.placeholder = placeholder
        self.rows: list[tuple[str, str]] = []
        self.set_rows([])

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.rows = list(rows)
        if not rows and self.placeholder:
            hint = QLabel(self.placeholder)
            hint.setObjectName("emptyHint")
            self.form.addRow(hint)
        for label, value in rows:
            field = QLabel(str(value))
            field.setWordWrap(True)
            field.setTextFormat(Qt.TextFormat.PlainText)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            name = QLabel(f"{label}:")
            name.setObjectName("formLabel")
            self.form.addRow(name, field)

    def value(self, label: str) -> str | None:
        return next((v for k, v in self.rows if k == label), None)

    def text(self) -> str:
        """Everything shown, one 'label: value' per line (tests, copying, screen readers)."""
        return "\n".join(f"{k}: {v}" for k, v in self.rows)
