"""Window size, splitter positions and the last page survive a restart."""

from PySide6.QtWidgets import QSplitter

from modelyard.gui.main_window import MainWindow


def test_size_splitters_and_page_are_remembered(qtbot, store):
    first = MainWindow(store)
    qtbot.addWidget(first)
    first.resize(700, 500)
    first.show_page(first.models_page)
    splitter = first.models_page.findChildren(QSplitter)[0]
    splitter.setSizes([300, 500])
    state = splitter.saveState()
    first.close()

    second = MainWindow(store)
    qtbot.addWidget(second)
    assert second.stack.currentWidget() is second.models_page
    assert (second.width(), second.height()) == (700, 500)
    assert second.models_page.findChildren(QSplitter)[0].saveState() == state
    second.close()
