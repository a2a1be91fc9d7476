from PySide6.QtCore import Qt


def test_rows_tab_pages_sorts_and_filters(window, qtbot, churn):
    page = window.datasets_page
    page.refresh()
    page.select_version(churn.id)
    page.tabs.setCurrentWidget(page.rows_view)
    view = page.rows_view
    model = view.model
    assert (model.rowCount(), model.columnCount()) == (2000, 10)
    assert model.headerData(1, Qt.Orientation.Horizontal) == "tenure_months"
    assert model.index(0, 0).data() == "C100000"
    assert model.index(1999, 0).data() == "C101999"
    assert view.count.text() == "2,000 rows"

    view.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: not view.busy and model.index(0, 1).data() == "72", timeout=10000)

    view.filter_column.setCurrentText("contract")
    view.filter_text.setText("= one year")
    view.apply_filter()
    qtbot.waitUntil(
        lambda: not view.busy and model.rowCount() == 488, timeout=10000
    ) and view.count.text() == "488 of 2,000 rows"
    assert {model.index(r, 2).data() for r in range(488)} == {"one year"}

    view.filter_column.setCurrentText("tenure_months")
    view.filter_text.setText("> lots")
    view.apply_filter()
    qtbot.waitUntil(lambda: not view.busy, timeout=10000)
    assert window.banner.property("kind") == "error"
    assert "'lots' is not a number" in window.banner.label.text()
