"""Machine samples for the GUI, taken on their own thread so the window never waits for them."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot


class _Sampler(QObject):
    sampled = Signal(object)  # MachineSnapshot
    failed = Signal(str)

    def __init__(self, store, interval_ms: int, gpus=None) -> None:
        super().__init__()
        self.store = store
        self.interval_ms = interval_ms
        self.gpus = gpus
        self.monitor = None
        self.timer: QTimer | None = None
        self._runs: list = []
        self._ticks = 0

    @Slot()
    def begin(self) -> None:
        from modelyard.telemetry.machine import MachineMonitor

        self.monitor = MachineMonitor(self.gpus)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(self.interval_ms)

    @Slot()
    def tick(self) -> None:
        from modelyard.telemetry.machine import running_processes

        try:
            if self.store is not None and self._ticks % 2 == 0:
                self._runs = running_processes(self.store)
            self._ticks += 1
            self.sampled.emit(self.monitor.sample(self._runs))
        except Exception as exc:  # noqa: BLE001 - a failed reading must not end the feed
            self.failed.emit(f"Resource sampling failed: {exc}")

    @Slot()
    def end(self) -> None:
        if self.timer is not None:
            self.timer.stop()
        if self.monitor is not None:
            self.monitor.close()
        self.thread().quit()


class ResourceFeed(QObject):
    """Emits a MachineSnapshot every `interval_ms` from a background QThread."""

    sampled = Signal(object)
    failed = Signal(str)

    def __init__(self, store=None, interval_ms: int = 1000, gpus=None, parent=None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("resource-feed")
        self._sampler = _Sampler(store, interval_ms, gpus)
        self._sampler.moveToThread(self._thread)
        self._thread.started.connect(self._sampler.begin)
        self._sampler.sampled.connect(self.sampled)
        self._sampler.failed.connect(self.failed)
        app = QCoreApplication.instance()
        if app is not None:  # quitting without closing the window must still end the thread
            app.aboutToQuit.connect(self.shutdown)

    def start(self) -> None:
        self._thread.start()

    def shutdown(self) -> None:
        if self._thread.isRunning():
            QTimer.singleShot(0, self._sampler, self._sampler.end)
            if not self._thread.wait(5000):
                self._thread.terminate()
                self._thread.wait()
