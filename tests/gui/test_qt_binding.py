"""The Qt binding itself: a release that loses references from calls into Python is refused."""

import gc
import sys

from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool, QTimer


def _settle(qtbot) -> None:
    """Free what earlier tests left for the event loop to delete, so that its release of
    None and True references is not counted against the binding."""
    qtbot.wait(50)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def test_calls_from_qt_into_python_keep_none_alive(qtbot):
    # PySide6 6.12.0 dropped a reference to None on every such call; on Python 3.11 the app
    # then died after a few thousand timer ticks or paints ("deallocating None").
    fired: list[int] = []
    _settle(qtbot)
    before = sys.getrefcount(None)
    for _ in range(2000):
        QTimer.singleShot(0, lambda: fired.append(1))
    qtbot.waitUntil(lambda: len(fired) == 2000)
    for _ in range(500):
        QThreadPool.globalInstance().start(lambda: fired.append(2))
    QThreadPool.globalInstance().waitForDone()
    assert len(fired) == 2500
    assert sys.getrefcount(None) - before > -200


def test_emitting_signals_keeps_true_alive(qtbot):
    # 6.12.0 also dropped a reference to True on every emit ("deallocating True or False").
    from PySide6.QtCore import QObject, Signal

    class Source(QObject):
        ping = Signal()

    source, heard = Source(), []
    source.ping.connect(lambda: heard.append(1))
    _settle(qtbot)
    before = sys.getrefcount(True)
    for _ in range(2000):
        source.ping.emit()
    assert len(heard) == 2000
    assert sys.getrefcount(True) - before > -200
