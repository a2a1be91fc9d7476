"""What every page shares: a header with actions, and an empty state that says how to fill it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from modelyard.gui.widgets import EmptyState

if TYPE_CHECKING:
    from modelyard.store import Store


def dropped_files(event: QDropEvent | QDragEnterEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class Page(QWidget):
    """A titled page whose body is either its content or an empty state."""

    title = ""
    empty_title = ""
    empty_hint = ""
    message = Signal(str, bool)  # text, is_error: shown in the window's banner

    def __init__(self, store: Store | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        outer = QVBoxLayout(self)
        header = QHBoxLayout()
        heading = QLabel(self.title)
        heading.setObjectName("pageTitle")
        header.addWidget(heading)
        header.addStretch(1)
        self.actions_layout = header
        outer.addLayout(header)
        self.body = QVBoxLayout()
        outer.addLayout(self.body, 1)
        self._stack = QStackedWidget()
        self.empty = EmptyState(self.empty_title, self.empty_hint)
        self._stack.addWidget(self.empty)
        self.body.addWidget(self._stack, 1)

    def set_content(self, widget: QWidget) -> None:
        self._stack.addWidget(widget)

    def show_empty(self, empty: bool) -> None:
        self._stack.setCurrentIndex(0 if empty else 1)

    @property
    def is_empty_shown(self) -> bool:
        return self._stack.currentIndex() == 0

    def refresh(self) -> None:
        """Reload from the store (a no-op until the window has one)."""
        if self.store is not None:
            self.load()

    def load(self) -> None:
        raise NotImplementedError
