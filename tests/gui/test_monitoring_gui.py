"""Monitoring page: drop a file on a model version, see the report under the right headers,
rules raise alerts with a badge, labels dropped as a file are kept."""

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from modelyard.monitoring.checks import history
from modelyard.monitoring.rules import add_rule
from modelyard.registry.service import register
from tests.monitoring.conftest import shifted


def _drop(widget, path, point: QPoint):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(point),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    widget.dropEvent(event)


def _cells(table):
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return [
        {h: table.item(r, c).text() for c, h in enumerate(headers)} for r in range(table.rowCount())
    ]


def test_drop_a_file_on_a_version_and_see_its_report(
    window, qtbot, store, finished_run, sample_csv, tmp_path
):
    import pandas as pd

    version = register(store, finished_run.id, "churn")
    add_rule(store, "churn", "drift_share>=0.3")
    moved = tmp_path / "moved.csv"
    shifted(pd.read_csv(sample_csv)).to_csv(moved, index=False)
    page = window.monitoring_page
    window.show_page(page)
    assert not page.is_empty_shown
    assert _cells(page.versions_table)[0]["Model version"] == "churn v1"
    assert "not been checked" in page.report_view.summary.text()
    table = page.versions_table
    rect = table.visualItemRect(table.item(0, 0))
    _drop(page, moved, table.viewport().mapTo(page, rect.center()))
    qtbot.waitUntil(lambda: page.task is None, timeout=60000)
    assert [c.source for c in history(store, version)] == [str(moved.resolve())]
    assert "The data drifts: 4 of 8 input columns drift" in page.report_view.summary.text()
    rows = {r["Column"]: r for r in _cells(page.report_view.columns_table)}
    assert (
        rows["monthly_charges"]["Test"] == "wasserstein"
        and rows["monthly_charges"]["Drift"] == "DRIFT"
    )
    assert rows["senior"]["Drift"] == "no" and rows["senior"]["Threshold"] == "0.1"
    assert rows["total_charges"]["Missing (ref → cur)"] == "1.9% → 1.9%"
    perf = {r["Metric"]: r for r in _cells(page.report_view.performance_table)}
    assert perf["accuracy"]["Holdout"] == "0.785" and perf["accuracy"]["Status"] == "degraded"
    assert perf["accuracy (estimated)"]["Status"] == "estimated"
    qtbot.waitUntil(lambda: page.report_view.plot is not None, timeout=10000)
    from pyqtgraph import BarGraphItem

    bars = [i for i in page.report_view.plot.getPlotItem().items if isinstance(i, BarGraphItem)]
    assert len(bars) == 2  # reference and current
    assert _cells(page.versions_table)[0]["Alerts"] == "⚠ 1"
    assert window.sidebar.item(window.pages.index(page)).text() == "Monitoring (1)"
    assert _cells(page.alerts.alerts_table)[0]["Seen"] == "NEW"
    assert _cells(page.history.table)[0]["Data"] == "moved.csv"
    page.acknowledge()
    assert window.sidebar.item(window.pages.index(page)).text() == "Monitoring"

    labels = tmp_path / "labels.csv"
    labels.write_text("id,label\nabc-0,yes\n")
    _drop(page, labels, QPoint(5, 5))
    from modelyard.monitoring.feedback import stored_labels

    assert stored_labels(store, version) == {"abc-0": "yes"}


def test_rules_are_added_and_refused_in_the_page(window, store, finished_run):
    register(store, finished_run.id, "churn")
    page = window.monitoring_page
    window.show_page(page)
    messages = []
    page.message.connect(lambda text, error: messages.append((text, error)))
    page.add_rule("column=contract,action=retrain")
    page.add_rule("nonsense")
    assert _cells(page.alerts.rules_table)[0]["Spec"] == "column=contract,action=retrain"
    assert messages[-1][1] and "is not a rule" in messages[-1][0]


def test_the_app_checks_new_files_in_a_watched_folder(
    window, qtbot, store, finished_run, sample_csv, tmp_path
):
    import os
    import shutil

    from modelyard.gui.pages.monitoring.watcher import MonitorWatcher
    from modelyard.monitoring.settings import update_settings

    version = register(store, finished_run.id, "churn")
    folder = tmp_path / "incoming"
    folder.mkdir()
    shutil.copy(sample_csv, folder / "old.csv")
    update_settings(store, "churn", watch_folder=str(folder))
    page = window.monitoring_page
    page.refresh()
    # the window's own watcher (started after the store opens) would race this one on a slow
    # machine, where the test outlasts its 30 s tick
    qtbot.waitUntil(lambda: window.monitor_watcher is not None, timeout=10000)
    window.monitor_watcher.stop()
    watcher = MonitorWatcher(page)
    watcher.tick()  # what was there before is not new
    assert page.task is None and history(store, version) == []
    new = folder / "monday.csv"
    shutil.copy(sample_csv, new)
    os.utime(new, (1, 1))  # settled: not still being copied in
    watcher.tick()
    assert page.task is not None
    qtbot.waitUntil(lambda: page.task is None, timeout=60000)
    assert [c.source for c in history(store, version)] == [str(new.resolve())]
    watcher.tick()  # seen once, checked once
    assert page.task is None
