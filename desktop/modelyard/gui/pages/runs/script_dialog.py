"""The Run script dialog: a user's own .py file as a tracked job, with its arguments."""

from __future__ import annotations

import shlex
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from modelyard.errors import ModelyardError
from modelyard.store import Store
from modelyard.store.entities import Run

HELP = (
    "The script runs in its own folder with this app's Python, in a worker process: its output "
    "becomes the run's log, and `modelyard.start_run()` inside it records params, metrics, "
    "artifacts and models into this run."
)


class RunScriptDialog(QDialog):
    """On OK the run is recorded (queued) and kept in `self.run`; nothing is written otherwise."""

    def __init__(
        self, store: Store, script: Path | None = None, gpus: int = 0, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run script")
        self.setMinimumWidth(520)
        self.store = store
        self.run: Run | None = None
        self.script = QLineEdit(str(script) if script else "")
        self.script.setPlaceholderText("/path/to/train.py")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        script_row = QHBoxLayout()
        script_row.addWidget(self.script, 1)
        script_row.addWidget(browse)
        self.arguments = QLineEdit()
        self.arguments.setPlaceholderText("optional, e.g. --epochs 10 --lr 0.01")
        from modelyard.tracking.experiments import list_experiments

        self.experiment = QComboBox()
        self.experiment.setEditable(True)
        names = [e.name for e in list_experiments(store)] or ["Default"]
        self.experiment.addItems(names)
        self.experiment.setCurrentText("Default" if "Default" in names else names[0])
        self.run_name = QLineEdit()
        self.run_name.setPlaceholderText("optional")
        self.gpu = QCheckBox("Wait for a GPU and use it")
        self.gpu.setEnabled(gpus > 0)
        if gpus == 0:
            self.gpu.setToolTip("No NVIDIA GPU was found on this machine.")
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        hint = QLabel(HELP)
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Script", script_row)
        form.addRow("Arguments", self.arguments)
        form.addRow("Experiment", self.experiment)
        form.addRow("Run name", self.run_name)
        form.addRow("", self.gpu)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        start = self.script.text() or str(Path.home())
        chosen, _ = QFileDialog.getOpenFileName(self, "Python script", start, "Python (*.py)")
        if chosen:
            self.script.setText(chosen)

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def accept(self) -> None:
        from modelyard.tracking.scripts import create_script_run

        if not self.script.text().strip():
            self._fail("Choose the script to run (a .py file).")
            return
        try:
            args = shlex.split(self.arguments.text())
        except ValueError as exc:
            self._fail(f"The arguments cannot be read ({exc}); check the quotes.")
            return
        try:
            self.run = create_script_run(
                self.store,
                self.script.text().strip(),
                args,
                experiment=self.experiment.currentText(),
                name=self.run_name.text(),
                gpu=self.gpu.isChecked(),
            )
        except ModelyardError as exc:
            self._fail(str(exc))
            return
        super().accept()
