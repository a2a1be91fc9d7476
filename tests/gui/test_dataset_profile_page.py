from modelyard.datasets.service import list_datasets
from tests.gui.test_main_window import drop


def _select_column(page, name):
    for row in range(page.columns.rowCount()):
        if page.columns.item(row, 0).text() == name:
            page.columns.selectRow(row)
            return
    raise AssertionError(name)


def test_selected_column_shows_its_profile_and_chart(window, churn):
    page = window.datasets_page
    page.refresh()
    page.select_version(churn.id)
    assert "2,000 rows × 10 columns · 0 duplicate rows" in page.profile_panel.summary.text()
    _select_column(page, "tenure_months")
    assert "mean" in page.profile_panel.stats.text()
    assert "quantiles" in page.profile_panel.stats.text()
    assert page.profile_panel.chart_kind == "histogram"
    _select_column(page, "contract")
    assert "month-to-month" in page.profile_panel.stats.text()
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
