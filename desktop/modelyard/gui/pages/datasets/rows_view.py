"""The Rows tab: browse a version of any size, sort by a column, filter with a simple test."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)


class RowsView(QWidget):
    message = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_column = QComboBox()
        self.filter_text = QLineEdit(placeholderText="contains…, or >= 3, < 2.5, = x, != x")
        self.filter_text.returnPressed.connect(self.apply_filter)
        self.count = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Filter"))
        bar.addWidget(self.filter_column)
        bar.addWidget(self.filter_text, 1)
        bar.addWidget(self.count)
        self.table = QTableView()
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.model = None
        self._version_id: int | None = None
        self._busy_now = False

    def show_version(self, store, version) -> None:
        from modelyard.datasets.paging import ParquetPager
        from modelyard.gui.pages.datasets.rows_model import RowsModel

        if version is None:
            self.table.setModel(None)
            self.model, self._version_id = None, None
            self.count.setText("")
            return
        if version.id == self._version_id:
            return
        pager = ParquetPager(store.blobs.open_path(version.content_hash))
        self.model = RowsModel(pager, self)
        self.model.busy_changed.connect(self._busy)
        self.model.failed.connect(lambda text: self.message.emit(text, True))
        self.table.setSortingEnabled(False)  # no sort on attach: keep the stored order
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(
            -1, self.table.horizontalHeader().sortIndicatorOrder()
        )
        self._version_id = version.id
        self.filter_column.clear()
        self.filter_column.addItems(pager.columns)
        self.filter_text.clear()
        self._update_count()

    @property
    def busy(self) -> bool:
        return self._busy_now

    def _busy(self, busy: bool) -> None:
        self._busy_now = busy
        if busy:
            self.count.setText("sorting and filtering…")
        else:
            self._update_count()

    def apply_filter(self) -> None:
        if self.model is not None:
            self.model.set_filter(self.filter_column.currentText(), self.filter_text.text())

    def _update_count(self) -> None:
        shown = self.model.rowCount()
        total = self.model._pager.total_rows
        self.count.setText(f"{shown:,} of {total:,} rows" if shown != total else f"{total:,} rows")
