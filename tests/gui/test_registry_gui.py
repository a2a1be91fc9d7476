"""Models page: details of the selected version, aliases, rollback, lineage and audit log."""

from modelyard.registry.service import register
from tests.conftest import train_in_process


def test_models_page_shows_details_lineage_aliases_and_audit(window, store, churn):
    register(store, train_in_process(store, churn).id, "churn")
    register(store, train_in_process(store, churn, seed=1).id, "churn")
    page = window.models_page
    window.show_page(page)
    assert page.table.rowCount() == 2
    page.table.selectRow(1)  # newest first: row 1 is v1
    assert page.selected_version().version == 1
    page.set_alias("production")
    page.table.selectRow(0)
    page.set_alias("production")
    assert "production of 'churn' now points to v2 (was v1)" in window.banner.label.text()
    assert page.table.item(0, 2).text() == "production" and page.table.item(1, 2).text() == ""

    form = page.detail.summary
    assert form.value("Model").startswith("churn v2") and form.value("Aliases") == "production"
    assert form.value("Trainer").startswith("logistic_regression")
    assert "customer_churn.csv" in form.value("Source")
    assert page.selected_version().dataset.content_hash in form.value("Dataset")
    assert "tenure_months (" in form.value("Inputs") and "class of 'churn'" in form.value("Output")
    assert "modelyard" in form.value("Packages") and "scikit-learn" in form.value("Packages")
    steps = [s.text() for s in page.detail.lineage.steps]
    assert len(steps) == 4 and "churn v2" in steps[0] and "customer_churn.csv" in steps[3]
    actions = [page.detail.audit.item(r, 1).text() for r in range(page.detail.audit.rowCount())]
    assert actions == ["set alias", "set alias", "register", "register"]

    page.rollback_production()
    assert "now points to v1 (was v2)" in window.banner.label.text()
    assert page.table.item(1, 2).text() == "production"
    assert page.detail.audit.item(0, 1).text() == "rollback"
    page.rollback_production()
    assert "no earlier version" in window.banner.label.text()
    page.set_alias("not valid!")
    assert "cannot be an alias" in window.banner.label.text()
