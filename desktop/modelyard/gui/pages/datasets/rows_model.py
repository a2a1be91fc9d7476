"""A virtual table model over a stored version: Qt asks for cells, pages come from Parquet."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, Qt, Signal

PAGE_ROWS = 500
CACHED_PAGES = 8


class RowsModel(QAbstractTableModel):
    busy_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, pager, parent=None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._task = None
        self._pager = pager
        self._pages: dict[int, list[list]] = {}
        self._rows = pager.n_rows
        self._sort: tuple[str | None, bool] = (None, False)
        self._filter: tuple[str | None, str] = (None, "")

    def rowCount(self, parent=None) -> int:  # noqa: N802 - Qt override
        return 0 if parent is not None and parent.isValid() else self._rows

    def columnCount(self, parent=None) -> int:  # noqa: N802 - Qt override
        return 0 if parent is not None and parent.isValid() else len(self._pager.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._pager.columns[section]
        return str(section + 1)

    def _row(self, row: int) -> list:
        number = row // PAGE_ROWS
        page = self._pages.get(number)
        if page is None:
            page = self._pager.page(number * PAGE_ROWS, PAGE_ROWS)
            if len(self._pages) >= CACHED_PAGES:
                self._pages.pop(next(iter(self._pages)))
            self._pages[number] = page
        offset = row - number * PAGE_ROWS
        return page[offset] if offset < len(page) else []

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        values = self._row(index.row())
        if index.column() >= len(values):
            return None
        value = values[index.column()]
        return "" if value is None else str(value)

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        name = self._pager.columns[column] if 0 <= column < len(self._pager.columns) else None
        self._sort = (name, order == Qt.SortOrder.DescendingOrder)  # column -1: stored order
        self._rearrange()

    def set_filter(self, column: str | None, text: str) -> None:
        self._filter = (column, text)
        self._rearrange()

    def _rearrange(self) -> None:
        """Sorting or filtering millions of rows runs on a worker thread; pages keep showing."""
        from modelyard.gui import tasks

        self._generation += 1
        generation = self._generation
        sort, flt = self._sort, self._filter
        self.busy_changed.emit(True)
        self._task = tasks.start(
            lambda _progress: self._pager.plan(sort[0], sort[1], flt[0], flt[1]),
            on_success=lambda plan: self._arranged(generation, plan),
            on_failure=lambda message: self._failed(generation, message),
        )

    def _arranged(self, generation: int, plan) -> None:
        if generation != self._generation:
            return  # a newer request is on its way
        self.beginResetModel()
        self._pages.clear()
        self._rows = self._pager.apply(plan)
        self.endResetModel()
        self.busy_changed.emit(False)

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.busy_changed.emit(False)
            self.failed.emit(message)
