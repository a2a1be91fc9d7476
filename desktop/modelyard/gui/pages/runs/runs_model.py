"""The runs table's model: light rows, sorted and filtered in Python, painted on demand.

Only the rows on screen are ever formatted, so 10,000 runs cost what 30 do; sorting sorts a
list instead of asking Qt to compare cells one call at a time. When a refresh changes values
but not which runs are shown (the common case while runs train), the model says so with
`dataChanged`, so the selection and the scroll position stay where the user left them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

from modelyard.tracking.run_table import (
    RunFilter,
    RunRow,
    column_header,
    getter,
    sort_rows,
)

STATUS_COLOURS = {
    "finished": QColor("#2e7d32"),
    "failed": QColor("#c62828"),
    "running": QColor("#1565c0"),
    "cancelled": QColor("#757575"),
    "queued": QColor("#8d6e00"),
}
METRICS_TEXT = "metrics"  # one column with every metric as text (the default view)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


class RunsTableModel(QAbstractTableModel):
    def __init__(self, columns: list[str], parent=None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._all: list[RunRow] = []
        self._rows: list[RunRow] = []
        self._filter = RunFilter()
        self._status: str | None = None
        self._sort: tuple[str, bool] | None = None  # (column key, descending)
        self._queue: dict[int, int] = {}  # run id → place in line for a worker
        self._getters: dict[str, object] = {}

    # ---- what the page sets ------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def set_columns(self, columns: list[str]) -> None:
        self.beginResetModel()
        self._columns = list(columns)
        self.endResetModel()

    def set_rows(self, rows: list[RunRow]) -> None:
        self._all = rows
        self._refill()

    def update_rows(self, changed: list[RunRow]) -> None:
        """Replace some runs' rows (the ones that were training) without reloading the rest.

        When the change moves no row — same sort value, same answer to the filter, which is
        what a live run's new metrics mostly are — only those rows are repainted; the other
        10,000 are neither filtered nor sorted again.
        """
        if not changed:
            return
        fresh = {r.id: r for r in changed}
        where = {r.id: i for i, r in enumerate(self._all) if r.id in fresh}
        old = {run_id: self._all[i] for run_id, i in where.items()}
        for run_id, i in where.items():
            self._all[i] = fresh[run_id]
        if len(where) < len(fresh) or not all(
            self._same_place(old[run_id], fresh[run_id]) for run_id in where
        ):
            self._refill()
            return
        for i, row in enumerate(self._rows):
            if row.id in fresh:
                self._rows[i] = fresh[row.id]
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self._columns) - 1))

    def _same_place(self, before: RunRow, after: RunRow) -> bool:
        """Whether a row's new values leave it where it is under the filter and the sort."""
        if self._filter.matches(before) != self._filter.matches(after):
            return False
        if self._status and (before.status == self._status) != (after.status == self._status):
            return False
        if self._sort is not None and self._sort[0] != METRICS_TEXT:
            read = getter(self._sort[0])
            return read(before) == read(after)
        return True

    def set_queue(self, waiting: list[int]) -> None:
        """Which queued runs wait for a worker, first in line first (shown as 'queued #N')."""
        self._queue = {run_id: place for place, run_id in enumerate(waiting, 1)}

    def set_filter(self, run_filter: RunFilter, status: str | None = None) -> None:
        self._filter, self._status = run_filter, status
        self._refill()

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:  # Qt override
        if not 0 <= column < len(self._columns):
            return
        wanted = (self._columns[column], order == Qt.SortOrder.DescendingOrder)
        if wanted == self._sort:
            return  # the header asks again after the view did: sort once
        self._sort = wanted
        self._refill()

    # ---- what the page reads -----------------------------------------------------------
    def run_id(self, row: int) -> int | None:
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def row_of(self, run_id: int) -> int | None:
        for i, row in enumerate(self._rows):
            if row.id == run_id:
                return i
        return None

    def row(self, row: int) -> RunRow:
        return self._rows[row]

    @property
    def shown(self) -> list[RunRow]:
        return list(self._rows)

    @property
    def all_rows(self) -> list[RunRow]:
        return list(self._all)

    @property
    def total(self) -> int:
        return len(self._all)

    def text(self, row: int, key: str) -> str:
        return self._display(self._rows[row], key)

    # ---- Qt's questions ----------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            key = self._columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return "Metrics" if key == METRICS_TEXT else column_header(key)
            if role == Qt.ItemDataRole.ToolTipRole:
                return key
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, key = self._rows[index.row()], self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, key)
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            return STATUS_COLOURS.get(row.status)
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("id", "duration"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # ---- inside ------------------------------------------------------------------------
    def _display(self, row: RunRow, key: str) -> str:
        if key == METRICS_TEXT:
            return ", ".join(f"{k}={v:.4g}" for k, v in row.metrics.items())
        if key == "duration":
            seconds = row.duration_s
            return "" if seconds is None else f"{seconds:.1f} s"
        if key == "status" and row.id in self._queue:
            return f"queued #{self._queue[row.id]}"
        read = self._getters.get(key)
        if read is None:
            read = self._getters[key] = getter(key)
        return _text(read(row))

    def _refill(self) -> None:
        rows = self._filter.apply(self._all)
        if self._status:
            rows = [r for r in rows if r.status == self._status]
        if self._sort is not None and self._sort[0] != METRICS_TEXT:
            rows = sort_rows(rows, *self._sort)
        if [r.id for r in rows] == [r.id for r in self._rows]:
            self._rows = rows
            if rows:  # same runs in the same order: repaint values, keep selection and scroll
                last = self.index(len(rows) - 1, len(self._columns) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()
