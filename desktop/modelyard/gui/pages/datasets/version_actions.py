"""Comparing two versions of a dataset, and deleting one after asking."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from modelyard.errors import ModelyardError


class VersionDiffDialog(QDialog):
    """The selected version against another version of the same dataset (its parent first)."""

    def __init__(self, store, version, others, parent_version, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Compare {version.label}")
        self.resize(640, 360)
        self._store, self._version = store, version
        self.other = QComboBox()
        for other in others:
            self.other.addItem(other.label, other)
        if parent_version is not None:
            self.other.setCurrentIndex(self.other.findText(parent_version.label))
        self.report = QPlainTextEdit(readOnly=True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        form = QFormLayout()
        form.addRow("Compare with", self.other)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.report, 1)
        layout.addWidget(buttons)
        self.other.currentIndexChanged.connect(self._compare)
        self._compare()

    def _compare(self) -> None:
        from modelyard.datasets.versions import diff_versions

        other = self.other.currentData()
        if other is None:
            return
        old, new = sorted((other, self._version), key=lambda v: v.version)
        try:
            self.report.setPlainText("\n".join(diff_versions(self._store, old, new).lines()))
        except ModelyardError as exc:
            self.report.setPlainText(str(exc))


def open_diff(page, version) -> None:
    from modelyard.datasets.service import list_datasets
    from modelyard.datasets.versions import parent_of

    dataset = next(d for d in list_datasets(page.store) if d.name == version.dataset_name)
    others = [v for v in dataset.versions if v.id != version.id]
    if not others:
        page.message.emit(f"{version.label} is the only version of {dataset.name}.", False)
        return
    page.diff_dialog = VersionDiffDialog(
        page.store, version, others, parent_of(page.store, version), page
    )
    page.diff_dialog.show()


def confirm_delete(page, version, users: list[str]) -> bool:
    answer = QMessageBox.question(
        page,
        "Delete version",
        f"Delete {version.label} ({version.n_rows:,} rows from {version.source_name})? "
        "This cannot be undone.",
    )
    return answer == QMessageBox.StandardButton.Yes


def delete_selected(page, version, confirm=confirm_delete) -> None:
    from modelyard.datasets.versions import delete_version, users_of

    try:
        users = users_of(page.store, version)
        if users:
            delete_version(page.store, version)  # refuses, naming who used it
        if not confirm(page, version, users):
            return
        page.message.emit(delete_version(page.store, version), False)
    except ModelyardError as exc:
        page.message.emit(str(exc), True)
        return
    page.refresh()
