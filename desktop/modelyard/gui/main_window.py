"""The main window: a sidebar of pages, a message banner, and the actions that span pages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from modelyard.gui import tasks
from modelyard.gui.lazy_pages import ATTRIBUTES, TITLES, LazyPages
from modelyard.gui.pages.base import Page, dropped_files
from modelyard.gui.widgets import Banner

if TYPE_CHECKING:
    from modelyard.store import Store
    from modelyard.store.entities import ModelVersion, Run


SIDEBAR_ICONS = {  # Qt's own standard icons: they follow the platform's icon theme
    "Datasets": "SP_DriveHDIcon",
    "Runs": "SP_MediaPlay",
    "Sweeps": "SP_BrowserReload",
    "Models": "SP_DialogSaveButton",
    "Evaluation": "SP_DialogApplyButton",
    "Deployments": "SP_ArrowUp",
    "Monitoring": "SP_MessageBoxWarning",
    "Resources": "SP_ComputerIcon",
    "Costs": "SP_FileDialogDetailedView",
    "Settings": "SP_FileDialogContentsView",
}


def sidebar_icon(widget, title: str):
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QStyle

    name = SIDEBAR_ICONS.get(title)
    if name is None:
        return QIcon()
    return widget.style().standardIcon(getattr(QStyle.StandardPixmap, name))


class MainWindow(QMainWindow):
    """The window can paint before the store is open (start-up speed); `attach_store` fills it."""

    def __init__(self, store: Store | None = None) -> None:
        super().__init__()
        self.store: Store | None = None
        self.store_error: str | None = None
        self.supervisor = None
        self.setWindowTitle("Modelyard")
        self.resize(1180, 760)
        self.setAcceptDrops(True)
        self._import_queue: list[tuple[Path, str | None]] = []
        self._import_task: tasks.Task | None = None
        self._import_batch = None
        self._export_task: tasks.Task | None = None

        self.resource_feed = None
        self._snapshots: list = []  # machine samples taken before the Resources page exists
        self._budgets_checked = float("-inf")
        self._sweep_processes: list = []  # driver processes started here, reaped when they end
        self._budget_states: dict[str, str] = {}
        self._closed = False
        self.monitor_watcher = None
        self.tray = None
        self._alert_count = 0

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(180)
        self.sidebar.setIconSize(QSize(20, 20))
        self.stack = QStackedWidget()
        self._pages = LazyPages(self.stack, self._page_built)
        for title in TITLES:
            self.sidebar.addItem(QListWidgetItem(sidebar_icon(self, title), title))

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.banner = Banner(self.stack)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Opening the store…")
        self.resource_indicator = QLabel()
        self.resource_indicator.setObjectName("resourceIndicator")
        self.statusBar().addPermanentWidget(self.resource_indicator)
        self._build_menu()
        from modelyard.gui import window_state

        window_state.restore(self)
        last = window_state.last_page()
        self.sidebar.setCurrentRow(TITLES.index(last) if last in TITLES else 0)
        self._page_changed(self.sidebar.currentRow())  # builds the first page (no store yet)
        self.sidebar.currentRowChanged.connect(self._page_changed)
        if store is not None:
            self.attach_store(store)

    def store_failed(self, reason: str) -> None:
        self.store_error = f"Modelyard cannot open its store: {reason}"
        self.statusBar().showMessage("No store")
        self.notify(self.store_error, True)

    def _need_store(self) -> bool:
        """True when the store is open; otherwise say why nothing can happen yet."""
        if self.store is not None:
            return True
        self.notify(self.store_error or "The store is still opening; try again in a moment.", True)
        return False

    def attach_store(self, store: Store) -> None:
        from modelyard.gui.supervisor import Supervisor

        self.store = store
        for page in self._pages.built():
            page.store = store
        self.supervisor = Supervisor(store, self)
        self.supervisor.store_changed.connect(self.refresh_current)
        self.supervisor.store_changed.connect(self.check_budgets)
        self.supervisor.run_ended.connect(self._run_ended)
        self.statusBar().showMessage(f"Store: {store.home or store.url}")
        # After the store's data is on screen: sampling and chart imports wait their turn.
        QTimer.singleShot(400, self, self._start_background_work)
        self.refresh_current()

    def _start_background_work(self) -> None:
        from modelyard.gui.charts import preload_in_background

        if self.resource_feed is None:
            self.start_resource_feed()
        if self.monitor_watcher is None and not self._closed:
            from modelyard.gui.pages.monitoring.watcher import MonitorWatcher

            self.monitor_watcher = MonitorWatcher(lambda: self.monitoring_page, self, self.store)
            self.monitor_watcher.start()
        QTimer.singleShot(300, preload_in_background)

    def start_resource_feed(self, interval_ms: int = 1000, gpus=None) -> None:
        from modelyard.gui.resource_feed import ResourceFeed

        if self._closed:
            return
        if self.resource_feed is not None:
            self.resource_feed.shutdown()
        self.resource_feed = ResourceFeed(self.store, interval_ms, gpus, self)
        self.resource_feed.sampled.connect(self._sampled)
        self.resource_feed.sampled.connect(
            lambda snapshot: self.resource_indicator.setText(snapshot.summary())
        )
        self.resource_feed.start()

    def _sampled(self, snapshot) -> None:
        if self._pages.is_built("resources_page"):
            self.resources_page.add_snapshot(snapshot)
        else:
            from modelyard.gui.pages.resources.page import HISTORY

            self._snapshots = [*self._snapshots[-(HISTORY - 1) :], snapshot]

    # ---- navigation -------------------------------------------------------------------
    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        import_action = QAction("&Import…", self, shortcut=QKeySequence.StandardKey.Open)
        import_action.triggered.connect(self.choose_files_to_import)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(import_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        from modelyard.gui.help_menu import add_actions

        self.shortcuts = add_actions(self)

    # ---- pages ----------------------------------------------------------------------------
    @property
    def pages(self) -> list[Page]:
        """Every page, in sidebar order (builds those not yet shown)."""
        return self._pages.all()

    def _page_built(self, attribute: str, page: Page) -> None:
        from modelyard.gui import window_state

        page.store = self.store
        page.message.connect(self.notify)
        wire = getattr(self, f"_wire_{attribute}", None)
        if wire is not None:
            wire(page)
        window_state.restore_splitters(page)

    def _wire_datasets_page(self, page) -> None:
        page.files_dropped.connect(self.import_files)
        page.import_requested.connect(self.choose_files_to_import)
        page.new_run_requested.connect(self.open_new_run_dialog)
        page.progress.cancel_requested.connect(self.cancel_import)
        page.sample_requested.connect(self.import_sample)

    def _wire_runs_page(self, page) -> None:
        page.new_run_requested.connect(
            lambda: self.open_new_run_dialog(self.datasets_page.selected_version())
        )
        page.run_script_requested.connect(self.open_run_script_dialog)
        page.register_requested.connect(self.ask_register)
        page.cancel_requested.connect(self.cancel_run)
        page.rerun_requested.connect(self.rerun)

    def _wire_sweeps_page(self, page) -> None:
        page.new_sweep_requested.connect(self.open_new_sweep_dialog)

    def _wire_models_page(self, page) -> None:
        page.export_requested.connect(self.ask_export)
        page.export_archive_requested.connect(self.ask_export_archive)
        page.evaluate_requested.connect(self.open_evaluation)
        page.monitor_requested.connect(self.open_monitoring)

    def _wire_monitoring_page(self, page) -> None:
        page.alerts_changed.connect(self._show_alert_count)
        page.checked.connect(self._checked)

    def _wire_resources_page(self, page) -> None:
        for snapshot in self._snapshots:
            page.add_snapshot(snapshot)
        self._snapshots = []

    def show_page(self, page: Page) -> None:
        """Go to `page` and load it now: code that shows a page goes on to select in it."""
        self.sidebar.setCurrentRow(self.stack.indexOf(page))
        self.refresh_current(background=False)

    def _page_changed(self, row: int) -> None:
        self._pages.get(row)
        self.stack.setCurrentIndex(row)
        self.refresh_current()

    def refresh_current(self, background: bool = True) -> None:
        """Reload the page on screen; its data is read off the GUI thread where it can be."""
        page = self.stack.currentWidget()
        if isinstance(page, Page):
            try:
                page.refresh_in_background() if background else page.refresh()
            except Exception as exc:  # noqa: BLE001 - a page that cannot load says so
                self.notify(f"Could not load {page.title}: {exc}", True)

    def check_budgets(self) -> None:
        """Say once when an experiment reaches 80% of its budget, and again at 100%."""
        now = time.monotonic()
        if now - self._budgets_checked < 2.0:
            return
        self._budgets_checked = now
        self._sweep_processes = [p for p in self._sweep_processes if p.poll() is None]
        from modelyard.telemetry.budgets import all_budgets

        try:
            statuses = all_budgets(self.store)
        except Exception:  # noqa: BLE001 - a busy store: ask again on the next change
            return
        for status in statuses:
            name, state = status.experiment.name, status.state
            if state in ("warning", "exceeded") and self._budget_states.get(name) != state:
                self.notify(f"Budget {state}: {status.describe()}", state == "exceeded")
            self._budget_states[name] = state

    def notify(self, text: str, error: bool = False) -> None:
        self.banner.show_message(text, error)
        self.statusBar().showMessage(text.splitlines()[0], 8000)

    # ---- import -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = dropped_files(event)
        if len(files) == 1 and files[0].suffix.lower() == ".py":
            event.acceptProposedAction()  # a script, not data: offer to run it
            self.open_run_script_dialog(files[0])
        elif files:
            event.acceptProposedAction()
            self.import_files(files)

    def import_sample(self) -> None:
        """The sample shipped with the app, offered by the empty Datasets page."""
        from modelyard import paths

        sample = paths.sample_dataset()
        if not sample.exists():
            self.notify(f"The sample dataset is missing from this installation ({sample}).", True)
            return
        self.import_files([sample])

    def choose_files_to_import(self) -> None:
        from modelyard.datasets.readers import SUPPORTED

        patterns = " ".join(f"*{s}" for s in SUPPORTED)
        files, _ = QFileDialog.getOpenFileNames(
            self, "Import data files", str(Path.home()), f"Data files ({patterns});;All files (*)"
        )
        if files:
            self.import_files([Path(f) for f in files])

    def import_files(self, files: list[Path], name: str | None = None) -> None:
        if not self._need_store():
            return
        from modelyard.datasets.drops import ImportBatch, expand_paths

        self.show_page(self.datasets_page)
        expanded, skipped = expand_paths(files)
        if self._import_batch is None:
            self._import_batch = ImportBatch()
        self._import_batch.add_files(len(expanded) + len(skipped))
        for message in skipped:
            self._import_batch.fail(message)
            self.notify(message, True)
        self._import_queue.extend((f, name) for f in expanded)
        if self._import_task is None and not self._import_queue:
            self._finish_batch()
        self._start_next_import()

    def _start_next_import(self) -> None:
        if self._import_task is not None or not self._import_queue:
            return
        path, name = self._import_queue.pop(0)
        from modelyard.datasets.service import import_file

        batch = self._import_batch
        privacy = self.datasets_page.privacy_choice()
        if self.datasets_page.review_check.isChecked():
            from modelyard.gui.pages.datasets import review_flow

            return review_flow.start(self, path, name, privacy)
        strip = self.datasets_page.progress
        count = f" ({batch.position} of {batch.total})" if batch and batch.total > 1 else ""
        strip.start(f"Importing {path.name}{count}")
        self._import_task = tasks.start(
            lambda progress: import_file(
                self.store, path, name=name, progress=progress, privacy=privacy
            ),
            on_success=self._import_succeeded,
            on_failure=self._import_failed,
            on_progress=strip.update_progress,
            on_cancelled=lambda: self.notify(
                f"Import of {path.name} cancelled; nothing was saved."
            ),
            on_finished=self._import_finished,
        )

    def _import_succeeded(self, result) -> None:
        if self._import_batch is not None:
            self._import_batch.succeeded(result.message)
        self.notify(result.message)
        self.datasets_page.refresh()
        self.datasets_page.select_version(result.version.id)

    def _import_failed(self, message: str) -> None:
        if self._import_batch is not None:
            self._import_batch.fail(message)
        self.notify(message, True)

    def _import_finished(self) -> None:
        self._import_task = None
        if not self._import_queue:
            self.datasets_page.progress.hide()
            self._finish_batch()
        self._start_next_import()

    def _finish_batch(self) -> None:
        batch, self._import_batch = self._import_batch, None
        summary = batch.summary() if batch else None
        if summary:
            self.notify(summary, bool(batch.failed))

    def cancel_import(self) -> None:
        self._import_queue.clear()
        self._import_batch = None
        if self._import_task is not None:
            self._import_task.cancel()

    @property
    def busy(self) -> bool:
        return self._import_task is not None or self._export_task is not None

    # ---- runs -------------------------------------------------------------------------
    def open_new_run_dialog(self, selected=None) -> None:
        from modelyard.datasets.service import list_datasets
        from modelyard.gui.pages.runs.train_dialog import NewRunDialog

        if not self._need_store():
            return
        versions = [v for d in list_datasets(self.store) for v in reversed(d.versions)]
        if not versions:
            self.notify("Import a dataset first: drop a CSV or Parquet file on the window.", True)
            return
        dialog = NewRunDialog(self.store, versions, selected, self)
        if dialog.exec() and dialog.run is not None:
            self.start_run(dialog.run)

    def open_new_sweep_dialog(self) -> None:
        from modelyard.datasets.service import list_datasets
        from modelyard.gui.pages.sweeps.sweep_dialog import NewSweepDialog

        if not self._need_store():
            return
        versions = [v for d in list_datasets(self.store) for v in reversed(d.versions)]
        if not versions:
            self.notify("Import a dataset first: drop a CSV or Parquet file on the window.", True)
            return
        dialog = NewSweepDialog(self.store, versions, self.datasets_page.selected_version(), self)
        if dialog.exec() and dialog.sweep is not None:
            self.start_sweep(dialog.sweep)

    def start_sweep(self, sweep) -> None:
        """Start the sweep's driver process; its trials appear on the Runs and Sweeps pages."""
        from modelyard.errors import ModelyardError
        from modelyard.training.launcher import start_sweep

        try:
            self._sweep_processes.append(start_sweep(self.store, sweep.id))
        except ModelyardError as exc:
            self.notify(str(exc), True)
            return
        self._sweep_processes = [p for p in self._sweep_processes if p.poll() is None]
        self.show_page(self.sweeps_page)
        self.sweeps_page.select_sweep(sweep.id)
        self.notify(f"Sweep {sweep.id} started: {sweep.n_trials} trials of {sweep.models_text}.")

    def open_run_script_dialog(self, script: Path | None = None) -> None:
        from modelyard.gui.pages.runs.script_dialog import RunScriptDialog
        from modelyard.training.queue import gpu_count

        if not self._need_store():
            return
        dialog = RunScriptDialog(self.store, script, gpu_count(), self)
        if dialog.exec() and dialog.run is not None:
            self.start_run(dialog.run)

    def start_run(self, run: Run) -> None:
        """Queue the run; its worker starts at once when a slot is free."""
        from modelyard.errors import ModelyardError
        from modelyard.training.queue import load_limits, waiting

        self.show_page(self.runs_page)
        self.runs_page.select_run(run.id)
        try:
            self.supervisor.start_run(run.id)
        except ModelyardError as exc:
            self.notify(str(exc), True)
            return
        line = waiting(self.store)
        if run.id in line:
            self.notify(
                f"Run {run.id} is queued: number {line.index(run.id) + 1} in line for a worker "
                f"({load_limits(self.store).describe()}; change it in Settings)."
            )
        else:
            self.notify(f"Run {run.id} started: {run.what}.")

    def rerun(self, run: Run) -> None:
        """A new run from the selected run's record, started at once."""
        from modelyard.errors import ModelyardError
        from modelyard.training.rerun import rerun

        try:
            new = rerun(self.store, run.id)
        except ModelyardError as exc:
            self.notify(str(exc), True)
            return
        self.refresh_current()
        self.start_run(new)

    def cancel_run(self, run: Run) -> None:
        from modelyard.errors import ModelyardError

        try:
            stopped = self.supervisor.cancel_run(run.id)
        except ModelyardError as exc:
            self.notify(str(exc), True)
            return
        if stopped:
            self.notify(f"Run {run.id} stopped.")

    def _run_ended(self, run_id: int) -> None:
        from modelyard.tracking.runs import get_run

        run = get_run(self.store, run_id)
        if run.status == "failed":
            self.notify(f"Run {run_id} failed: {run.error}", True)
        elif run.status == "finished":
            self.notify(f"Run {run_id} finished. Select it and press Register model… to keep it.")
        self.refresh_current()

    # ---- registry and export ------------------------------------------------------------
    def ask_register(self, run: Run) -> None:
        default = (
            f"{run.dataset.dataset_name}-{run.target}"
            if run.dataset
            else run.name or f"run-{run.id}"
        )
        name, ok = QInputDialog.getText(self, "Register model", "Model name:", text=default)
        if ok:
            self.register_run(run, name)

    def register_run(self, run: Run, name: str) -> ModelVersion | None:
        from modelyard.errors import ModelyardError
        from modelyard.registry.service import register

        try:
            version = register(self.store, run.id, name)
        except ModelyardError as exc:
            self.notify(str(exc), True)
            return None
        self.notify(f"Registered run {run.id} as {version.label}.")
        self.show_page(self.models_page)
        return version

    def ask_export(self, version: ModelVersion) -> None:
        parent = QFileDialog.getExistingDirectory(
            self, "Export the bundle into folder", str(Path.home())
        )
        if not parent:
            return
        out = Path(parent) / f"{version.model_name}-v{version.version}"
        overwrite = False
        if out.exists():
            answer = QMessageBox.question(
                self, "Replace bundle?", f"{out} already exists. Replace it?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            overwrite = True
        self.export_version(version, out, overwrite, **self._export_choices())

    def _export_choices(self) -> dict:
        page = self.models_page
        return {"sign": page.sign_box.isChecked(), "quantize": page.quantize_box.currentData()}

    def open_evaluation(self, version: ModelVersion) -> None:
        self.show_page(self.evaluation_page)
        self.evaluation_page.select_version(version)

    def ask_export_archive(self, version: ModelVersion) -> None:
        default = Path.home() / f"{version.model_name}-v{version.version}.tar.gz"
        out, _ = QFileDialog.getSaveFileName(
            self, "Export the bundle as archive", str(default), "Bundle archives (*.tar.gz)"
        )
        if out:  # the file dialog has already asked before replacing an existing file
            self.export_version(
                version,
                Path(out),
                overwrite=True,
                archive=True,
                **self._export_choices(),
            )

    def export_version(
        self,
        version: ModelVersion,
        out: Path,
        overwrite: bool = False,
        archive: bool = False,
        sign: bool = False,
        quantize: str | None = None,
    ) -> None:
        from modelyard.deploy.bundle import export_bundle

        def done(bundle) -> None:
            said = [f"Exported {version.label} to {bundle.path}.", bundle.onnx_text()]
            said += [bundle.quantization_text() or ""] if quantize else []
            said += [bundle.signature_text()] if bundle.signed_by else []
            self.notify(" ".join(part for part in said if part))
            self.show_page(self.deployments_page)

        self.notify(f"Exporting {version.label} to {out}…")
        self._export_task = tasks.start(
            lambda _progress: export_bundle(
                self.store, version, out, overwrite, archive, sign=sign, quantize=quantize
            ),
            on_success=done,
            on_failure=lambda message: self.notify(message, True),
            on_finished=self._export_finished,
        )

    def _export_finished(self) -> None:
        self._export_task = None

    # ---- closing ------------------------------------------------------------------------
    # ---- monitoring -------------------------------------------------------------------
    def open_monitoring(self, version: ModelVersion) -> None:
        self.show_page(self.monitoring_page)
        self.monitoring_page.select_version(version)

    def _show_alert_count(self, count: int) -> None:
        row = self._pages.index("monitoring_page")
        self.sidebar.item(row).setText(f"Monitoring ({count})" if count else "Monitoring")

    def _checked(self, check) -> None:
        """A check that raised alerts is said in the window and, where the desktop has a
        notification area, as a desktop notification too."""
        if not check.alert_ids:
            return
        from PySide6.QtWidgets import QSystemTrayIcon

        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self.windowIcon(), self)
            self.tray.show()
        if self.tray is not None:
            self.tray.showMessage(
                f"Modelyard: {check.model} v{check.version}",
                f"{len(check.alert_ids)} alert(s): "
                + ("the data drifts" if check.dataset_drift else "a rule was met"),
            )

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.monitor_watcher is not None:
            self.monitor_watcher.stop()
        from modelyard.gui import window_state

        try:
            window_state.save(self)
        except OSError:
            pass  # an unwritable data folder costs the remembered layout, never the close
        self.cancel_import()
        if self._pages.is_built("deployments_page"):
            self.deployments_page.stop_test_serve()
        if self.supervisor is not None:
            self.supervisor.shutdown()
        self._closed = True
        if self.resource_feed is not None:
            self.resource_feed.shutdown()
        super().closeEvent(event)


def _page_property(attribute: str) -> property:
    def get(window: MainWindow) -> Page:
        return window._pages.get(window._pages.index(attribute))

    return property(get, doc=f"The {attribute.removesuffix('_page')} page, built on first use.")


for _attribute in ATTRIBUTES:  # window.datasets_page, window.runs_page, …
    setattr(MainWindow, _attribute, _page_property(_attribute))
