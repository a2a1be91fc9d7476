"""Models page: registered models and their versions, and the way out to a bundle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton

from modelyard.cli.format import metrics_text
from modelyard.gui.pages.base import Page
from modelyard.gui.widgets import fill_table, make_table, selected_key

if TYPE_CHECKING:
    from modelyard.store.entities import ModelVersion


class ModelsPage(Page):
    title = "Models"
    empty_title = "No registered models yet"
    empty_hint = (
        "Select a finished run on the Runs page and press Register model… to keep its model here.\n"
        "Registering the same name again adds version 2, 3, …"
    )
    export_requested = Signal(object)  # ModelVersion
    export_archive_requested = Signal(object)  # ModelVersion

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.export_button = QPushButton("Export bundle…")
        self.export_button.clicked.connect(self._request_export)
        self.actions_layout.addWidget(self.export_button)
        self.archive_button = QPushButton("Export .tar.gz…")
        self.archive_button.clicked.connect(self._request_archive)
        self.actions_layout.addWidget(self.archive_button)
        self.table = make_table(
            ("Model", "Version", "Kind", "Task", "Trained on", "Run", "Metrics", "Registered")
        )
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.set_content(self.table)
        self._versions: dict[int, ModelVersion] = {}
        self._update_buttons()

    def load(self) -> None:
        from modelyard.registry.service import list_models

        versions = [v for m in list_models(self.store) for v in reversed(m.versions)]
        self._versions = {v.id: v for v in versions}
        rows = [
            (
                v.model_name,
                v.version,
                v.model_kind,
                v.task,
                v.dataset.label,
                v.run_id,
                metrics_text(v.metrics),
                f"{v.created_at:%Y-%m-%d %H:%M}",
            )
            for v in versions
        ]
        fill_table(self.table, rows, [v.id for v in versions])
        self.show_empty(not versions)
        self._update_buttons()

    def selected_version(self) -> ModelVersion | None:
        key = selected_key(self.table)
        return self._versions.get(key) if key is not None else None

    def _update_buttons(self) -> None:
        self.export_button.setEnabled(self.selected_version() is not None)
        self.archive_button.setEnabled(self.selected_version() is not None)

    def _request_export(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.export_requested.emit(version)

    def _request_archive(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.export_archive_requested.emit(version)
