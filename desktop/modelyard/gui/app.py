"""Starting the desktop app: the window paints first, everything slow happens after."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from modelyard import paths

STARTED = time.perf_counter()


def _stylesheet() -> str:
    path = paths.resources_dir() / "themes" / "light.qss"
    return path.read_text() if path.exists() else ""


def offer_sample(window) -> None:
    """On the very first launch, import the shipped sample so there is something to try at
    once (the quick start promises it); later, an empty store offers it on the Datasets page."""
    from modelyard.datasets.service import count_datasets
    from modelyard.store.settings import get_setting, set_setting

    store = window.store
    if get_setting(store, "sample_offered", False) or count_datasets(store):
        return
    set_setting(store, "sample_offered", True)
    sample = paths.sample_dataset()
    if sample.exists():
        window.import_files([sample])


def run(argv: list[str] | None = None, open_files: list[str] | None = None) -> int:
    """The app; `open_files` (paths from the command line or a file manager) go through the
    import flow once the store is open."""
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThreadPool, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("Modelyard")
    app.setOrganizationName("Modelyard")
    from modelyard.gui import theme

    theme.apply(app)
    icon = paths.resources_dir() / "icons" / "modelyard.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    from modelyard.gui.main_window import MainWindow

    window = MainWindow()
    opened: list = []

    def open_and_attach() -> None:
        # SQLAlchemy, the store and its migrations load after the first paint and off the GUI
        # thread: the window shows at once and stays responsive while the store opens.
        from modelyard.gui import tasks

        def open_it(_progress):
            from modelyard.store import open_store

            return open_store()

        tasks.start(
            open_it,
            on_success=attach,
            on_failure=window.store_failed,
        )

    def attach(store) -> None:
        opened.append(store)
        if window is None or window.isHidden():
            return  # closed while the store was opening
        window.attach_store(store)
        if store.upgrade_notice:
            window.notify(store.upgrade_notice)
        if open_files:
            window.import_files([Path(f) for f in open_files])
        elif not benchmark:
            offer_sample(window)

    benchmark = bool(os.environ.get("MODELYARD_EXIT_AFTER_PAINT"))

    def after_first_paint() -> None:
        if benchmark:  # benchmarks/startup: report the timings, then quit
            print(f"first-paint {time.perf_counter() - STARTED:.4f}", flush=True)

            def shown() -> None:
                print(f"data-shown {time.perf_counter() - STARTED:.4f}", flush=True)
                app.quit()

            window.stack.currentWidget().data_shown.connect(shown)
            QTimer.singleShot(60_000, app.quit)  # a store that cannot open ends the run too
        open_and_attach()

    class FirstPaint(QObject):
        """Opens the store only once the window has painted, so it appears at once."""

        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                obj.removeEventFilter(self)
                QTimer.singleShot(0, after_first_paint)
            return False

    paint_probe = FirstPaint(window)
    window.installEventFilter(paint_probe)
    window.show()
    code = app.exec()
    # Tear down in a fixed order: Python's garbage collector would otherwise free Qt objects
    # after the application object, which crashes at exit.
    QThreadPool.globalInstance().waitForDone(5000)
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    window = None
    for store in opened:
        store.close()
    return code
