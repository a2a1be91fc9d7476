"""Deployments page: exported bundles, checked against their manifests on request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from modelyard.gui import tasks
from modelyard.gui.pages.base import Page
from modelyard.gui.widgets import fill_table, make_table, selected_key

if TYPE_CHECKING:
    from modelyard.store.entities import Deployment


class DeploymentsPage(Page):
    title = "Deployments"
    guide_step = 4
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
        self.serve_button = QPushButton("Test-serve")
        self.serve_button.setToolTip(
            "Start the bundle's app on 127.0.0.1, send the first rows of its dataset, then stop it"
        )
        self.serve_button.clicked.connect(self.test_serve_selected)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop_test_serve)
        self.stop_button.setEnabled(False)
        self.actions_layout.addWidget(self.verify_button)
        self.actions_layout.addWidget(self.serve_button)
        self.actions_layout.addWidget(self.stop_button)
        self.actions_layout.addWidget(self.open_button)
        self.serve_task: tasks.Task | None = None
        self.exchanges = make_table(("Request", "Rows", "Status", "Latency (ms)", "Answer"))
        self.table = make_table(("Model", "Folder", "Files", "Size", "Exported"))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setObjectName("verifyResult")
        lower = QWidget()
        layout = QVBoxLayout(lower)
        layout.addWidget(self.result)
        layout.addWidget(self.exchanges, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        self.set_content(splitter)
        self._deployments: dict[int, Deployment] = {}
        self._verify_task = None
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
        self.verify_button.setEnabled(has and self._verify_task is None)
        self.open_button.setEnabled(has)
        self.serve_button.setEnabled(has and self.serve_task is None)

    def verify_selected(self) -> None:
        deployment = self.selected()
        if deployment is None:
            return
        from modelyard.deploy.bundle import verify_bundle

        self.verify_button.setEnabled(False)
        self.result.setText(f"Checking {deployment.path}…")
        self._verify_task = tasks.start(
            lambda _progress: verify_bundle(Path(deployment.path)),
            on_success=lambda result: self._show_result(result.describe(), ok=result.ok),
            on_failure=lambda message: self._show_result(message, ok=False),
            on_finished=self._verify_finished,
        )

    def _verify_finished(self) -> None:
        self._verify_task = None
        self._selection_changed()

    @property
    def verifying(self) -> bool:
        return self._verify_task is not None

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

    # ---- test-serve -----------------------------------------------------------------------
    def test_serve_selected(self) -> None:
        deployment = self.selected()
        if deployment is None or self.serve_task is not None:
            return
        from modelyard.deploy.testserve import records_for, serve_and_probe

        store = self.store
        version = deployment.model_version
        log_dir = Path(store.home) / "test-serve-logs" if store.home else None

        def work(progress):
            records = records_for(store, version)
            return serve_and_probe(Path(deployment.path), records, log_dir, progress)

        fill_table(self.exchanges, [], [])
        self._show_result(f"Starting {version.label} on 127.0.0.1…", ok=True)
        self.serve_task = tasks.start(
            work,
            on_success=self._served,
            on_failure=lambda message: self._show_result(message, ok=False),
            on_progress=lambda _f, message: self.result.setText(message + "…"),
            on_finished=self._serve_finished,
        )
        self.stop_button.setEnabled(True)
        self._selection_changed()

    def stop_test_serve(self) -> None:
        if self.serve_task is not None:
            self.serve_task.cancel()

    def _served(self, report) -> None:
        import json

        rows = [
            (i + 1, e.rows, e.status, round(e.latency_ms, 1), json.dumps(e.answer)[:300])
            for i, e in enumerate(report.exchanges)
        ]
        fill_table(self.exchanges, rows, list(range(len(rows))), select_first=False)
        ok = all(e.status == 200 for e in report.exchanges)
        self._show_result(report.describe(), ok=ok)

    def _serve_finished(self) -> None:
        self.serve_task = None
        self.stop_button.setEnabled(False)
        self._selection_changed()
