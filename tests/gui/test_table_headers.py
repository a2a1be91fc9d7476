"""Every page's tables: as many headers as columns, and a known value under its header.

A value more or fewer than the headers shifts every cell after it (the Costs table once showed
a duration under *Energy*); these tests catch that on each page, with real data.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from modelyard.gui.widgets import cell_under
from modelyard.registry.service import register


def headers_match(table) -> list[str]:
    """The table's headers, after checking there is one per column and every cell is filled."""
    headers = [table.horizontalHeaderItem(c) for c in range(table.columnCount())]
    assert all(h is not None and h.text() for h in headers)
    for r in range(table.rowCount()):
        assert all(table.item(r, c) is not None for c in range(table.columnCount()))
    return [h.text() for h in headers]


def test_datasets_tables(window, churn):
    page = window.datasets_page
    window.show_page(page)
    headers_match(page.versions)
    assert cell_under(page.versions, "Dataset") == "customer_churn"
    assert cell_under(page.versions, "Rows") == str(churn.n_rows)
    assert cell_under(page.versions, "Columns") == str(churn.n_cols)
    assert cell_under(page.versions, "Source") == "customer_churn.csv"
    headers_match(page.columns)
    first = churn.columns[0]
    assert (cell_under(page.columns, "Column"), cell_under(page.columns, "Type")) == (
        first.name,
        first.kind,
    )


def test_runs_table(window, qtbot, finished_run):
    page = window.runs_page
    window.show_page(page)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and not page.loading, timeout=10000)
    model = page.model
    headers = [
        model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        for c in range(model.columnCount())
    ]
    assert all(headers) and len(headers) == model.columnCount()
    status = model.index(0, headers.index("Status")).data()
    assert status == "finished"


def test_sweeps_table(window, store, churn):
    from modelyard.training.sweeps import create_sweep

    sweep = create_sweep(store, churn, "churn", "logistic_regression", n_trials=3)
    page = window.sweeps_page
    window.show_page(page)
    headers_match(page.table)
    assert cell_under(page.table, "Sweep") == str(sweep.id)
    assert cell_under(page.table, "Target") == "churn"
    assert cell_under(page.table, "Trials") == "3"
    assert cell_under(page.table, "Models") == "logistic_regression"


def test_models_and_deployments_tables(window, store, finished_run, tmp_path):
    from modelyard.deploy.bundle import export_bundle

    version = register(store, finished_run.id, "churn")
    page = window.models_page
    window.show_page(page)
    headers_match(page.table)
    assert cell_under(page.table, "Model") == "churn"
    assert cell_under(page.table, "Version") == "1"
    assert cell_under(page.table, "Run") == str(finished_run.id)
    assert cell_under(page.table, "Trained on") == finished_run.dataset.label
    headers_match(page.detail.audit)
    assert cell_under(page.detail.audit, "Action") == "register"

    export_bundle(store, version, tmp_path / "bundle")
    page = window.deployments_page
    window.show_page(page)
    headers_match(page.table)
    assert cell_under(page.table, "Model") == version.label
    assert cell_under(page.table, "Folder") == str(tmp_path / "bundle")


def test_evaluation_tables(window, qtbot, store, finished_run):
    version = register(store, finished_run.id, "churn")
    window.open_evaluation(version)
    page = window.evaluation_page
    page.evaluate_button.click()
    qtbot.waitUntil(lambda: page.task is None and page.result is not None, timeout=60000)
    headers_match(page.metrics_table)
    metrics = {
        page.metrics_table.item(r, 0).text(): page.metrics_table.item(r, 1).text()
        for r in range(page.metrics_table.rowCount())
    }
    assert 0 <= float(metrics["accuracy"]) <= 1
    headers_match(page.class_table)
    assert {cell_under(page.class_table, "Class", r) for r in range(2)} == {"no", "yes"}


def test_monitoring_table(window, store, finished_run):
    from modelyard.registry.aliases import set_alias

    register(store, finished_run.id, "churn")
    set_alias(store, "churn", "production", 1)
    page = window.monitoring_page
    window.show_page(page)
    headers_match(page.versions_table)
    assert cell_under(page.versions_table, "Model version") == "churn v1"
    assert cell_under(page.versions_table, "Aliases") == "production"


def test_resources_table(window, qtbot):
    from modelyard.telemetry.machine import MachineSnapshot, RunUsage
    from modelyard.telemetry.sampler import SystemSampler

    page = window.resources_page
    window.show_page(page)
    usage = RunUsage(7, "run 7", 4242, 150.0, 512.0, 2, None)
    page.add_snapshot(MachineSnapshot(SystemSampler().sample(), runs=(usage,)))
    page.redraw()
    headers_match(page.runs_table)
    assert cell_under(page.runs_table, "Run") == "run 7"
    assert cell_under(page.runs_table, "PID") == "4242"
    assert cell_under(page.runs_table, "Memory") == "512 MB"
    assert cell_under(page.runs_table, "GPU memory") == "n/a"


def test_costs_table(window, finished_run):
    page = window.costs_page
    window.show_page(page)
    headers_match(page.table)
    assert cell_under(page.table, "Run") == str(finished_run.id)
    assert cell_under(page.table, "Model") == finished_run.model_kind
    assert cell_under(page.table, "Dataset") == finished_run.dataset.label
    headers_match(page.periods)
    assert cell_under(page.periods, "Runs") == "1"
