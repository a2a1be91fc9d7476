"""Rows of a stored Parquet version, a page at a time: a table view of any size never loads
the whole file unless it is sorted or filtered (and then only an index and the needed rows)."""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

from modelyard.errors import InvalidInputError

CACHED_GROUPS = 4
COMPARISON = re.compile(r"^\s*(>=|<=|!=|>|<|=)\s*(.+?)\s*$")


class ParquetPager:
    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self._path = path
        self._file = pq.ParquetFile(path, memory_map=True)
        meta = self._file.metadata
        self.columns: list[str] = self._file.schema_arrow.names
        self.total_rows: int = meta.num_rows
        starts, start = [], 0
        for i in range(meta.num_row_groups):
            starts.append(start)
            start += meta.row_group(i).num_rows
        self._starts = starts
        self._groups: OrderedDict[int, object] = OrderedDict()
        self._order = None  # pyarrow int64 array of row numbers shown, or None for all in order
        self._full = None

    @property
    def n_rows(self) -> int:
        return self.total_rows if self._order is None else len(self._order)

    def _group(self, index: int):
        if index in self._groups:
            self._groups.move_to_end(index)
            return self._groups[index]
        table = self._file.read_row_group(index)
        self._groups[index] = table
        if len(self._groups) > CACHED_GROUPS:
            self._groups.popitem(last=False)
        return table

    def _slice(self, start: int, stop: int):
        """Rows start..stop of the file in stored order, reading only their row groups."""
        import bisect

        import pyarrow as pa

        pieces = []
        row = start
        while row < stop:
            g = bisect.bisect_right(self._starts, row) - 1
            group = self._group(g)
            offset = row - self._starts[g]
            length = min(stop - row, group.num_rows - offset)
            pieces.append(group.slice(offset, length))
            row += length
        return pa.concat_tables(pieces) if pieces else self._file.schema_arrow.empty_table()

    def page(self, start: int, length: int) -> list[list]:
        """Rows as lists of Python values, in the current order and filter."""
        start = max(0, start)
        stop = min(self.n_rows, start + length)
        if stop <= start:
            return []
        if self._order is None:
            table = self._slice(start, stop)
        else:
            table = self._full.take(self._order[start:stop])
        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        return [list(row) for row in zip(*columns, strict=True)]

    def plan(
        self,
        sort_column: str | None = None,
        descending: bool = False,
        filter_column: str | None = None,
        filter_text: str = "",
    ):
        """The (row order, whole table) for a sort and filter, or (None, None) for the stored
        order. Touches no state, so a worker thread can compute it while pages are shown."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        if sort_column is None and not (filter_column and filter_text.strip()):
            return None, None
        table = self._full if self._full is not None else pq.read_table(self._path, memory_map=True)
        indices = pa.array(np.arange(self.total_rows, dtype=np.int64))
        if filter_column and filter_text.strip():
            mask = _filter_mask(table.column(filter_column), filter_text)
            indices = pc.filter(indices, mask)
        if sort_column is not None:
            keys = table.column(sort_column).take(indices)
            order = pc.array_sort_indices(
                keys, order="descending" if descending else "ascending", null_placement="at_end"
            )
            indices = indices.take(order)
        return indices, table

    def apply(self, arrangement) -> int:
        order, table = arrangement
        self._order = order
        if table is not None:
            self._full = table
        return self.n_rows

    def arrange(
        self,
        sort_column: str | None = None,
        descending: bool = False,
        filter_column: str | None = None,
        filter_text: str = "",
    ) -> int:
        """Set the order and filter now; returns the number of rows shown."""
        return self.apply(self.plan(sort_column, descending, filter_column, filter_text))


def _filter_mask(column, text: str):
    """`>= 3`, `< 2.5`, `= x`, `!= x` compare; anything else is a case-blind substring."""
    import pyarrow as pa
    import pyarrow.compute as pc

    match = COMPARISON.match(text)
    if match:
        op, raw = match.groups()
        value = raw
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            try:
                value = float(raw)
            except ValueError as exc:
                raise InvalidInputError(f"'{raw}' is not a number to compare with.") from exc
        elif not pa.types.is_string(column.type):
            column = pc.cast(column, pa.string())
        functions = {
            ">=": pc.greater_equal,
            "<=": pc.less_equal,
            ">": pc.greater,
            "<": pc.less,
            "=": pc.equal,
            "!=": pc.not_equal,
        }
        try:
            mask = functions[op](column, value)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as exc:
            raise InvalidInputError(f"This column cannot be compared with '{raw}'.") from exc
    else:
        strings = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
        mask = pc.match_substring(strings, text.strip(), ignore_case=True)
    return pc.fill_null(mask, False)
