import pytest


@pytest.fixture
def window(store, qtbot):
    from PySide6.QtCore import QThreadPool

    from modelyard.gui.main_window import MainWindow

    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()
    QThreadPool.globalInstance().waitForDone(10000)
