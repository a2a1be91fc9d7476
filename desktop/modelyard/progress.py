"""Progress and cancellation for long tasks, with no knowledge of who is watching.

Long work is a plain function that takes a `Progress`; the CLI passes one that prints, the GUI
one that emits a signal, tests one that records. Reports are throttled: a callback only hears
about a change of at least one percent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from modelyard.errors import CancelledError

ProgressCallback = Callable[[float, str], None]


class Progress:
    def __init__(self, callback: ProgressCallback | None = None) -> None:
        self._callback = callback
        self._cancel = threading.Event()
        self._last = -1.0

    def report(self, fraction: float, message: str = "") -> None:
        self.check()
        fraction = min(max(fraction, 0.0), 1.0)
        if self._callback and (fraction - self._last >= 0.01 or fraction in (0.0, 1.0)):
            self._last = fraction
            self._callback(fraction, message)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise CancelledError once the user has asked to stop."""
        if self._cancel.is_set():
            raise CancelledError("Cancelled; nothing was saved.")


NO_PROGRESS = Progress()
