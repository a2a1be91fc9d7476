"""Deployments page: exported bundles, checked against their manifests on request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from modelyard.errors import ModelyardError
from modelyard.gui.pages.base import Page
from modelyard.gui.widgets import fill_table, make_table, selected_key

if TYPE_CHECKING:
    from modelyard.store.entities import Deployment


class DeploymentsPage(Page):
    title = "Deployments"
    empty_title = "No bundles exported yet"
    empty_hint = (
        "Select a model version on the Models page and press Export bundle…\n"
        "A bundle is a folder with the model, a FastAPI app, a Dockerfile and a checksummed manifest."
    )

    def __init__(self, store=None, parent=None) -> None:
        super().__init__(store, parent)
        self.verify_button = QPushButton("Verify")
        self.verify_button.clicked.connect(self.verify_selected)
        self.open_button = QPushButton("Open folder")
        self.open_button.clicked.connect(self._open_selected)
        self.actions_layout.addWidget(self.verify_button)
        self.actions_layout.addWidget(self.open_button)
        self.table = make_table(("Model", "Folder", "Files", "Size", "Exported"))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setObjectName("verifyResult")
        lower = QWidget()
        layout = QVBoxLayout(lower)
        layout.addWidget(self.result)
        layout.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        self.set_content(splitter)
        self._deployments: dict[int, Deployment] = {}
        self._selection_changed()

    def load(self) -> None:
        from modelyard.deploy.bundle import list_deployments

        deployments = list_deployments(self.store)
        self._deployments = {d.id: d for d in deployments}
        rows = [
            (
                d.model_version.label,
                d.path,
                d.n_files,
                f"{d.size / 1e6:.1f} MB",
                f"{d.created_at:%Y-%m-%d %H:%M}",
            )
            for d in deployments
        ]
        fill_table(self.table, rows, [d.id for d in deployments])
        self.show_empty(not deployments)
        self._selection_changed()

    def selected(self) -> Deployment | None:
        key = selected_key(self.table)
        return self._deployments.get(key) if key is not None else None

    def _selection_changed(self) -> None:
        has = self.selected() is not None
        self.verify_button.setEnabled(has)
        self.open_button.setEnabled(has)

    def verify_selected(self) -> None:
        deployment = self.selected()
        if deployment is None:
            return
        from modelyard.deploy.bundle import verify_bundle

        try:
            result = verify_bundle(Path(deployment.path))
        except ModelyardError as exc:
            self._show_result(str(exc), ok=False)
            return
        self._show_result(result.describe(), ok=result.ok)

    def _show_result(self, text: str, ok: bool) -> None:
        self.result.setProperty("ok", ok)
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)
        self.result.setText(("✔ " if ok else "✘ ") + text)

    def _open_selected(self) -> None:
        deployment = self.selected()
        if deployment is not None:
            path = Path(deployment.path)
            folder = path if path.is_dir() else path.parent  # an archive opens its folder
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
