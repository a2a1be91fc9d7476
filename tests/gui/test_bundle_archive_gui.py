"""Exporting a .tar.gz bundle from the Models page and verifying it on the Deployments page."""

from PySide6.QtWidgets import QFileDialog


def test_export_archive_button_writes_a_verified_archive(
    window, qtbot, store, finished_run, tmp_path, monkeypatch
):
    target = tmp_path / "churn-v1.tar.gz"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    window.register_run(finished_run, "churn-model")
    window.models_page.table.selectRow(0)
    assert window.models_page.archive_button.isEnabled()
    window.models_page.archive_button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.deployments_page, timeout=60000)
    assert target.is_file()
    page = window.deployments_page
    page.table.selectRow(0)
    page.verify_selected()
    qtbot.waitUntil(lambda: not page.verifying, timeout=30000)
    assert "all files match" in page.result.text()
