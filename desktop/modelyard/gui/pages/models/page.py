"""Models page: registered models and their versions, and the way out to a bundle."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from modelyard.cli.format import metrics_text
from modelyard.errors import ModelyardError
from modelyard.gui.pages.base import Page
from modelyard.gui.pages.models.model_detail import ModelDetail
from modelyard.gui.widgets import fill_table, make_table, selected_key

if TYPE_CHECKING:
    from modelyard.store.entities import ModelVersion


class ModelsPage(Page):
    title = "Models"
    guide_step = 3
    empty_title = "No registered models yet"
    empty_hint = (
        "Select a finished run on the Runs page and press Register model… to keep its model here.\n"
        "Registering the same name again adds version 2, 3, …"
    )
    export_requested = Signal(object)  # ModelVersion
    export_archive_requested = Signal(object)  # ModelVersion
    evaluate_requested = Signal(object)  # ModelVersion
    monitor_requested = Signal(object)  # ModelVersion

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.export_button = QPushButton("Export bundle…")
        self.export_button.clicked.connect(self._request_export)
        self.actions_layout.addWidget(self.export_button)
        self.archive_button = QPushButton("Export .tar.gz…")
        self.archive_button.clicked.connect(self._request_archive)
        self.actions_layout.addWidget(self.archive_button)
        self.sign_box = QCheckBox("Sign")
        self.sign_box.setToolTip(
            "Sign exported bundles with your key, so that `modelyard bundle verify --key` "
            "catches a file changed and re-hashed. Share the public key with `modelyard bundle key`."
        )
        self.quantize_box = QComboBox()
        for text, value in (
            ("Full precision", None),
            ("Quantize int8", "int8"),
            ("Quantize float16", "float16"),
        ):
            self.quantize_box.addItem(text, value)
        self.quantize_box.setToolTip(
            "Ship a smaller ONNX model: both are scored on the version's holdout, and an export "
            "whose metric drops past the tolerance (or that would not shrink) is refused with "
            "the figures (`modelyard export --quantize` does the same)."
        )
        # the export's options sit on their own row: the actions bar must fit a 1,280 px screen
        options = QWidget()
        options_row = QHBoxLayout(options)
        options_row.setContentsMargins(0, 0, 0, 0)
        options_row.addWidget(QLabel("Export options:"))
        options_row.addWidget(self.sign_box)
        options_row.addWidget(self.quantize_box)
        options_row.addStretch(1)
        self.evaluate_button = QPushButton("Evaluate…")
        self.evaluate_button.clicked.connect(self._request_evaluation)
        self.actions_layout.addWidget(self.evaluate_button)
        self.monitor_button = QPushButton("Monitor…")
        self.monitor_button.clicked.connect(self._request_monitoring)
        self.actions_layout.addWidget(self.monitor_button)
        self.alias_button = QPushButton("Set alias…")
        self.alias_button.clicked.connect(self._ask_alias)
        self.actions_layout.addWidget(self.alias_button)
        self.rollback_button = QPushButton("Roll back production")
        self.rollback_button.clicked.connect(self.rollback_production)
        self.actions_layout.addWidget(self.rollback_button)
        self.card_button = QPushButton("Export model card…")
        self.card_button.clicked.connect(self._ask_card)
        self.actions_layout.addWidget(self.card_button)
        self.table = make_table(
            (
                "Model",
                "Version",
                "Aliases",
                "Kind",
                "Task",
                "Trained on",
                "Run",
                "Metrics",
                "Registered",
                "Alerts",
            )
        )
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.detail = ModelDetail()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setSizes([300, 300])
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(options)
        body_layout.addWidget(splitter, 1)
        self.set_content(body)
        self._versions: dict[int, ModelVersion] = {}
        self._read_ahead: dict = {}
        self._update_buttons()

    def read(self):
        from modelyard.monitoring.rules import open_alert_counts
        from modelyard.registry.aliases import all_aliases
        from modelyard.registry.details import version_details
        from modelyard.registry.service import list_models

        store, selected = self.store, self.selected_version()

        def work():
            versions = [v for m in list_models(store) for v in reversed(m.versions)]
            details = {}  # the detail the page shows first, read here rather than after
            first = versions[0] if versions else None
            wanted = {selected.id if selected else None, first.id if first else None}
            for version in (v for v in versions if v.id in wanted):
                try:
                    details[version.id] = version_details(store, version)
                except ModelyardError:
                    pass  # shown, with its message, when selected
            return versions, all_aliases(store), open_alert_counts(store), details

        return work

    def show_data(self, data) -> None:
        versions, by_version, alerts, self._read_ahead = data
        self._versions = {v.id: v for v in versions}
        rows = [
            (
                v.model_name,
                v.version,
                ", ".join(by_version.get(v.id, [])),
                v.model_kind,
                v.task,
                v.dataset.label if v.dataset else "-",
                v.run_id,
                metrics_text(v.metrics),
                f"{v.created_at:%Y-%m-%d %H:%M}",
                f"⚠ {alerts[v.id]}" if alerts.get(v.id) else "",
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
        version = self.selected_version()
        for button in (
            self.export_button,
            self.archive_button,
            self.alias_button,
            self.rollback_button,
            self.evaluate_button,
            self.monitor_button,
            self.card_button,
        ):
            button.setEnabled(version is not None)
        self._show_detail(version)

    def _show_detail(self, version: ModelVersion | None) -> None:
        if version is None or self.store is None:
            self.detail.show_details(None)
            return
        from modelyard.registry.details import version_details

        try:
            details = self._read_ahead.pop(version.id, None)
            self.detail.show_details(details or version_details(self.store, version))
        except ModelyardError as exc:
            self.detail.show_details(None)
            self.message.emit(str(exc), True)

    def _ask_alias(self) -> None:
        from modelyard.registry.aliases import STANDARD_ALIASES

        version = self.selected_version()
        if version is None:
            return
        alias, ok = QInputDialog.getItem(
            self,
            "Set alias",
            f"Point this alias at {version.label} (type any name for a custom alias):",
            list(STANDARD_ALIASES),
            1,
            True,
        )
        if ok and alias:
            self.set_alias(alias)

    def set_alias(self, alias: str) -> None:
        from modelyard.registry.aliases import set_alias

        version = self.selected_version()
        if version is None:
            return
        try:
            change = set_alias(self.store, version.model_name, alias, version.version)
        except ModelyardError as exc:
            self.message.emit(str(exc), True)
            return
        self.message.emit(change.describe(), False)
        self.refresh()

    def rollback_production(self) -> None:
        from modelyard.registry.aliases import rollback

        version = self.selected_version()
        if version is None:
            return
        try:
            change = rollback(self.store, version.model_name)
        except ModelyardError as exc:
            self.message.emit(str(exc), True)
            return
        self.message.emit(change.describe(), False)
        self.refresh()

    def _ask_card(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from modelyard.registry.card import notes

        version = self.selected_version()
        if version is None:
            return
        current = notes(self.store, version)["intended_use"] or ""
        text, ok = QInputDialog.getMultiLineText(
            self, "Model card", f"Intended use of {version.label} (kept with it):", current
        )
        if not ok:
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder for the model card")
        if folder:
            self.export_card(Path(folder), text)

    def export_card(self, folder: Path, intended_use: str | None = None) -> Path | None:
        """Write the selected version's card (Markdown and HTML) into `folder`."""
        from modelyard.registry.card import model_card, set_notes

        version = self.selected_version()
        if version is None:
            return None
        try:
            if intended_use is not None:
                set_notes(self.store, version, intended_use)
            stem = f"{version.model_name}-v{version.version}-card"
            md, page = model_card(self.store, version).write(folder, stem)
        except (ModelyardError, OSError) as exc:
            self.message.emit(str(exc), True)
            return None
        self.message.emit(
            f"Wrote the model card of {version.label}: {md.name} and {page.name}.", False
        )
        return md

    def _request_export(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.export_requested.emit(version)

    def _request_archive(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.export_archive_requested.emit(version)

    def _request_evaluation(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.evaluate_requested.emit(version)

    def _request_monitoring(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.monitor_requested.emit(version)
