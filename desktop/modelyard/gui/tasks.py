"""Short background work (reading a file, exporting) off the GUI thread, with progress and cancel.

The pool runs plain Python callables; only a task's number crosses threads, through one relay
object that lives on the GUI thread. Results stay in Python attributes. (A QRunnable per task
was freed by its owner while its `run` was still returning, and PySide6 payloads of Python
objects across threads crashed under load: "deallocating None".)
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot

from modelyard.errors import CancelledError, ModelyardError
from modelyard.progress import Progress


class _Hook:
    """What `task.signals.X` is: `connect(callback)`, called on the GUI thread."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def fire(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)


class _Hooks:
    def __init__(self) -> None:
        self.progress, self.succeeded, self.failed = _Hook(), _Hook(), _Hook()
        self.cancelled, self.finished = _Hook(), _Hook()


class _Relay(QObject):
    """On the GUI thread: hears a task's number from the pool and calls that task's hooks."""

    progressed = Signal(int)
    ended = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)
        self.ended.connect(self._ended, Qt.ConnectionType.QueuedConnection)

    @Slot(int)
    def _progressed(self, number: int) -> None:
        task = _running.get(number)
        if task is not None:
            task._deliver_progress()

    @Slot(int)
    def _ended(self, number: int) -> None:
        task = _running.pop(number, None)
        if task is not None:
            task._deliver_end()


_relay: _Relay | None = None
_running: dict[int, Task] = {}
_numbers = itertools.count(1)


class Task:
    """Runs `fn(progress)` in the thread pool; its outcome reaches the hooks on the GUI thread."""

    def __init__(self, fn: Callable[[Progress], Any]) -> None:
        self.number = next(_numbers)
        self.signals = _Hooks()
        self.progress = Progress(self._report)
        self._fn = fn
        self._lock = threading.Lock()
        self._latest: tuple[float, str] | None = None
        self._outcome: tuple[str, Any] = ("failed", "The task did not run.")

    def cancel(self) -> None:
        self.progress.cancel()

    def _report(self, fraction: float, message: str) -> None:  # on the pool's thread
        with self._lock:
            first = self._latest is None
            self._latest = (fraction, message)
        if first:  # reports in between coalesce into the latest one
            _relay.progressed.emit(self.number)

    def _deliver_progress(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
        if latest is not None:
            self.signals.progress.fire(*latest)

    def run(self) -> None:  # on the pool's thread
        try:
            self._outcome = ("succeeded", self._fn(self.progress))
        except CancelledError:
            self._outcome = ("cancelled", None)
        except ModelyardError as exc:
            self._outcome = ("failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash of the app
            self._outcome = ("failed", f"Unexpected error: {type(exc).__name__}: {exc}")
        finally:
            _relay.ended.emit(self.number)

    def _deliver_end(self) -> None:
        self._deliver_progress()
        (kind, value), self._outcome = self._outcome, ("delivered", None)
        hooks, self.signals = self.signals, _Hooks()
        # From here the pool's thread may hold the last reference to this task: drop the hooks
        # (bound methods of widgets) on the GUI thread, where Qt objects must be destroyed.
        self._fn = None
        try:
            if kind == "succeeded":
                hooks.succeeded.fire(value)
            elif kind == "cancelled":
                hooks.cancelled.fire()
            else:
                hooks.failed.fire(value)
        finally:
            hooks.finished.fire()


def start(
    fn: Callable[[Progress], Any],
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[str], None] | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    on_finished: Callable[[], None] | None = None,
) -> Task:
    """Start `fn` in the pool (call from the GUI thread). Hooks connected before the task ends
    — these, or any added to `task.signals` right after — are all called."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    task = Task(fn)
    for hook, callback in (
        (task.signals.succeeded, on_success),
        (task.signals.failed, on_failure),
        (task.signals.progress, on_progress),
        (task.signals.cancelled, on_cancelled),
        (task.signals.finished, on_finished),
    ):
        if callback:
            hook.connect(callback)
    _running[task.number] = task  # until its end is delivered on the GUI thread
    QThreadPool.globalInstance().start(task.run)
    return task


class Latest:
    """One background read at a time for a view that refreshes often (charts, logs, tables).

    `read()` runs on the GUI thread when a read starts and returns the function to run in the
    pool (or None: nothing to read); `apply(result)` gets its result on the GUI thread. Asking
    while a read is under way asks once more when it ends, with the state of that moment, so
    a burst of store changes costs at most two reads and answers never arrive out of order.
    """

    def __init__(
        self, read: Callable[[], Callable[[], Any] | None], apply: Callable[[Any], None]
    ) -> None:
        self._read, self._apply = read, apply
        self._task: Task | None = None
        self._again = False

    @property
    def busy(self) -> bool:
        return self._task is not None

    def request(self) -> None:
        if self._task is not None:
            self._again = True
            return
        self._again = False
        work = self._read()
        if work is not None:
            self._task = start(
                lambda _progress: work(), on_success=self._apply, on_finished=self._finished
            )

    def _finished(self) -> None:
        self._task = None
        if self._again:
            self.request()
