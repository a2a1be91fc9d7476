"""While the app runs: new files in a model's watched folder, and its request log every N
minutes, are checked on their own; what raises an alert reaches the user as a notification."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from modelyard.datasets.readers import is_supported

TICK_MS = 30_000
SETTLE_S = 2.0


class MonitorWatcher(QObject):
    """`page` is the Monitoring page, or a function returning it: the window builds that page
    only when a check is due, and the store then comes from `store`."""

    def __init__(self, page, parent: QObject | None = None, store=None) -> None:
        super().__init__(parent)
        self._page = page
        self._store = store
        self._seen: dict[str, set[str]] = {}  # model -> files already checked (or there at start)
        self._last_log_check: dict[str, float] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)

    @property
    def page(self):
        return self._page() if callable(self._page) else self._page

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def tick(self) -> None:
        """Start at most one check per tick (the page runs one at a time)."""
        from modelyard.monitoring.settings import get_settings
        from modelyard.registry.aliases import aliases
        from modelyard.registry.service import get_model_version, list_models

        store = self._store if self._store is not None else self.page.store
        if store is None:
            return
        for model in list_models(store):
            settings = get_settings(store, model.name)
            if not (settings.watch_folder or settings.requests_folder):
                continue
            if self.page.task is not None:
                return
            production = aliases(store, model.name).get("production")
            version = get_model_version(store, model.name, production)
            work = self._new_file(model.name, settings.watch_folder)
            if work is not None:
                self.page.start_check(data=str(work), version=version, quiet=True)
                return
            if self._log_due(model.name, settings):
                self._last_log_check[model.name] = time.monotonic()
                self.page.start_check(
                    requests=settings.requests_folder, version=version, quiet=True
                )
                return

    def _new_file(self, model: str, folder: str | None) -> Path | None:
        if not folder or not Path(folder).is_dir():
            return None
        settled = time.time() - SETTLE_S  # a file still being copied in waits for a later tick
        files = {
            str(p) for p in Path(folder).iterdir()
            if p.is_file() and is_supported(p) and p.stat().st_mtime < settled
        }  # fmt: skip
        if model not in self._seen:  # what was there before the app started is not new
            self._seen[model] = files
            return None
        fresh = sorted(files - self._seen[model])
        if not fresh:
            return None
        self._seen[model].add(fresh[0])
        return Path(fresh[0])

    def _log_due(self, model: str, settings) -> bool:
        if not settings.requests_folder or not Path(settings.requests_folder).is_dir():
            return False
        last = self._last_log_check.setdefault(model, time.monotonic())
        return time.monotonic() - last >= settings.interval_min * 60
