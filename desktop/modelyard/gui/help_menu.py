"""Help → About and Help → Keyboard shortcuts, and the shortcuts themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout

from modelyard.gui.lazy_pages import TITLES

if TYPE_CHECKING:
    from modelyard.gui.main_window import MainWindow


def add_actions(window: MainWindow) -> list[tuple[str, str]]:
    """Main-window shortcuts for the main actions; returns (keys, what) for the help list."""
    actions = [
        ("Ctrl+N", "New run…", lambda: window.open_new_run_dialog()),
        ("Ctrl+Shift+N", "New sweep…", window.open_new_sweep_dialog),
        ("Ctrl+Shift+R", "Run script…", lambda: window.open_run_script_dialog()),
        ("Ctrl+Shift+C", "Compare runs (select several on Runs)", lambda: _compare(window)),
        (
            "Ctrl+R",
            "Register the selected run's model",
            lambda: _click(window, "runs_page", "register_button"),
        ),
        (
            "Ctrl+E",
            "Export the selected model version",
            lambda: _click(window, "models_page", "export_button"),
        ),
    ]
    run_menu = window.menuBar().addMenu("&Run")
    for keys, text, slot in actions:
        action = QAction(text, window, shortcut=QKeySequence(keys))
        action.triggered.connect(slot)
        run_menu.addAction(action)
    for i, title in enumerate(TITLES[:9], start=1):
        action = QAction(title, window, shortcut=QKeySequence(f"Ctrl+{i}"))
        action.triggered.connect(lambda _=False, row=i - 1: window.sidebar.setCurrentRow(row))
        window.addAction(action)
    listed = [("Ctrl+O", "Import a data file…"), *[(k, t) for k, t, _ in actions]]
    listed.append(("Ctrl+1 … Ctrl+9", "Switch page (in sidebar order)"))
    listed.append(("Ctrl+Q", "Quit"))
    help_menu = window.menuBar().addMenu("&Help")
    shortcuts = QAction("&Keyboard shortcuts", window, shortcut=QKeySequence("F1"))
    shortcuts.triggered.connect(lambda: _table_dialog(window, "Keyboard shortcuts", listed).exec())
    about = QAction("&About Modelyard", window)
    about.triggered.connect(lambda: about_dialog(window).exec())
    help_menu.addAction(shortcuts)
    help_menu.addAction(about)
    return listed


def _click(window: MainWindow, page: str, button: str) -> None:
    """A page's button, pressed from anywhere (the page is built if it was not yet)."""
    getattr(getattr(window, page), button).click()


def _compare(window: MainWindow) -> None:
    window.show_page(window.runs_page)
    window.runs_page.table.setFocus()
    window.notify("Select two or more runs (Ctrl-click or Shift-click) to compare them.")


def about_dialog(window) -> QDialog:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    from modelyard.about import versions

    rows = versions(f"{qVersion()} (PySide6 {pyside_version})")
    return _table_dialog(window, "About Modelyard", rows)


def _table_dialog(window, title: str, rows: list[tuple[str, str]]) -> QDialog:
    dialog = QDialog(window)
    dialog.setWindowTitle(title)
    layout = QVBoxLayout(dialog)
    form = QFormLayout()
    for left, right in rows:
        value = QLabel(right)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(f"{left}", value)
    layout.addLayout(form)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.rows = rows
    return dialog
