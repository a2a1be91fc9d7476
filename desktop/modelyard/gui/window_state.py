"""Window size, splitter positions and the last page, remembered between launches (QSettings).

Kept in an INI file in the data folder (not the platform registry), so each Modelyard home —
and each test's temporary home — has its own, and deleting the folder forgets it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QSplitter

from modelyard import paths

if TYPE_CHECKING:
    from modelyard.gui.main_window import MainWindow


def settings() -> QSettings:
    return QSettings(str(paths.data_home() / "window.ini"), QSettings.Format.IniFormat)


def _splitters(page) -> dict[str, QSplitter]:
    return {
        f"splitters/{type(page).__name__}/{i}": splitter
        for i, splitter in enumerate(page.findChildren(QSplitter))
    }


def restore(window: MainWindow) -> None:
    """The window's geometry; pages restore their splitters when they are built."""
    geometry = settings().value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)


def last_page() -> str | None:
    return settings().value("window/page")


def restore_splitters(page) -> None:
    state = settings()
    for key, splitter in _splitters(page).items():
        saved = state.value(key)
        if saved is not None:
            splitter.restoreState(saved)


def save(window: MainWindow) -> None:
    """Pages never built this time keep what was saved for them before."""
    state = settings()
    state.setValue("window/geometry", window.saveGeometry())
    state.setValue("window/page", window.stack.currentWidget().title)
    for page in window._pages.built():
        for key, splitter in _splitters(page).items():
            state.setValue(key, splitter.saveState())
    state.sync()
