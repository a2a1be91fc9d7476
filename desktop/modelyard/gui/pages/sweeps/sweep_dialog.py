"""The New sweep dialog: dataset, target, model (or auto), sampler, trials, ranges."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
)

from modelyard.errors import ModelyardError


class NewSweepDialog(QDialog):
    """On OK the sweep is recorded (queued) and kept in `self.sweep`."""

    def __init__(self, store, datasets, selected=None, parent=None) -> None:
        super().__init__(parent)
        from modelyard.training.sweeps import SAMPLERS
        from modelyard.training.trainers import TRAINERS

        self.setWindowTitle("New sweep")
        self.setMinimumWidth(520)
        self.store = store
        self.sweep = None
        self._datasets = datasets
        self.dataset = QComboBox()
        for version in datasets:
            self.dataset.addItem(version.label, version.id)
        if selected is not None:
            self.dataset.setCurrentIndex(max(0, self.dataset.findData(selected.id)))
        self.target = QComboBox()
        self.model = QComboBox()
        self.model.addItem("auto — every model family", "auto")
        for kind, trainer in TRAINERS.items():
            self.model.addItem(trainer.label, kind)
        self.sampler = QComboBox()
        self.sampler.addItems(SAMPLERS)
        self.trials = QSpinBox()
        self.trials.setRange(1, 10_000)
        self.trials.setValue(20)
        self.parallel = QSpinBox()
        self.parallel.setRange(1, 64)
        self.space = QLineEdit()
        self.space.setPlaceholderText(
            "e.g. n_estimators=10:300:log; max_depth=3,5,8 (empty: defaults)"
        )
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        form.addRow("Dataset", self.dataset)
        form.addRow("Target column", self.target)
        form.addRow("Model", self.model)
        form.addRow("Sampler", self.sampler)
        form.addRow("Trials", self.trials)
        form.addRow("At a time", self.parallel)
        form.addRow("Search ranges", self.space)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start sweep")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.dataset.currentIndexChanged.connect(self._fill_targets)
        self._fill_targets()

    def current_dataset(self):
        return next((v for v in self._datasets if v.id == self.dataset.currentData()), None)

    def _fill_targets(self) -> None:
        version = self.current_dataset()
        self.target.clear()
        if version is not None:
            for column in version.columns:
                self.target.addItem(column.name, column.name)
            self.target.setCurrentIndex(self.target.count() - 1)

    def accept(self) -> None:
        from modelyard.training.sweeps import create_sweep, parse_space

        version = self.current_dataset()
        if version is None:
            return
        try:
            ranges = parse_space([p.strip() for p in self.space.text().split(";") if p.strip()])
            self.sweep = create_sweep(
                self.store,
                version,
                self.target.currentData(),
                self.model.currentData(),
                space=ranges,
                sampler=self.sampler.currentText(),
                n_trials=self.trials.value(),
                parallel=self.parallel.value(),
            )
        except ModelyardError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        super().accept()
