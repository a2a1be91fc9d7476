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


def _splitters(window: MainWindow) -> dict[str, QSplitter]:
    found = {}
    for page in window.pages:
        for i, splitter in enumerate(page.findChildren(QSplitter)):
            found[f"splitters/{type(page).__name__}/{i}"] = splitter
    return found


def restore(window: MainWindow) -> None:
    state = settings()
    geometry = state.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    for key, splitter in _splitters(window).items():
        saved = state.value(key)
        if saved is not None:
            splitter.restoreState(saved)
    page = state.value("window/page")
    titles = [p.title for p in window.pages]
    if page in titles:
        window.sidebar.setCurrentRow(titles.index(page))


def save(window: MainWindow) -> None:
    state = settings()
    state.setValue("window/geometry", window.saveGeometry())
    state.setValue("window/page", window.stack.currentWidget().title)
    for key, splitter in _splitters(window).items():
        state.setValue(key, splitter.saveState())
    state.sync()
