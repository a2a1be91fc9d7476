"""Settings page: electricity price, currency, amortisation, cloud price, carbon intensity, power.

Stored in the store (not QSettings), so the command line and the workers use the same values.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
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
        edits = [*self.fields.values(), self.cpu_runs, self.gpu_runs, self.script_python]
        return any(edit.isModified() for edit in edits)

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
            prices = save_prices(self.store, self.values())
            set_limits(self.store, *limits)
            from modelyard.store.settings import set_setting
            from modelyard.training.launcher import SCRIPT_PYTHON

            set_setting(self.store, SCRIPT_PYTHON, python)
        except ModelyardError as exc:
            self.status.setText(str(exc))
            self.message.emit(str(exc), True)
            return False
        for edit in (*self.fields.values(), self.cpu_runs, self.gpu_runs, self.script_python):
            edit.setModified(False)
        self.load()
        self.status.setText("Saved. Runs that end from now on use these figures.")
        self.message.emit("Settings saved.", False)
        self.saved.emit(prices)
        return True


def _whole(text: str) -> int | None:
    """A whole number, or None (refused by the check that follows, with its sentence)."""
    try:
        return int(text.strip())
    except ValueError:
        return None
