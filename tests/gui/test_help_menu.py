"""Help → About, Help → Keyboard shortcuts, and the shortcuts for the main actions."""

from PySide6.QtCore import Qt

from modelyard.gui.help_menu import about_dialog


def test_about_names_the_versions_and_the_gpu(window):
    dialog = about_dialog(window)
    names = [name for name, _ in dialog.rows]
    assert names == ["Modelyard", "Python", "Qt", "PyTorch", "scikit-learn", "GPU"]
    assert all(value for _, value in dialog.rows)
    dialog.deleteLater()


def test_shortcuts_switch_pages_and_are_listed(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.pages[1]
    # Qt takes the modifiers of the last key event as the keyboard's state: let go of Ctrl, as
    # a user would, or the next selection anywhere believes Ctrl is still held
    qtbot.keyRelease(window, Qt.Key.Key_Control)
    keys = [k for k, _ in window.shortcuts]
    assert {"Ctrl+O", "Ctrl+N", "Ctrl+R", "Ctrl+E", "Ctrl+Shift+C"} <= set(keys)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Run", "&Help"]


def test_every_sidebar_entry_has_an_icon(window):
    items = [window.sidebar.item(i) for i in range(window.sidebar.count())]
    assert [i.text() for i in items] == [p.title for p in window.pages]
    assert all(not i.icon().isNull() for i in items)
