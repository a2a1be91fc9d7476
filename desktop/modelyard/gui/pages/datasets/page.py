"""Datasets page: every imported version, its columns, and where a run starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QPushButton, QSplitter, QTabWidget

from modelyard.errors import ModelyardError
from modelyard.gui.pages.base import Page, dropped_files
from modelyard.gui.pages.datasets.profile_panel import ProfilePanel
from modelyard.gui.pages.datasets.rows_view import RowsView
from modelyard.gui.widgets import ProgressStrip, fill_table, make_table, select_row, selected_key

if TYPE_CHECKING:
    from modelyard.store.entities import DatasetVersion


class DatasetsPage(Page):
    title = "Datasets"
    guide_step = 1
    empty_title = "No datasets yet"
    empty_hint = (
        "Drop a CSV or Parquet file anywhere on this window, or press Import… to choose one.\n"
        "Each file becomes a versioned dataset you can train models on."
    )
    files_dropped = Signal(list)
    import_requested = Signal()
    new_run_requested = Signal(object)  # DatasetVersion
    sample_requested = Signal()

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.setAcceptDrops(True)
        self.sample_button = self.empty.add_button("Try the sample dataset (customer churn)")
        self.sample_button.setToolTip(
            "2,000 customers of a telecom company and whether they left: a classification "
            "dataset to train a first model on"
        )
        self.sample_button.clicked.connect(self.sample_requested)
        self.import_button = QPushButton("Import…")
        self.import_button.clicked.connect(self.import_requested)
        self.new_run_button = QPushButton("New run…")
        self.new_run_button.setEnabled(False)
        self.new_run_button.clicked.connect(self._request_run)
        self.privacy = QComboBox()
        for label, action in (
            ("keep", "keep"),
            ("mask", "mask"),
            ("hash", "hash"),
            ("drop", "drop"),
        ):
            self.privacy.addItem(label, action)
        self.privacy.setToolTip(
            "What to do at import with columns that look like e-mail addresses, phone, "
            "credit card or IBAN numbers"
        )
        self.review_check = QCheckBox("Review before import")
        self.review_check.setToolTip(
            "Preview the first rows and change column types or roles before each file is saved"
        )
        self.actions_layout.addWidget(self.review_check)
        self.actions_layout.addWidget(QLabel("Personal data:"))
        self.actions_layout.addWidget(self.privacy)
        self.diff_button = QPushButton("Compare…")
        self.diff_button.clicked.connect(self._compare)
        self.delete_button = QPushButton("Delete version…")
        self.delete_button.clicked.connect(self._delete)
        self.diff_dialog = None
        self.actions_layout.addWidget(self.diff_button)
        self.actions_layout.addWidget(self.delete_button)
        self.actions_layout.addWidget(self.import_button)
        self.actions_layout.addWidget(self.new_run_button)
        self.progress = ProgressStrip()
        self.body.insertWidget(0, self.progress)

        self.versions = make_table(
            ("Dataset", "Version", "Rows", "Columns", "Source", "sha256", "Imported")
        )
        self.versions.itemSelectionChanged.connect(self._show_columns)
        self.versions.doubleClicked.connect(self._request_run)
        self.columns = make_table(("Column", "Type", "Missing values", "Distinct values"))
        self.columns.itemSelectionChanged.connect(self._show_column_profile)
        self.profile_panel = ProfilePanel()
        self.profile_panel.add_rule_button.clicked.connect(self._add_rule)
        self.rule_dialog = None
        self._profile: dict | None = None
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.columns)
        lower.addWidget(self.profile_panel)
        lower.setSizes([500, 500])
        self.rows_view = RowsView()
        self.rows_view.message.connect(self.message)
        self.tabs = QTabWidget()
        self.tabs.addTab(lower, "Columns and profile")
        self.tabs.addTab(self.rows_view, "Rows")
        self.tabs.currentChanged.connect(self._show_rows)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.versions)
        splitter.addWidget(self.tabs)
        splitter.setSizes([300, 300])
        self.set_content(splitter)
        self._by_id: dict[int, DatasetVersion] = {}
        self._read_ahead: dict[int, tuple] = {}

    def read(self):
        from modelyard.datasets.profile import get_profile
        from modelyard.datasets.service import list_datasets
        from modelyard.datasets.validation import stored_report

        store, selected = self.store, self.selected_version()

        def work():
            versions = [v for d in list_datasets(store) for v in reversed(d.versions)]
            first = versions[0] if versions else None
            shown = {}  # the profile the page shows first, read here rather than after
            wanted = {selected.id if selected else None, first.id if first else None}
            for version in (v for v in versions if v.id in wanted):
                try:
                    shown[version.id] = (get_profile(store, version), stored_report(store, version))
                except ModelyardError:
                    pass  # said, with its message, when the version is shown
            return versions, shown

        return work

    def show_data(self, data) -> None:
        versions, self._read_ahead = data
        self._by_id = {v.id: v for v in versions}
        rows = [
            (
                v.dataset_name,
                v.version,
                v.n_rows,
                v.n_cols,
                v.source_name,
                v.content_hash[:12],
                f"{v.created_at:%Y-%m-%d %H:%M}",
            )
            for v in versions
        ]
        fill_table(self.versions, rows, [v.id for v in versions])
        self.show_empty(not versions)
        self._show_columns()

    def selected_version(self) -> DatasetVersion | None:
        key = selected_key(self.versions)
        return self._by_id.get(key) if key is not None else None

    def select_version(self, version_id: int) -> None:
        for row in range(self.versions.rowCount()):
            if self.versions.item(row, 0).data(Qt.ItemDataRole.UserRole) == version_id:
                select_row(self.versions, row)
                return

    def _show_columns(self) -> None:
        version = self.selected_version()
        self.new_run_button.setEnabled(version is not None)
        self.diff_button.setEnabled(version is not None)
        self.delete_button.setEnabled(version is not None)
        columns = version.columns if version else ()
        rows = [(c.name, c.kind, "yes" if c.nullable else "no", c.n_unique) for c in columns]
        self._profile, report = None, None
        if version is not None:
            self._profile, report = self._read_ahead.pop(version.id, None) or self._read_profile(
                version
            )
        self.profile_panel.show_dataset(self._profile)
        worth_showing = report and (report.get("rules") or report["failures"])
        self.profile_panel.show_validation(report if worth_showing else None)
        fill_table(self.columns, rows, [c.name for c in columns], select_first=False)
        self._show_column_profile()
        self._show_rows()

    def _show_rows(self) -> None:
        if self.tabs.currentWidget() is self.rows_view:
            try:
                self.rows_view.show_version(self.store, self.selected_version())
            except ModelyardError as exc:
                self.message.emit(str(exc), True)

    def _read_profile(self, version) -> tuple[dict | None, dict | None]:
        from modelyard.datasets.profile import get_profile
        from modelyard.datasets.validation import stored_report

        return get_profile(self.store, version), stored_report(self.store, version)

    def _add_rule(self) -> None:
        from modelyard.gui.pages.datasets.rule_dialog import RuleDialog

        version, column = self.selected_version(), selected_key(self.columns)
        if version is None or column is None or self._profile is None:
            return
        stats = self._profile["column_stats"].get(column, {})
        self.rule_dialog = RuleDialog(self.store, version, column, stats, self)
        self.rule_dialog.accepted.connect(lambda: self._rule_added(version))
        self.rule_dialog.open()

    def _rule_added(self, version) -> None:
        from modelyard.datasets.validation import report_lines

        report = self.rule_dialog.report
        self.profile_panel.show_validation(report)
        self.message.emit(
            f"{version.label}: " + "\n".join(report_lines(report)), bool(report["failures"])
        )

    def privacy_choice(self) -> dict[str, str]:
        """The import option for columns that look personal: {'*': action}."""
        return {"*": self.privacy.currentData()}

    def _show_column_profile(self) -> None:
        self.profile_panel.show_column(selected_key(self.columns), self._profile)

    def _compare(self) -> None:
        from modelyard.gui.pages.datasets.version_actions import open_diff

        if (version := self.selected_version()) is not None:
            open_diff(self, version)

    def _delete(self) -> None:
        from modelyard.gui.pages.datasets.version_actions import delete_selected

        if (version := self.selected_version()) is not None:
            delete_selected(self, version)

    def _request_run(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.new_run_requested.emit(version)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = dropped_files(event)
        if files:
            event.acceptProposedAction()
            self.files_dropped.emit(files)
