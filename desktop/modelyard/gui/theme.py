"""Light, dark, or whatever the desktop uses: a palette plus the matching stylesheet.

The choice is a per-user preference (QSettings beside the window state), not store data.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from modelyard import paths

CHOICES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
KEY = "appearance/theme"


def chosen() -> str:
    from modelyard.gui.window_state import settings

    value = settings().value(KEY, "system")
    return value if value in CHOICES else "system"


def choose(value: str) -> None:
    from modelyard.gui.window_state import settings

    state = settings()
    state.setValue(KEY, value)
    state.sync()
    app = QApplication.instance()
    if app is not None:
        apply(app, value)


def resolved(app: QApplication, value: str) -> str:
    if value != "system":
        return value
    scheme = app.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def apply(app: QApplication, value: str | None = None) -> str:
    """Apply the theme; returns 'light' or 'dark', what was applied."""
    name = resolved(app, value or chosen())
    if name == "dark":
        app.setStyle("Fusion")
        app.setPalette(_dark_palette())
    else:
        app.setPalette(app.style().standardPalette())
    path = paths.resources_dir() / "themes" / f"{name}.qss"
    app.setStyleSheet(path.read_text() if path.exists() else "")
    return name


def _dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, "#1f2933"),
        (roles.WindowText, "#e4e7eb"),
        (roles.Base, "#17202a"),
        (roles.AlternateBase, "#1f2933"),
        (roles.Text, "#e4e7eb"),
        (roles.Button, "#323f4b"),
        (roles.ButtonText, "#e4e7eb"),
        (roles.Highlight, "#2680c2"),
        (roles.HighlightedText, "#ffffff"),
        (roles.ToolTipBase, "#323f4b"),
        (roles.ToolTipText, "#e4e7eb"),
        (roles.PlaceholderText, "#7b8794"),
        (roles.Link, "#62b0e8"),
    ):
        palette.setColor(role, QColor(color))
    return palette
