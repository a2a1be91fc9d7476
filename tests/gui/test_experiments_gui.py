"""Runs page: experiments filter, compare by multi-select, Re-run; Costs page: budgets."""

from modelyard.tracking.experiments import get_experiment, set_budget
from modelyard.tracking.runs import get_run, list_runs
from tests.conftest import train_in_process


def _loaded(qtbot, page):
    qtbot.waitUntil(lambda: not page.loading, timeout=10000)


def test_filter_compare_and_rerun_from_the_runs_page(window, qtbot, store, churn):
    from modelyard.training.jobs import create_run

    a = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 5})
    b = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 9})
    create_run(store, churn, "churn", "ridge", experiment="other", name="lonely")
    page = window.runs_page
    window.show_page(page)
    _loaded(qtbot, page)
    names = [page.experiments.item(i).text() for i in range(page.experiments.count())]
    assert names == [f"{page.ALL}  (3)", "Default  (2)", "other  (1)"]
    assert page.model.rowCount() == 3
    page.select_experiment("other")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.model.text(0, "name") == "lonely"
    page.select_experiment("Default")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    page.table.selectAll()
    assert page.selected_run() is None
    assert {r.id for r in page.selected_runs()} == {a.id, b.id}
    view = page.compare_view
    assert page.lower.currentWidget() is view
    assert "param n_estimators" in view.differing_rows()
    window.refresh_current()  # a refresh keeps the comparison
    _loaded(qtbot, page)
    assert len(page.selected_runs()) == 2
    page.select_run(a.id)
    assert page.rerun_button.isEnabled()
    page.rerun_button.click()
    new_id = max(r.id for r in list_runs(store))
    qtbot.waitUntil(lambda: get_run(store, new_id).status == "finished", timeout=120000)
    again = get_run(store, new_id)
    assert (
        again.tags["rerun_of"] == str(a.id) and again.metrics["accuracy"] == a.metrics["accuracy"]
    )


def test_budget_dialog_and_warning_banner(window, qtbot, store, finished_run, monkeypatch):
    from modelyard.gui.pages.costs.budget_dialog import BudgetDialog
    from modelyard.telemetry.budgets import all_budgets

    dialog = BudgetDialog(store, "Default", window)
    dialog.kwh.setText("abc")
    dialog.accept()
    assert "must be a number" in dialog.error.text() and dialog.status is None
    dialog.kwh.setText("2")
    dialog.auto_stop.setChecked(True)
    dialog.accept()
    assert dialog.status is not None and get_experiment(store, "Default").budget_kwh == 2.0
    page = window.costs_page
    window.show_page(page)
    assert page.budgets.rowCount() == 1 and page.budgets.item(0, 5).text() == "yes"
    used = all_budgets(store)[0].used_kwh
    set_budget(store, "Default", kwh=used / 0.9)  # 90% used: a warning, once
    window._budgets_checked = float("-inf")  # checks are at most every 2 s
    window.check_budgets()
    assert "Budget warning" in window.banner.label.text()
    window.banner.label.setText("")
    window._budgets_checked = float("-inf")
    window.check_budgets()
    assert window.banner.label.text() == ""
