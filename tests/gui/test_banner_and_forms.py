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


def test_every_page_fits_a_1280_pixel_wide_screen(window):
    from PySide6.QtWidgets import QApplication

    from modelyard.gui import theme

    theme.apply(QApplication.instance(), "light")  # the app's own padding, as users see it
    for page in window.pages:  # one long unwrapped label once made Monitoring 1,400 px wide
        window.show_page(page)
        assert page.minimumSizeHint().width() + window.sidebar.width() <= 1200, page.title


def test_chart_axes_show_small_amounts_as_plain_decimals(qtbot):
    from modelyard.gui.charts import pg, plain_axis, preload_in_background, ready

    preload_in_background()
    qtbot.waitUntil(ready, timeout=30000)
    assert pg() is not None
    axis = plain_axis()
    assert axis.tickStrings([0.0, 0.00002, 0.00004], 1.0, 0.00002) == [
        "0.00000",
        "0.00002",
        "0.00004",
    ]
    assert axis.tickStrings([0.4, 0.5], 1.0, 0.05) == ["0.40", "0.50"]
    assert axis.tickStrings([1000.0, 2000.0], 1.0, 1000.0) == ["1000", "2000"]
