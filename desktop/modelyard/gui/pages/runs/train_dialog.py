"""The New run dialog: dataset, target, task, model, parameters and seed."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from modelyard.datasets.schema import suggest_task
from modelyard.errors import ModelyardError
from modelyard.store import Store
from modelyard.store.entities import DatasetVersion, Run
from modelyard.training.jobs import create_run
from modelyard.training.trainers import TASKS, get_trainer, trainers_for


class NewRunDialog(QDialog):
    """Collects a run's settings; on OK the run is created (queued) and kept in `self.run`."""

    def __init__(
        self,
        store: Store,
        datasets: list[DatasetVersion],
        selected: DatasetVersion | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New run")
        self.setMinimumWidth(460)
        self.store = store
        self.run: Run | None = None
        self._datasets = datasets

        self.dataset = QComboBox()
        for version in datasets:
            self.dataset.addItem(f"{version.label}  ({version.n_rows:,} rows)", version.id)
        self.target = QComboBox()
        self.task = QComboBox()
        self.task.addItems(TASKS)
        self.model = QComboBox()
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        from modelyard.tracking.experiments import list_experiments

        self.experiment = QComboBox()
        self.experiment.setEditable(True)  # type a new name to start an experiment
        names = [e.name for e in list_experiments(store)] or ["Default"]
        self.experiment.addItems(names)
        self.experiment.setCurrentText("Default" if "Default" in names else names[0])
        self.run_name = QLineEdit()
        self.run_name.setPlaceholderText("optional, e.g. try-3")
        self.params_box = QGroupBox("Hyperparameters")
        self.params_form = QFormLayout(self.params_box)
        self.param_edits: dict[str, QLineEdit] = {}
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        form.addRow("Dataset", self.dataset)
        form.addRow("Target column", self.target)
        form.addRow("Task", self.task)
        form.addRow("Model", self.model)
        form.addRow("Seed", self.seed)
        form.addRow("Experiment", self.experiment)
        form.addRow("Run name", self.run_name)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.params_box)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        self.dataset.currentIndexChanged.connect(self._dataset_changed)
        self.target.currentIndexChanged.connect(self._target_changed)
        self.task.currentIndexChanged.connect(self._task_changed)
        self.model.currentIndexChanged.connect(self._model_changed)
        if selected is not None:
            self.dataset.setCurrentIndex(max(0, self.dataset.findData(selected.id)))
        self._dataset_changed()

    def current_dataset(self) -> DatasetVersion | None:
        version_id = self.dataset.currentData()
        return next((d for d in self._datasets if d.id == version_id), None)

    def _dataset_changed(self) -> None:
        version = self.current_dataset()
        self.target.blockSignals(True)
        self.target.clear()
        if version:
            for column in version.columns:
                self.target.addItem(f"{column.name}  ({column.kind})", column.name)
            self.target.setCurrentIndex(version.n_cols - 1)  # the label is most often last
            from modelyard.datasets.review import preferred_target

            marked = self.target.findData(preferred_target(self.store, version))
            if marked >= 0:  # the target chosen when the import was reviewed
                self.target.setCurrentIndex(marked)
        self.target.blockSignals(False)
        self._target_changed()

    def _target_changed(self) -> None:
        version = self.current_dataset()
        column = version.column(self.target.currentData()) if version else None
        if column is not None:
            self.task.setCurrentText(suggest_task(column, version.n_rows))
        self._task_changed()

    def _task_changed(self) -> None:
        current = self.model.currentData()
        self.model.blockSignals(True)
        self.model.clear()
        for trainer in trainers_for(self.task.currentText()):
            self.model.addItem(trainer.label, trainer.kind)
        index = self.model.findData(current)
        if index < 0:
            index = self.model.findData("random_forest")
        self.model.setCurrentIndex(max(index, 0))
        self.model.blockSignals(False)
        self._model_changed()

    def _model_changed(self) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.param_edits.clear()
        kind = self.model.currentData()
        if not kind:
            return
        for param in get_trainer(kind).params:
            edit = QLineEdit("" if param.default is None else str(param.default))
            edit.setPlaceholderText("none" if param.optional else "")
            edit.setToolTip(param.help)
            self.param_edits[param.name] = edit
            self.params_form.addRow(param.name, edit)

    def accept(self) -> None:
        version = self.current_dataset()
        if version is None:
            return
        params = {name: edit.text() for name, edit in self.param_edits.items()}
        try:
            self.run = create_run(
                self.store,
                version,
                self.target.currentData(),
                self.model.currentData(),
                params,
                seed=self.seed.value(),
                task=self.task.currentText(),
                experiment=self.experiment.currentText(),
                name=self.run_name.text() or None,
            )
        except ModelyardError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        super().accept()
