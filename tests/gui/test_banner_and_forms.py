"""The banner leaves room for the page above it; Settings is one form that keeps its fields
at their own width."""

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QFormLayout, QLineEdit


def test_the_import_banner_does_not_cover_the_columns_table(window, qtbot, churn):
    page = window.datasets_page
    window.show_page(page)
    window.notify(f"Imported customer_churn.csv as {churn.label}: 2,000 rows.\nSecond line.")
    qtbot.waitUntil(lambda: window.banner.isVisible())
    table = page.columns
    qtbot.waitUntil(
        lambda: table.mapTo(window.stack, QPoint(0, table.height())).y() <= window.banner.y()
    )
    window.banner.hide()
    assert window.stack.contentsMargins().bottom() == 0


def test_settings_is_one_form_whose_fields_keep_their_width(window, qtbot):
    page = window.settings_page
    window.show_page(page)
    forms = [f for f in page.findChildren(QFormLayout) if f.rowCount() > 3]
    assert len(forms) == 1  # one form: every section's labels share one width
    form = forms[0]
    assert form.fieldGrowthPolicy() == QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint
    window.resize(1600, 800)
    qtbot.waitUntil(lambda: page.width() > 1200)
    edits = page.findChildren(QLineEdit)
    assert edits and all(e.width() < page.width() / 2 for e in edits)
    label_edges = {
        form.itemAt(r, QFormLayout.ItemRole.FieldRole).widget().x()
        for r in range(form.rowCount())
        if form.itemAt(r, QFormLayout.ItemRole.LabelRole) is not None
        and form.itemAt(r, QFormLayout.ItemRole.FieldRole) is not None
    }
    assert len(label_edges) == 1  # every field starts at the same x: one label column
