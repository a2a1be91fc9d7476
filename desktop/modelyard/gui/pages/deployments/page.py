"""Deployments page: exported bundles, checked against their manifests on request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

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
        # A/B and shadow bundles (exported with --challenger or --shadow)
        self.compare_button = QPushButton("Compare served…")
        self.compare_button.setToolTip(
            "Compare an A/B or shadow bundle's two versions on the labelled traffic they served: "
            "pick the bundle's request log folder (`modelyard monitor compare` does the same)"
        )
        self.compare_button.clicked.connect(self.ask_compare)
        self.promote_button = QPushButton("Promote challenger…")
        self.promote_button.setToolTip("Write a new bundle that serves the challenger alone")
        self.promote_button.clicked.connect(lambda: self.ask_rewrite("promote"))
        self.rollback_button = QPushButton("Roll back…")
        self.rollback_button.setToolTip("Write a new bundle that serves the champion alone")
        self.rollback_button.clicked.connect(lambda: self.ask_rewrite("rollback"))
        for button in (self.compare_button, self.promote_button, self.rollback_button):
            self.actions_layout.addWidget(button)
        self._ab_task = None
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
        routed = has and self._ab_task is None and _routing(self.selected()) is not None
        for button in (self.compare_button, self.promote_button, self.rollback_button):
            button.setEnabled(routed)

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

    # ---- A/B and shadow bundles -----------------------------------------------------------
    @property
    def ab_busy(self) -> bool:
        return self._ab_task is not None

    def ask_compare(self) -> None:
        deployment = self.selected()
        if deployment is None:
            return
        folder = QFileDialog.getExistingDirectory(
            self, "The bundle's request log folder", str(Path(deployment.path))
        )
        if folder:
            self.compare_served(deployment, Path(folder))

    def compare_served(self, deployment: Deployment, folder: Path) -> None:
        from modelyard.monitoring.feedback import stored_labels
        from modelyard.monitoring.served import compare_served
        from modelyard.registry.service import get_model_version

        store, routing = self.store, _routing(deployment)
        champion = deployment.model_version
        other = routing.get("challenger") or routing.get("shadow")

        def work(_progress):
            challenger = get_model_version(store, champion.model_name, int(other["version"]))
            labels = {**stored_labels(store, champion), **stored_labels(store, challenger)}
            return compare_served(folder, champion, challenger, labels)

        def shown(result) -> None:
            kind = "shadow, same rows" if result.mode == "shadow" else "split, each its own rows"
            self._show_result(
                f"{result.champion.label} {result.metric} {result.champion_score:.4g} "
                f"({result.champion_rows:,} labelled rows) vs {result.challenger.label} "
                f"{result.challenger_score:.4g} ({result.challenger_rows:,}), {kind}. "
                + result.verdict,
                ok=True,
            )

        self._start_ab(work, shown, f"Comparing the versions served by {deployment.path}…")

    def ask_rewrite(self, action: str) -> None:
        deployment = self.selected()
        if deployment is None:
            return
        parent = QFileDialog.getExistingDirectory(
            self, "Write the new bundle into folder", str(Path(deployment.path).parent)
        )
        if parent:
            self.rewrite(deployment, action, Path(parent))

    def rewrite(self, deployment: Deployment, action: str, parent: Path) -> None:
        from modelyard.deploy.promote import kept_version, rewrite_bundle

        store, bundle = self.store, Path(deployment.path)

        def work(_progress):
            name, keep = kept_version(bundle, action)
            return rewrite_bundle(store, bundle, action, parent / f"{name}-v{keep}")

        def written(result) -> None:
            what = "Promoted the challenger" if action == "promote" else "Rolled back"
            self._show_result(f"{what}: wrote {result.path} (one version).", ok=True)
            self.refresh()

        self._start_ab(work, written, f"Writing the new bundle from {bundle}…")

    def _start_ab(self, work, on_success, message: str) -> None:
        self._show_result(message, ok=True)
        self._ab_task = tasks.start(
            work,
            on_success=on_success,
            on_failure=lambda text: self._show_result(text, ok=False),
            on_finished=self._ab_finished,
        )
        self._selection_changed()

    def _ab_finished(self) -> None:
        self._ab_task = None
        self._selection_changed()


def _routing(deployment) -> dict | None:
    """The routing of an A/B or shadow bundle (None for a bundle that serves one version)."""
    import json

    if deployment is None:
        return None
    try:
        manifest = json.loads((Path(deployment.path) / "manifest.json").read_text())
    except (OSError, ValueError):
        return None  # an archive, or a bundle moved away: nothing to compare
    routing = manifest.get("routing") if isinstance(manifest, dict) else None
    if isinstance(routing, dict) and (routing.get("challenger") or routing.get("shadow")):
        return routing
    return None
