"""Follows worker processes and the store from the GUI thread without ever blocking it."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QObject, QTimer, Signal

from modelyard.store import Store
from modelyard.training import launcher


class Supervisor(QObject):
    """Starts workers, reaps them when they exit, and says when the store has changed.

    Every check here is a non-blocking poll (Popen.poll, SQLite's data_version), so the GUI
    stays fluid however long a run takes; runs started elsewhere (the CLI) are seen through
    the store.
    """

    store_changed = Signal()
    run_ended = Signal(int)

    POLL_MS = 400
    REAP_EVERY = 5  # polls between checks for workers that died outside our sight

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._probe = store.change_probe()
        self._workers: dict[int, subprocess.Popen] = {}
        self._ticks = 0
        self._ended: list[tuple[int, int]] = []  # (run id, exit code): not settled yet
        self._housekeeping = None  # the background task settling, reaping and dispatching
        self._stopped = False
        self._timer = QTimer(self, interval=self.POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    def start_run(self, run_id: int) -> None:
        """Hand the run to the executor chosen in Settings → Execution: this machine's queue
        (its worker starts now if a slot is free, else later) or a Dask cluster."""
        from modelyard.training import executors

        self._workers.update(executors.submit(self.store, run_id))
        self.store_changed.emit()

    def cancel_run(self, run_id: int) -> bool:
        cancelled = launcher.cancel(self.store, run_id)
        self.store_changed.emit()
        return cancelled

    @property
    def active_workers(self) -> int:
        return len(self._workers)

    def poll(self) -> None:
        """Cheap checks here; what reads or writes the store (settling ended workers, reaping
        dead ones, handing free slots to queued runs) runs in the thread pool: with many
        processes writing, those reads and writes took hundreds of milliseconds."""
        for run_id, proc in list(self._workers.items()):
            code = proc.poll()
            if code is not None:
                del self._workers[run_id]
                self._ended.append((run_id, code))
        self._ticks += 1
        if self._ticks % self.REAP_EVERY == 0 or self._ended:
            self._housekeep()
        if self._probe.changed():
            self.store_changed.emit()

    def _housekeep(self) -> None:
        if self._housekeeping is not None or self._stopped:
            return  # the one under way is followed by another if workers ended meanwhile
        from modelyard.gui import tasks

        store, ended, self._ended = self.store, self._ended, []

        def work(_progress):
            for run_id, code in ended:
                launcher.settle(store, run_id, code)
            # workers that died unseen free their slots; queued runs take free slots (a worker
            # that ends starts the next itself, this catches the ones that could not)
            launcher.reap_orphans(store)
            return launcher.dispatch(store)

        def done(started) -> None:
            if self._stopped:
                return
            self._workers.update(started)
            for run_id, _code in ended:
                self.run_ended.emit(run_id)

        outcome = []

        def failed(message: str) -> None:
            outcome.append("failed")
            self._ended[:0] = ended  # settled on the next tick's try, not at once
            print(f"Modelyard: {message}", file=sys.stderr)

        def finished() -> None:
            self._housekeeping = None
            if self._ended and not self._stopped and not outcome:
                self._housekeep()  # workers that ended while this one ran

        self._housekeeping = tasks.start(
            work, on_success=done, on_failure=failed, on_finished=finished
        )

    def shutdown(self) -> None:
        """Stop watching; running workers go on and finish on their own."""
        self._stopped = True
        self._timer.stop()
        self._probe.close()
