"""Short background work (reading a file, exporting) off the GUI thread, with progress and cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from modelyard.errors import CancelledError, ModelyardError
from modelyard.progress import Progress


class _Signals(QObject):
    progress = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()


class Task(QRunnable):
    """Runs `fn(progress)` in the thread pool; results come back as signals on the GUI thread."""

    def __init__(self, fn: Callable[[Progress], Any]) -> None:
        super().__init__()
        self.signals = _Signals()
        self.progress = Progress(lambda f, m: self.signals.progress.emit(f, m))
        self._fn = fn

    def cancel(self) -> None:
        self.progress.cancel()

    def run(self) -> None:
        try:
            result = self._fn(self.progress)
        except CancelledError:
            self.signals.cancelled.emit()
        except ModelyardError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash of the app
            self.signals.failed.emit(f"Unexpected error: {type(exc).__name__}: {exc}")
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.finished.emit()


def start(
    fn: Callable[[Progress], Any],
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[str], None] | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    on_finished: Callable[[], None] | None = None,
) -> Task:
    """Start `fn` in the pool. Every callback is connected before the task can emit."""
    task = Task(fn)
    task.setAutoDelete(False)  # the caller keeps the task (to cancel it) until it finishes
    if on_success:
        task.signals.succeeded.connect(on_success)
    if on_failure:
        task.signals.failed.connect(on_failure)
    if on_progress:
        task.signals.progress.connect(on_progress)
    if on_cancelled:
        task.signals.cancelled.connect(on_cancelled)
    if on_finished:
        task.signals.finished.connect(on_finished)
    QThreadPool.globalInstance().start(task)
    return task
