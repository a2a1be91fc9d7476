"""One run in detail: overview, per-step charts, system use, log, artifacts and environment.

Only the tab on screen reads from the store when the store changes, and the heavy reads (long
metric histories, samples, a growing log) happen off the GUI thread.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path, PurePosixPath

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from modelyard.cli.format import run_detail
from modelyard.gui import tasks
from modelyard.gui.pages.runs.metric_curves import MetricCurves
from modelyard.gui.pages.runs.run_system_panel import RunSystemPanel
from modelyard.gui.widgets import fill_table, make_table, selected_key

LOG_TAIL_BYTES = 2_000_000  # a log shows its last 2 MB; the file keeps everything
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg")


def _text_view() -> QPlainTextEdit:
    view = QPlainTextEdit(readOnly=True)
    view.setFont(QFont("monospace"))
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return view


class LogView(QWidget):
    """The run's output, followed like `tail -f`: only bytes added since the last read."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.path_label = QLabel()
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        policy = self.path_label.sizePolicy()  # a long path is cut, not a wider window
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.path_label.setSizePolicy(policy)
        self.text = _text_view()
        layout.addWidget(self.path_label)
        layout.addWidget(self.text, 1)
        self._path: Path | None = None
        self._offset = 0
        self._reader = tasks.Latest(self._read, self._apply)

    @property
    def busy(self) -> bool:
        return self._reader.busy

    def show_log(self, path: Path | None) -> None:
        if path != self._path:
            self._path, self._offset = path, 0
            self.text.clear()
            self.path_label.setText(str(path) if path else "")
        if path is not None:
            self._reader.request()

    def _read(self):
        path, offset = self._path, self._offset
        if path is None:
            return None

        def read():
            if not path.exists():
                return path, offset, offset, None
            size = path.stat().st_size
            start = max(offset, size - LOG_TAIL_BYTES)
            if size <= offset:
                return path, offset, offset, ""
            with open(path, "rb") as handle:
                handle.seek(start)
                data = handle.read(size - start)
            return path, offset, start + len(data), data.decode(errors="replace")

        return read

    def _apply(self, result) -> None:
        path, offset, end, text = result
        if path != self._path or offset != self._offset:
            return
        if text is None:
            if not self.text.toPlainText():
                self.text.setPlainText("No output yet.")
            return
        if offset == 0:
            self.text.clear()
        self._offset = end
        if text:
            at_end = (
                self.text.verticalScrollBar().value() >= self.text.verticalScrollBar().maximum() - 2
            )
            cursor = self.text.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(text)
            if at_end:  # follow new output unless the user scrolled up to read
                self.text.verticalScrollBar().setValue(self.text.verticalScrollBar().maximum())


class ArtifactsView(QWidget):
    """The files a run kept: saved anywhere, opened with the desktop's app, images previewed."""

    message = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = make_table(("Artifact", "Size", "Logged"))
        self.table.itemSelectionChanged.connect(self._preview)
        self.save_button = QPushButton("Save as…")
        self.save_button.clicked.connect(self.ask_save)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self.open_selected)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumWidth(200)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.save_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.preview)
        split.setSizes([500, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.store = None
        self.run_id: int | None = None
        self.artifacts = []

    def show_run(self, store, run_id: int | None) -> None:
        from modelyard.tracking.artifacts import list_artifacts

        self.store, self.run_id = store, run_id
        self.artifacts = list_artifacts(store, run_id) if run_id is not None else []
        rows = [
            (a.path, _size(a.size), f"{a.created_at:%Y-%m-%d %H:%M:%S}") for a in self.artifacts
        ]
        fill_table(self.table, rows, [a.path for a in self.artifacts])
        self.hint.setText(
            f"{len(self.artifacts)} file{'s' if len(self.artifacts) != 1 else ''}"
            if self.artifacts
            else "No artifacts. A script keeps files with run.log_artifact(PATH)."
        )
        self.save_button.setEnabled(bool(self.artifacts))
        self.open_button.setEnabled(bool(self.artifacts))
        self._preview()

    def selected(self) -> str | None:
        return selected_key(self.table)

    def save_to(self, name: str, destination: Path) -> Path | None:
        from modelyard.errors import ModelyardError
        from modelyard.tracking.artifacts import save_artifact

        try:
            saved = save_artifact(self.store, self.run_id, name, destination)
        except ModelyardError as exc:
            self.message.emit(str(exc), True)
            return None
        self.message.emit(f"Saved {name} to {saved}.", False)
        return saved

    def ask_save(self) -> None:
        name = self.selected()
        if name is None:
            return
        default = str(Path.home() / PurePosixPath(name).name)
        target, _ = QFileDialog.getSaveFileName(self, "Save artifact", default)
        if target:
            self.save_to(name, Path(target))

    def open_selected(self) -> None:
        name = self.selected()
        if name is None:
            return
        folder = Path(tempfile.mkdtemp(prefix=f"modelyard-run{self.run_id}-"))
        saved = self.save_to(name, folder)
        if saved is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(saved)))

    def _preview(self) -> None:
        name = self.selected()
        artifact = next((a for a in self.artifacts if a.path == name), None)
        self.preview.clear()
        if artifact is None or not name.lower().endswith(IMAGE_SUFFIXES):
            self.preview.setText("Select an image to preview it." if self.artifacts else "")
            return
        pixmap = QPixmap(str(self.store.blobs.open_path(artifact.blob)))
        if pixmap.isNull():
            self.preview.setText("This image cannot be shown.")
            return
        self.preview.setPixmap(
            pixmap.scaled(
                400,
                300,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def environment_text(run) -> str:
    env = run.environment
    if not env:
        return "Recorded when the run starts: Python and packages, platform, seed, data and code."
    lines = [
        f"python      {env.get('python')} ({env.get('implementation', '')})",
        f"platform    {env.get('platform')} ({env.get('machine')}, {env.get('cpu_count')} CPUs)",
    ]
    if run.where:
        attempts = f", attempt {run.attempts}" if run.attempts > 1 else ""
        lines.append(f"executed    {run.where}{attempts}")
    if run.source == "trainer":
        lines.append(f"seed        {env.get('seed')}")
    data = env.get("dataset")
    if data:
        lines.append(f"dataset     {data['label']}  sha256 {data['content_hash']}")
    code = env.get("code") or {}
    if code.get("script"):
        lines.append(f"script      {code['script']}  sha256 {code.get('script_sha256', '?')}")
    if code.get("git"):
        git = code["git"]
        dirty = ", with uncommitted changes" if git.get("dirty") else ""
        lines.append(f"git         {git['commit']} on {git.get('branch')}{dirty}")
    if run.command and run.source == "script":
        lines.append(f"arguments   {' '.join(run.command.get('args') or []) or '-'}")
        lines.append(f"folder      {run.command.get('cwd')}")
    lines.append("packages")
    lines += [f"  {name:<14} {version}" for name, version in env.get("packages", {}).items()]
    if env.get("trainer"):
        lines.append("trainer spec")
        lines += ["  " + line for line in json.dumps(env["trainer"], indent=2).splitlines()]
    return "\n".join(lines)


class RunDetail(QTabWidget):
    """The tabs for one selected run."""

    message = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.overview = _text_view()
        self.overview.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.curves = MetricCurves()
        self.curves_hint = QLabel()
        self.curves_hint.setObjectName("emptyHint")
        self.curves_hint.setWordWrap(True)  # never the reason the window gets wider
        charts = QWidget()
        charts_layout = QVBoxLayout(charts)
        charts_layout.setContentsMargins(0, 0, 0, 0)
        charts_layout.addWidget(self.curves_hint)
        charts_layout.addWidget(self.curves, 1)
        self.system_panel = RunSystemPanel()
        self.log = LogView()
        self.artifacts = ArtifactsView()
        self.artifacts.message.connect(self.message)
        self.environment = _text_view()
        for widget, title in (
            (self.overview, "Overview"),
            (charts, "Charts"),
            (self.system_panel, "System"),
            (self.log, "Log"),
            (self.artifacts, "Artifacts"),
            (self.environment, "Environment"),
        ):
            self.addTab(widget, title)
        self.store = None
        self.run = None
        self.currentChanged.connect(lambda _i: self.refresh())

    def show_run(self, store, run) -> None:
        self.store, self.run = store, run
        self.refresh()

    def refresh(self) -> None:
        """Fill the tab on screen (the others fill when they are picked)."""
        run, store = self.run, self.store
        if run is None or store is None:
            return
        tab = self.currentWidget()
        if tab is self.overview:
            _set_text(self.overview, run_detail(run))
        elif tab is self.system_panel:
            self.system_panel.show_run(store, run)
        elif tab is self.log:
            from modelyard.training.launcher import log_path

            self.log.show_log(log_path(store, run.id))
        elif tab is self.artifacts:
            if self.artifacts.run_id != run.id or not run.is_terminal:
                self.artifacts.show_run(store, run.id)
        elif tab is self.environment:
            _set_text(self.environment, environment_text(run))
        else:
            self.curves.show_run(store, run)
            self.curves_hint.setText(
                "Per-step values: losses on the left, other metrics on the right; drag to pan, "
                "scroll to zoom. Trainers with epochs (the MLP) and scripts that log a metric "
                "at several steps draw here."
            )

    @property
    def busy(self) -> bool:
        return self.curves.busy or self.system_panel.busy or self.log.busy


def _set_text(view: QPlainTextEdit, text: str) -> None:
    if view.toPlainText() != text:
        view.setPlainText(text)
