"""Runs page: experiments, a runs table for any number of runs, one run's detail or a comparison.

The table loads every run in one light query off the GUI thread; while runs train, each store
change re-reads only the runs that were still going, so a table of 10,000 runs follows live
runs at the cost of a few.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from modelyard.gui import tasks
from modelyard.gui.pages.base import Page
from modelyard.gui.pages.runs.run_detail import RunDetail
from modelyard.gui.pages.runs.runs_model import METRICS_TEXT, RunsTableModel
from modelyard.gui.widgets import select_row
from modelyard.tracking.run_table import BASE_COLUMNS, DEFAULT_COLUMNS, HELP, column_header

if TYPE_CHECKING:
    from modelyard.store.entities import Run

COLUMNS_SETTING = "gui.runs.columns"
STATUSES = ("queued", "running", "finished", "failed", "cancelled")
FULL_RELOAD_S = 10.0  # also re-read finished runs now and then (tags or notes set elsewhere)


class RunsPage(Page):
    title = "Runs"
    guide_step = 2
    empty_title = "No runs yet"
    empty_hint = (
        "Pick a dataset on the Datasets page and press New run… to train a model, or press "
        "Run script… to run your own Python script as a tracked job.\n"
        "Runs started from the command line (`modelyard train …`, `modelyard run script.py`) "
        "and from scripts or notebooks that call modelyard.start_run() appear here too."
    )
    new_run_requested = Signal()
    run_script_requested = Signal()
    register_requested = Signal(object)  # Run
    cancel_requested = Signal(object)  # Run
    rerun_requested = Signal(object)  # Run
    ALL = "All experiments"

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.new_button = QPushButton("New run…")
        self.new_button.clicked.connect(self.new_run_requested)
        self.script_button = QPushButton("Run script…")
        self.script_button.setToolTip("Run your own Python script as a tracked job")
        self.script_button.clicked.connect(self.run_script_requested)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(lambda: self._emit_for_selected(self.cancel_requested))
        self.register_button = QPushButton("Register model…")
        self.register_button.clicked.connect(
            lambda: self._emit_for_selected(self.register_requested)
        )
        self.rerun_button = QPushButton("Re-run")
        self.rerun_button.setToolTip(
            "Run again from this run's record: same data, model, params and seed, or the same "
            "script with the same arguments"
        )
        self.rerun_button.clicked.connect(lambda: self._emit_for_selected(self.rerun_requested))
        for button in (
            self.new_button,
            self.script_button,
            self.stop_button,
            self.rerun_button,
            self.register_button,
        ):
            self.actions_layout.addWidget(button)

        self.experiments = QListWidget()
        self.experiments.setObjectName("experiments")
        self.experiments.setMinimumWidth(150)
        self.experiments.currentItemChanged.connect(lambda *_: self._experiment_changed())

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(
            "Filter: accuracy > 0.9, params.C = 1, tags.team = vision, status = failed, or words"
        )
        self.filter_edit.setToolTip(HELP)
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.status_box = QComboBox()
        self.status_box.addItems(["Any status", *STATUSES])
        self.status_box.currentIndexChanged.connect(self._filter_changed)
        self.columns_button = QToolButton()
        self.columns_button.setText("Columns")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_menu = QMenu(self.columns_button)
        self.columns_menu.aboutToShow.connect(self._fill_columns_menu)
        self.columns_button.setMenu(self.columns_menu)
        self.count_label = QLabel()
        self.filter_error = QLabel()
        self.filter_error.setObjectName("formError")
        self.filter_error.hide()
        tools = QHBoxLayout()
        tools.addWidget(self.filter_edit, 1)
        tools.addWidget(self.status_box)
        tools.addWidget(self.columns_button)
        tools.addWidget(self.count_label)

        self.model = RunsTableModel(list(DEFAULT_COLUMNS) + [METRICS_TEXT], self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # newest first until a click
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(60)  # fit widths to a sample, not to 10,000 rows
        header.setStretchLastSection(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda pos: self._column_menu().exec(header.mapToGlobal(pos))
        )
        self.table.setToolTip("Select two or more runs (Ctrl or Shift) to compare them")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_detail())

        self.detail = RunDetail()
        self.detail.message.connect(self.message)
        self.compare_view = None  # made on the first comparison
        self.nothing = QLabel(
            "Select a run to see its parameters, metrics, charts, log and artifacts; "
            "select several to compare them."
        )
        self.nothing.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.nothing.setObjectName("emptyHint")
        self.lower = QStackedWidget()
        self.lower.addWidget(self.nothing)
        self.lower.addWidget(self.detail)

        table_area = QWidget()
        table_layout = QVBoxLayout(table_area)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addLayout(tools)
        table_layout.addWidget(self.filter_error)
        table_layout.addWidget(self.table, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(table_area)
        right.addWidget(self.lower)
        right.setSizes([330, 330])
        outer = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(self.experiments)
        outer.addWidget(right)
        outer.setSizes([170, 900])
        self.set_content(outer)

        self._loader = tasks.Latest(self._read_all, self._loaded)
        # the poll between full reads (has anything changed? the active runs' rows) also runs
        # in the pool: under many writing processes even these small reads stalled the window
        self._poller = tasks.Latest(self._read_poll, self._polled)
        self._fingerprint: tuple[int, int] | None = None
        self._experiment_loaded: object = ()  # nothing yet
        self._active: set[int] = set()
        self._last_full = float("-inf")
        self._columns_read = False
        self._entities: dict[int, Run] = {}
        self._restore: list[int] = []
        self._update_buttons([])

    # ---- loading -------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        """A read of the table or of the detail is under way (tests wait for it to settle)."""
        comparing = self.compare_view is not None and self.compare_view.busy
        return self._loader.busy or self._poller.busy or self.detail.busy or comparing

    def experiment(self) -> str | None:
        item = self.experiments.currentItem()
        name = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return name or None

    def load(self) -> None:
        if not self._columns_read:
            self._columns_read = True
            self._read_columns()
        experiment = self.experiment()
        now = time.monotonic()
        if experiment != self._experiment_loaded or now - self._last_full > FULL_RELOAD_S:
            self._loader.request()
            return
        self._poller.request()

    def _read_poll(self):
        from modelyard.tracking.run_table import fingerprint, run_rows
        from modelyard.training.queue import waiting

        store, active, known, since = (
            self.store,
            set(self._active),
            self._fingerprint,
            self._last_full,
        )

        def read():
            mark = fingerprint(store)
            if mark != known:
                return since, mark, None, None  # runs were added or deleted: a full read
            if not active:
                return since, mark, [], None
            return since, mark, run_rows(store, ids=active), waiting(store)

        return read

    def _polled(self, result) -> None:
        since, mark, rows, line = result
        if since != self._last_full:
            return  # a full read came back meanwhile: it is newer than this poll
        if rows is None or mark != self._fingerprint:
            self._loader.request()
            return
        self._refresh_active(rows, line)

    def _read_all(self):
        from modelyard.tracking.experiments import list_experiments
        from modelyard.tracking.run_table import fingerprint, run_rows
        from modelyard.training.queue import waiting

        store, experiment = self.store, self.experiment()

        def read():
            mark = fingerprint(store)
            rows = run_rows(store, experiment)
            return experiment, mark, rows, list_experiments(store), waiting(store)

        return read

    def _loaded(self, result) -> None:
        experiment, mark, rows, experiments, line = result
        if experiment != self.experiment():
            self._loader.request()  # the choice changed while reading
            return
        self._experiment_loaded, self._fingerprint = experiment, mark
        self._last_full = time.monotonic()
        self._fill_experiments(experiments)
        self._active = {r.id for r in rows if not r.is_terminal}
        self._entities = {}
        chosen, self._restore = self._restore or self.selected_ids(), []
        self.model.set_queue(line)
        first = self.model.total == 0
        self.model.set_rows(rows)
        if first and rows:
            self._fit_columns()
        self._reselect(chosen)
        self.show_empty(not rows and experiment is None)
        self._update_count()
        self._show_detail()

    def _refresh_active(self, rows, line) -> None:
        """Show the re-read rows of the runs that were queued or running at the last read."""
        if rows:
            self.model.set_queue(line)
            chosen = self.selected_ids()
            self.model.update_rows(rows)
            self._reselect(chosen)
            self._active = {r.id for r in rows if not r.is_terminal}
            for row in rows:
                self._entities.pop(row.id, None)
        self._show_detail()

    def _fill_experiments(self, experiments) -> None:
        wanted = [(self.ALL, None, sum(e.n_runs for e in experiments))]
        wanted += [(e.name, e.name, e.n_runs) for e in experiments]
        current = [
            (
                self.experiments.item(i).text(),
                self.experiments.item(i).data(Qt.ItemDataRole.UserRole),
            )
            for i in range(self.experiments.count())
        ]
        texts = [(f"{label}  ({n})", key) for label, key, n in wanted]
        if current == texts:
            return
        chosen = self.experiment()
        self.experiments.blockSignals(True)
        self.experiments.clear()
        for text, key in texts:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.experiments.addItem(item)
        keys = [key for _t, key in texts]
        self.experiments.setCurrentRow(keys.index(chosen) if chosen in keys else 0)
        self.experiments.blockSignals(False)

    def select_experiment(self, name: str | None) -> None:
        for i in range(self.experiments.count()):
            if self.experiments.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.experiments.setCurrentRow(i)
                return

    def _experiment_changed(self) -> None:
        if self.store is not None:
            self._loader.request()

    # ---- filter, sort, columns -----------------------------------------------------------
    def _filter_changed(self) -> None:
        from modelyard.errors import InvalidInputError
        from modelyard.tracking.run_table import RunFilter, parse_filter

        try:
            run_filter = parse_filter(self.filter_edit.text())
            self.filter_error.hide()
        except InvalidInputError as exc:
            run_filter = RunFilter()
            self.filter_error.setText(str(exc))
            self.filter_error.show()
        status = self.status_box.currentText() if self.status_box.currentIndex() > 0 else None
        chosen = self.selected_ids()
        self.model.set_filter(run_filter, status)
        self._reselect(chosen)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total
        self.count_label.setText(
            f"{total:,} runs" if shown == total else f"{shown:,} of {total:,} runs"
        )

    def _column_menu(self) -> QMenu:
        menu = QMenu(self)
        self._add_column_actions(menu)
        return menu

    def _fill_columns_menu(self) -> None:
        self.columns_menu.clear()
        self._add_column_actions(self.columns_menu)

    def _add_column_actions(self, menu: QMenu) -> None:
        from modelyard.tracking.run_table import available_columns

        shown = self.model.columns
        choices = [k for k in BASE_COLUMNS if k != "id"] + [METRICS_TEXT]
        extra = available_columns(self.model.all_rows)[:40]
        for key in choices + extra:
            if key == METRICS_TEXT:
                label = "Metrics (all, as text)"
            else:
                label = column_header(key) if key in BASE_COLUMNS else key
            action = QAction(label, menu, checkable=True, checked=key in shown)
            action.toggled.connect(lambda on, k=key: self.toggle_column(k, on))
            menu.addAction(action)
            if key == METRICS_TEXT and extra:
                menu.addSeparator()
        if not extra:
            menu.addSeparator()
            menu.addAction("Params and metrics appear here once runs have them").setEnabled(False)

    def toggle_column(self, key: str, on: bool) -> None:
        columns = [c for c in self.model.columns if c != key]
        if on:
            columns.append(key)
        self.set_columns(columns)

    def set_columns(self, columns: list[str]) -> None:
        from modelyard.store.settings import set_setting

        columns = ["id"] + [c for c in columns if c != "id"]
        chosen = self.selected_ids()
        self.model.set_columns(columns)
        self._fit_columns()
        self._reselect(chosen)
        if self.store is not None:
            set_setting(self.store, COLUMNS_SETTING, columns)

    def _fit_columns(self) -> None:
        """Widths from the rows on screen (Qt samples a bounded number of rows), capped so that
        one long value does not push the other columns away."""
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for column in range(self.model.columnCount() - 1):
            header.resizeSection(column, min(header.sectionSize(column), 260))

    def _read_columns(self) -> None:
        from modelyard.store.settings import get_setting

        saved = get_setting(self.store, COLUMNS_SETTING)
        if isinstance(saved, list) and saved and all(isinstance(c, str) for c in saved):
            self.model.set_columns(saved)

    # ---- selection -----------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.run_id(r) for r in rows if self.model.run_id(r) is not None]

    def _reselect(self, ids: list[int]) -> None:
        rows = [r for r in (self.model.row_of(i) for i in ids) if r is not None]
        if [self.model.run_id(r) for r in rows] == self.selected_ids():
            return
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for row in rows:
            selection.select(self.model.index(row, 0), self.model.index(row, last))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.table.selectionModel().blockSignals(True)
        self.table.selectionModel().select(selection, flags)
        self.table.selectionModel().blockSignals(False)
        self.table.viewport().update()

    def select_run(self, run_id: int) -> None:
        row = self.model.row_of(run_id)
        if row is None:
            self._restore = [run_id]  # selected by the next full read, if it shows it
            return
        select_row(self.table, row)
        self.table.scrollTo(self.model.index(row, 0))

    def select_runs(self, ids: list[int]) -> None:
        self._reselect(ids)
        self._show_detail()

    def selected_runs(self) -> list[Run]:
        from modelyard.tracking.runs import runs_by_id

        ids = self.selected_ids()
        missing = [i for i in ids if i not in self._entities]
        if missing and self.store is not None:
            for run in runs_by_id(self.store, missing):
                self._entities[run.id] = run
        return [self._entities[i] for i in ids if i in self._entities]

    def selected_run(self) -> Run | None:
        """The one selected run; None when none or several are selected."""
        chosen = self.selected_runs()
        return chosen[0] if len(chosen) == 1 else None

    def _emit_for_selected(self, signal) -> None:
        run = self.selected_run()
        if run is not None:
            signal.emit(run)

    def _update_buttons(self, runs: list[Run]) -> None:
        run = runs[0] if len(runs) == 1 else None
        self.register_button.setEnabled(
            run is not None and run.model_blob is not None and run.status == "finished"
        )
        # an SDK run lives in the user's own process: it is stopped there, not from here
        self.stop_button.setEnabled(run is not None and not run.is_terminal and run.source != "sdk")
        self.rerun_button.setEnabled(run is not None and run.source != "sdk")

    def _show_detail(self) -> None:
        runs = self.selected_runs() if self.store is not None else []
        self._update_buttons(runs)
        if len(runs) == 1:
            self.lower.setCurrentWidget(self.detail)
            self.detail.show_run(self.store, runs[0])
        elif len(runs) > 1:
            view = self._compare()
            self.lower.setCurrentWidget(view)
            view.show_runs(self.store, runs)
        else:
            self.lower.setCurrentWidget(self.nothing)

    def _compare(self):
        if self.compare_view is None:
            from modelyard.gui.pages.runs.compare_view import CompareView

            self.compare_view = CompareView()
            self.lower.addWidget(self.compare_view)
        return self.compare_view

    # ---- kept for the window and the tests ------------------------------------------------
    @property
    def curves(self):
        return self.detail.curves

    @property
    def system_panel(self):
        return self.detail.system_panel
