"""Settings page: electricity price, currency, amortisation, cloud price, carbon intensity, power.

Stored in the store (not QSettings), so the command line and the workers use the same values.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from modelyard import paths
from modelyard.gui.pages.base import Page

HINTS = {
    "price_per_kwh": "what you pay for electricity",
    "currency": "EUR, USD, £ …",
    "amortisation_per_hour": "the machine's price spread over its working hours; 0 to leave out",
    "cloud_hourly": "a comparable cloud machine's hourly price; empty to leave out",
    "carbon_g_per_kwh": "your grid's intensity; 475 is the world average",
    "cpu_tdp_w": "empty: from the CPU's name (used only when RAPL cannot be read)",
    "memory_w_per_gb": "power of resident memory",
}

NARROW, WIDE = 260, 420  # field widths: a number or a name; a path


class SettingsPage(Page):
    title = "Settings"
    always_filled = True  # nothing for the user to fill: the empty-state test skips it
    empty_title = ""
    empty_hint = ""
    saved = Signal(object)  # Prices

    def __init__(self, store=None, parent=None) -> None:
        from modelyard.telemetry.prices import LABELS

        super().__init__(store, parent)
        body = QWidget()
        outer = QVBoxLayout(body)
        intro = QLabel(
            "Cost and CO2 of every run are worked out from these figures when the run ends. "
            "The command line (`modelyard prices`) uses the same values."
        )
        intro.setWordWrap(True)
        outer.addWidget(intro)
        self.form = form = QFormLayout()
        # One form for every section, so the labels share one width; fields keep their own
        # width instead of stretching across the window. A new setting is one add_field call.
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.fields: dict[str, QLineEdit] = {}
        for key, label in LABELS.items():
            edit = QLineEdit()
            edit.setPlaceholderText(HINTS[key])
            edit.setToolTip(HINTS[key])
            self.fields[key] = self.add_field(label, edit)
        self.add_section(
            "How many runs train at once; the others wait in line, oldest first "
            "(`modelyard queue --cpu-runs N` sets the same)."
        )
        self.cpu_runs = self.add_field("CPU runs at a time", QLineEdit())
        self.cpu_runs.setToolTip("default: one per CPU core")
        self.gpu_runs = self.add_field("Runs per GPU", QLineEdit())
        self.gpu_runs.setToolTip("default 1; used only where an NVIDIA GPU is found")
        self.add_section(
            "User scripts (Runs → Run script…) run with this Python; empty: the app's own "
            "(`modelyard settings --script-python PATH` sets the same). "
            "Another Python needs Modelyard installed in it (`pip install modelyard`)."
        )
        self.script_python = self.add_field("Python for user scripts", QLineEdit(), WIDE)
        self.script_python.setPlaceholderText("the app's own Python")
        self.add_section(
            "Where runs, script runs and sweep trials execute: empty for this machine, or a "
            "Dask scheduler (tcp://HOST:8786) whose workers have Modelyard, this store and its "
            "blob folder (`modelyard execution` and --executor do the same)."
        )
        self.executor = self.add_field("Execution", QLineEdit(), WIDE)
        self.executor.setPlaceholderText("this machine")
        self.retry_lost = self.add_field(
            "", QCheckBox("Retry a run once when its cluster worker is lost"), None
        )
        self.add_section(
            "A team store: a PostgreSQL URL (postgresql+psycopg://user:password@host/db) and "
            "a blob folder every machine mounts at the same path. Used from the next start; "
            "MODELYARD_STORE_URL and MODELYARD_BLOB_DIR win over these."
        )
        self.store_url = self.add_field("Store URL", QLineEdit(), WIDE)
        self.store_url.setPlaceholderText("SQLite in the data folder")
        self.blob_folder = self.add_field("Blob folder", QLineEdit(), WIDE)
        self.blob_folder.setPlaceholderText("blobs in the data folder")
        from modelyard.gui import theme

        self.theme_box = QComboBox()
        for value, label in theme.CHOICES.items():
            self.theme_box.addItem(label, value)
        self.theme_box.setCurrentIndex(self.theme_box.findData(theme.chosen()))
        self.theme_box.currentIndexChanged.connect(
            lambda: theme.choose(self.theme_box.currentData())
        )
        self.add_section("How the app looks (applied at once, kept for this user).")
        self.add_field("Theme", self.theme_box, None)
        data = QLabel(str(paths.data_home()))
        data.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        data.setToolTip("Set MODELYARD_HOME before starting the app to use another folder")
        self.add_field("Data folder", data, None)
        outer.addLayout(form)
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.actions_layout.addWidget(self.save_button)
        self.status = QLabel()
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        outer.addStretch(1)
        self.set_content(body)
        self.show_empty(False)

    def add_section(self, text: str) -> QLabel:
        """A sentence that opens a group of settings, across both columns of the form."""
        label = QLabel(text)
        label.setWordWrap(True)
        label.setObjectName("settingsSection")
        self.form.addRow(label)
        return label

    def add_field(self, label: str, widget: QWidget, width: int | None = NARROW) -> QWidget:
        if width is not None:
            widget.setMinimumWidth(width)
        self.form.addRow(label, widget)
        return widget

    @property
    def has_unsaved_edits(self) -> bool:
        return any(edit.isModified() for edit in self._edits())

    def _edits(self) -> list[QLineEdit]:
        return [
            *self.fields.values(),
            self.cpu_runs,
            self.gpu_runs,
            self.script_python,
            self.executor,
            self.store_url,
            self.blob_folder,
        ]

    def load(self) -> None:
        from dataclasses import asdict

        if self.has_unsaved_edits:
            return  # the store changes every second while runs train: never wipe typing

        from modelyard.telemetry.power import cpu_name, default_tdp
        from modelyard.telemetry.prices import load_prices

        for key, value in asdict(load_prices(self.store)).items():
            self.fields[key].setText(
                "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
            )
        watts, how = default_tdp(cpu_name())
        self.fields["cpu_tdp_w"].setPlaceholderText(f"empty: {how}")
        from modelyard.training.queue import load_limits

        limits = load_limits(self.store)
        self.cpu_runs.setText(str(limits.cpu_runs))
        self.gpu_runs.setText(str(limits.runs_per_gpu))
        from modelyard.training.launcher import script_python

        self.script_python.setText(script_python(self.store) or "")
        from modelyard.store.db import display_url
        from modelyard.training import executors

        where = executors.chosen(self.store)
        self.executor.setText("" if where == executors.LOCAL else where)
        self.retry_lost.setChecked(executors.retry_lost_worker(self.store))
        saved = paths.local_config()
        self.store_url.setText(display_url(saved["store_url"]) if "store_url" in saved else "")
        self.blob_folder.setText(saved.get("blob_dir", ""))
        self.status.setText("")

    def values(self) -> dict[str, str]:
        return {key: edit.text() for key, edit in self.fields.items()}

    def save(self) -> bool:
        from modelyard.errors import ModelyardError
        from modelyard.telemetry.prices import save_prices
        from modelyard.training.queue import check_limit, set_limits
        from modelyard.training.script_python import check_python

        try:  # every value is checked before anything is saved
            limits = [
                check_limit(_whole(edit.text()), what)
                for edit, what in (
                    (self.cpu_runs, "CPU runs at a time"),
                    (self.gpu_runs, "runs per GPU"),
                )
            ]
            python = check_python(self.script_python.text())
            from modelyard.training import executors

            executor = executors.check_address(self.executor.text())
            team = _check_team_store(self.store_url, self.blob_folder)
            prices = save_prices(self.store, self.values())
            set_limits(self.store, *limits)
            from modelyard.store.settings import set_setting
            from modelyard.training.launcher import SCRIPT_PYTHON

            set_setting(self.store, SCRIPT_PYTHON, python)
            executors.save_choice(self.store, executor, self.retry_lost.isChecked())
            if team:
                paths.save_local_config(**team)
        except ModelyardError as exc:
            self.status.setText(str(exc))
            self.message.emit(str(exc), True)
            return False
        for edit in self._edits():
            edit.setModified(False)
        self.load()
        self.status.setText(
            "Saved. Runs that end from now on use these figures"
            + ("; the team store is used from the next start." if team else ".")
        )
        self.message.emit("Settings saved.", False)
        self.saved.emit(prices)
        return True


def _whole(text: str) -> int | None:
    """A whole number, or None (refused by the check that follows, with its sentence)."""
    try:
        return int(text.strip())
    except ValueError:
        return None


def _check_team_store(url_edit: QLineEdit, folder_edit: QLineEdit) -> dict[str, str]:
    """What changed of the store URL and blob folder (an untouched field keeps its value,
    so a password shown as *** is never saved as ***)."""
    from pathlib import Path

    from modelyard.errors import InvalidInputError

    changes: dict[str, str] = {}
    if url_edit.isModified():
        url = url_edit.text().strip()
        if url and not url.startswith(("sqlite:///", "postgresql")):
            raise InvalidInputError(
                "The store URL must be postgresql+psycopg://USER:PASSWORD@HOST/DATABASE "
                "(or sqlite:///PATH); leave it empty for the data folder's own store."
            )
        if "***" in url:
            raise InvalidInputError("Type the store URL's password itself, not ***.")
        changes["store_url"] = url
    if folder_edit.isModified():
        folder = folder_edit.text().strip()
        if folder and not Path(folder).expanduser().is_absolute():
            raise InvalidInputError(f"The blob folder must be a full path, not '{folder}'.")
        changes["blob_dir"] = folder
    return changes
