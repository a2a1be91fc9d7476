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
    guide_step: int | None = None  # where the page sits on import → train → register → export
    message = Signal(str, bool)  # text, is_error: shown in the window's banner
    data_shown = Signal()  # after each load, on the GUI thread

    def __init__(self, store: Store | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._generation = 0  # loads so far: a background read older than a load is dropped
        self._background = None  # tasks.Latest, made on the first background refresh
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
        self.empty = EmptyState(self.empty_title, self.empty_hint, self.guide_step)
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
        """Reload from the store now (a no-op until the window has one)."""
        if self.store is not None:
            self._generation += 1
            self.load()
            self.data_shown.emit()

    def refresh_in_background(self) -> None:
        """Reload with the store read in the thread pool, for pages that split their loading
        into `read()` and `show_data()`; the others load now."""
        if self.store is None:
            return
        if self.read() is None:
            self.refresh()
            return
        if self._background is None:
            from modelyard.gui import tasks

            self._background = tasks.Latest(self._start_read, self._read_done)
        self._background.request()

    @property
    def reading(self) -> bool:
        """A background read is under way (tests wait for it to end)."""
        return self._background is not None and self._background.busy

    def _start_read(self):
        work, generation = self.read(), self._generation
        if work is None:
            return None

        def run():
            try:
                return generation, work(), None
            except Exception as exc:  # noqa: BLE001 - said in the window, like a failed load
                from modelyard.errors import ModelyardError

                return generation, None, str(exc) if isinstance(exc, ModelyardError) else repr(exc)

        return run

    def _read_done(self, result) -> None:
        from shiboken6 import isValid

        if not isValid(self):
            return  # the window closed while the read was under way
        generation, data, error = result
        if generation != self._generation:
            return  # a later load already showed
        if error is not None:
            self.message.emit(f"Could not load {self.title}: {error}", True)
            return
        self.show_data(data)
        self.data_shown.emit()

    def read(self):
        """A function that reads the page's data in the pool (no Qt), or None."""
        return None

    def show_data(self, data) -> None:
        """Put what `read()`'s function returned on screen (GUI thread)."""
        raise NotImplementedError

    def load(self) -> None:
        work = self.read()
        if work is None:
            raise NotImplementedError
        self.show_data(work())
