"""Evaluation page: runs off the GUI thread, shows metrics, curves, tables; compare and promote."""

from modelyard.registry.aliases import aliases
from modelyard.registry.service import register
from tests.conftest import train_in_process


def test_evaluate_then_compare_and_promote(window, qtbot, store, churn, finished_run):
    register(store, finished_run.id, "churn")
    window.show_page(window.models_page)
    window.models_page.table.selectRow(0)
    window.models_page.evaluate_button.click()
    page = window.evaluation_page
    assert window.stack.currentWidget() is page
    assert page.version_box.currentText() == "churn v1"
    page.slice_edit.setText("contract, senior")
    page.evaluate_button.click()
    assert not page.evaluate_button.isEnabled()  # the work is in the background
    qtbot.waitUntil(lambda: page.task is None, timeout=60000)
    assert page.verdict.text().startswith(
        "churn v1 on holdout of customer_churn:1 (seed 0): 400 rows."
    )
    assert page.parts_shown[-1] == "all" and "3 shuffles per column" in page.importance_note.text()
    metrics = {
        page.metrics_table.item(r, 0).text(): page.metrics_table.item(r, 1).text()
        for r in range(page.metrics_table.rowCount())
    }
    assert metrics["accuracy"] == "0.785" and "log_loss" in metrics and "roc_auc" in metrics
    assert page.class_table.rowCount() == 2 and page.confusion_table.columnCount() == 3
    assert page.worst_table.rowCount() == 20 and page.importance_table.rowCount() == 8
    assert page.slice_table.rowCount() == 5  # three contracts, two senior groups
    assert "demographic parity difference" in page.slice_note.text()
    assert page.shap_table.rowCount() == 8 and page.beeswarm_points > 0
    assert "LinearExplainer" in page.shap_note.text()
    page.worst_table.selectRow(0)
    page.explain_button.click()
    qtbot.waitUntil(lambda: page.explain_task is None, timeout=60000)
    assert page.single_explanation is not None and "= expected" in page.row_explanation.text()
    roc = page.plots["roc"]
    assert roc.isVisibleTo(page.charts) and len(roc.listDataItems()) == 2
    assert not page.promote_button.isEnabled()

    register(store, train_in_process(store, churn).id, "churn")  # the same model, retrained
    page.refresh()
    page.version_box.setCurrentIndex(page.version_box.findText("churn v2"))
    page.champion_box.setCurrentIndex(page.champion_box.findText("churn v1"))
    page.evaluate_button.click()
    qtbot.waitUntil(lambda: page.task is None, timeout=60000)
    assert "No clear difference on f1_macro" in page.verdict.text()
    assert page.metrics_table.columnCount() == 3
    page.promote_button.click()
    assert aliases(store, "churn") == {"production": 2}
    assert "production of 'churn' now points to v2" in window.banner.label.text()


def test_evaluating_on_an_incompatible_dataset_shows_the_error(
    window, qtbot, store, finished_run, tmp_path
):
    from modelyard.datasets.service import import_file

    register(store, finished_run.id, "churn")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n3,4\n")
    import_file(store, tmp_path / "other.csv", "other")
    page = window.evaluation_page
    window.show_page(page)
    page.data_box.setCurrentIndex(page.data_box.findText("other:1"))
    page.evaluate_button.click()
    qtbot.waitUntil(lambda: page.task is None, timeout=60000)
    assert window.banner.property("kind") == "error"
    assert "no column 'churn'" in window.banner.label.text()


def test_evaluate_from_models_says_what_to_do_before_the_first_result(window, store, finished_run):
    from modelyard.registry.service import register

    version = register(store, finished_run.id, "hinted")
    window.open_evaluation(version)
    page = window.evaluation_page
    assert page.version_box.currentData() == version.id
    assert "press Evaluate" in page.verdict.text()
