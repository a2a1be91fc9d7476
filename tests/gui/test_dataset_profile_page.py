from modelyard.datasets.service import list_datasets
from tests.gui.test_main_window import drop


def _select_column(page, name):
    for row in range(page.columns.rowCount()):
        if page.columns.item(row, 0).text() == name:
            page.columns.selectRow(row)
            return
    raise AssertionError(name)


def test_selected_column_shows_its_profile_and_chart(window, churn, qtbot):
    from modelyard.gui.charts import ready

    qtbot.waitUntil(ready, timeout=30000)  # charts draw once pyqtgraph is loaded
    page = window.datasets_page
    page.refresh()
    page.select_version(churn.id)
    assert "2,000 rows × 10 columns · 0 duplicate rows" in page.profile_panel.summary.text()
    _select_column(page, "tenure_months")
    form = page.profile_panel.stats
    assert form.value("Column") == "tenure_months" and form.value("Type") == "integer"
    assert form.value("Mean") and "50%:" in form.value("Quantiles")
    assert page.profile_panel.chart_kind == "histogram"
    _select_column(page, "contract")
    assert "month-to-month" in page.profile_panel.stats.value("Top values")
    assert page.profile_panel.chart_kind == "bars"


def test_personal_data_choice_applies_to_dropped_files(window, qtbot, store, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email,n\nann@example.com,1\nbob@example.org,2\ncy@example.net,3\n")
    page = window.datasets_page
    page.privacy.setCurrentIndex(page.privacy.findData("drop"))
    drop(window, path)
    qtbot.waitUntil(lambda: not window.busy and page.versions.rowCount() == 1, timeout=30000)
    version = list_datasets(store)[0].versions[0]
    assert [c.name for c in version.columns] == ["n"]
    assert "Personal data: email (e-mail, drop)" in page.profile_panel.summary.text()


def test_compare_and_delete_versions(window, store, tmp_path):
    from modelyard.datasets.service import get_version, import_file
    from modelyard.gui.pages.datasets import version_actions

    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    import_file(store, path)
    path.write_text("a,c\n1,x\n2,y\n3,z\n")
    v2 = import_file(store, path).version
    page = window.datasets_page
    page.refresh()
    page.select_version(v2.id)
    page.diff_button.click()
    text = page.diff_dialog.report.toPlainText()
    assert "d:1 → d:2: rows 2 → 3 (+1)" in text and "added columns: c" in text
    page.diff_dialog.close()

    asked = []
    version_actions.delete_selected(page, v2, confirm=lambda *a: asked.append(a) or False)
    assert len(asked) == 1 and get_version(store, "d").version == 2  # said no: kept
    version_actions.delete_selected(page, v2, confirm=lambda *a: True)
    assert window.banner.label.text() == "Deleted d:2 and freed its stored file."
    assert page.versions.rowCount() == 1


def test_delete_refuses_a_version_a_run_used(window, store, churn):
    from modelyard.gui.pages.datasets import version_actions
    from tests.conftest import train_in_process

    train_in_process(store, churn)
    version_actions.delete_selected(window.datasets_page, churn, confirm=lambda *a: True)
    assert "customer_churn:1 is kept: run" in window.banner.label.text()
    assert window.banner.property("kind") == "error"


def test_rule_added_from_the_profile_is_checked_now_and_on_new_versions(window, store, tmp_path):
    from modelyard.datasets.service import import_file

    path = tmp_path / "v.csv"
    path.write_text("age,plan\n30,a\n41,b\n")
    v1 = import_file(store, path).version
    page = window.datasets_page
    page.refresh()
    page.select_version(v1.id)
    _select_column(page, "age")
    assert page.profile_panel.add_rule_button.isEnabled()
    page.profile_panel.add_rule_button.click()
    dialog = page.rule_dialog
    dialog.kind.setCurrentIndex(dialog.kind.findData("range"))
    assert dialog.argument.text() == "30..41"  # suggested from the profile
    dialog.argument.setText("oops")
    dialog.accept()
    assert "MIN..MAX" in dialog.error.text() and dialog.isVisible()
    dialog.argument.setText("18..65")
    dialog.accept()
    assert "1 of 1 rules passed; no problems." in window.banner.label.text()

    path.write_text("age,plan\n30,a\n70,c\n")
    v2 = import_file(store, path).version
    page.refresh()
    page.select_version(v2.id)
    assert "✗ age in 18..65 — 1 of 2 rows" in page.profile_panel.validation.text()
