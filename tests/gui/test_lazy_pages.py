"""Pages are built when first shown, and their data is read off the GUI thread."""

import os
import subprocess
import sys

from modelyard.gui.lazy_pages import ATTRIBUTES, TITLES


def test_only_the_page_on_screen_is_built_and_others_build_when_shown(store, qtbot):
    from modelyard.gui.main_window import MainWindow

    window = MainWindow(store)
    qtbot.addWidget(window)
    built = [type(p).__name__ for p in window._pages.built()]
    assert built == ["DatasetsPage"]
    assert [window.sidebar.item(i).text() for i in range(window.sidebar.count())] == TITLES
    window.sidebar.setCurrentRow(TITLES.index("Costs"))
    assert window._pages.is_built("costs_page")
    assert window.stack.currentWidget() is window.costs_page
    assert window.costs_page.store is store
    assert not window._pages.is_built("monitoring_page")
    page = window.monitoring_page  # asking for a page builds it, in its place in the stack
    assert window.stack.indexOf(page) == ATTRIBUTES.index("monitoring_page")
    assert window.stack.count() == len(TITLES)
    window.close()


def test_the_window_module_imports_no_page_module():
    code = (
        "import sys, modelyard.gui.main_window; "
        "print(sorted(m for m in sys.modules if m.startswith('modelyard.gui.pages.')))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['modelyard.gui.pages.base']"


def test_a_store_change_reads_the_datasets_page_in_the_pool(window, qtbot, store, churn):
    page = window.datasets_page
    qtbot.waitUntil(lambda: not page.reading, timeout=10000)  # the read the window began with
    window.refresh_current()  # as the supervisor does on a store change
    assert page.reading  # in the pool, not here
    qtbot.waitUntil(lambda: page.versions.rowCount() == 1 and not page.reading, timeout=10000)
    assert "2,000 rows" in page.profile_panel.summary.text()


def test_a_background_read_older_than_a_load_is_dropped(window, qtbot, store, churn):
    page = window.datasets_page
    qtbot.waitUntil(lambda: not page.reading, timeout=10000)  # the read the window began with
    shown = []
    page.data_shown.connect(lambda: shown.append(page.versions.rowCount()))
    window.refresh_current()  # starts a read in the pool …
    page.refresh()  # … then a load on the GUI thread shows the data first
    qtbot.waitUntil(lambda: not page.reading, timeout=10000)
    assert shown == [1]  # the older read came back and was not shown again


def _cells(table) -> list[list[str]]:
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def test_pages_read_in_the_pool_show_what_a_load_now_shows(window, qtbot, store, finished_run):
    from modelyard.registry.service import register

    register(store, finished_run.id, "churn")
    tables = {
        "datasets_page": "versions",
        "models_page": "table",
        "costs_page": "table",
        "monitoring_page": "versions_table",
    }
    for attribute, table_name in tables.items():
        page = getattr(window, attribute)
        assert page.read() is not None  # this page reads off the GUI thread
        window.sidebar.setCurrentRow(ATTRIBUTES.index(attribute))  # as a click: background
        qtbot.waitUntil(lambda p=page: not p.reading, timeout=10000)
        window.refresh_current()  # as a store change does (Datasets was already on screen)
        assert page.reading
        qtbot.waitUntil(lambda p=page: not p.reading, timeout=10000)
        table = getattr(page, table_name)
        background = _cells(table)
        assert len(background) == 1, attribute
        page.refresh()
        assert _cells(table) == background, attribute


def test_a_background_read_that_fails_says_so_in_the_window(window, qtbot, monkeypatch):
    from modelyard.errors import StoreError

    page = window.datasets_page

    def broken():
        raise StoreError("the store is locked by another program")

    monkeypatch.setattr(page, "read", lambda: broken)
    window.refresh_current()
    qtbot.waitUntil(lambda: not page.reading, timeout=10000)
    assert window.banner.property("kind") == "error"
    assert window.banner.label.text() == (
        "Could not load Datasets: the store is locked by another program"
    )
