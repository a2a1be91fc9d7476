"""Deployments page: Test-serve runs the bundle's app in the background and shows each answer."""

from modelyard.deploy.bundle import export_bundle
from modelyard.registry.service import register


def test_test_serve_shows_responses_and_latency(window, qtbot, store, finished_run, tmp_path):
    version = register(store, finished_run.id, "churn")
    export_bundle(store, version, tmp_path / "b", onnx=False)
    page = window.deployments_page
    window.show_page(page)
    page.table.selectRow(0)
    page.serve_button.click()
    assert page.serve_task is not None and page.stop_button.isEnabled()
    assert not page.serve_button.isEnabled()  # the GUI thread is free; the app runs elsewhere
    qtbot.waitUntil(lambda: page.serve_task is None, timeout=90000)
    assert "6/6 requests answered" in page.result.text()
    assert page.exchanges.rowCount() == 6
    assert page.exchanges.item(5, 1).text() == "5" and page.exchanges.item(0, 2).text() == "200"
    assert "predictions" in page.exchanges.item(0, 4).text()
    assert page.serve_button.isEnabled() and not page.stop_button.isEnabled()
    assert list((store.home / "test-serve-logs").glob("*.jsonl"))
