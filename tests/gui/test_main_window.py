import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from modelyard.datasets.service import list_datasets
from modelyard.tracking.runs import get_run, list_runs
from tests.conftest import store_snapshot


def status_of(page, run_id: int) -> str | None:
    row = page.model.row_of(run_id)
    return None if row is None else page.model.row(row).status


def drop(widget, *paths: Path) -> None:
    """Drag file URLs over the widget, then drop them, as a file manager would.

    Qt's notify() swallows a Drop sent without a platform drag in progress, so the drop is
    delivered to the widget's event() directly, after the DragEnter went the normal way.
    """
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(QPoint(10, 10), *args)  # Qt takes a whole point here, a real one below
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the widget refused the drag"
    dropped = QDropEvent(QPointF(10, 10), *args)
    widget.event(dropped)
    assert dropped.isAccepted()


def test_every_page_says_how_to_fill_it_when_empty(window):
    for page in window.pages:
        if getattr(page, "always_filled", False):
            continue
        window.show_page(page)
        assert page.is_empty_shown
        assert page.empty.hint.text()
    assert "Drop a CSV or Parquet file" in window.datasets_page.empty.hint.text()


def test_dropping_a_file_on_the_datasets_page_imports_it(window, qtbot, store, sample_csv):
    page = window.datasets_page
    drop(page, sample_csv)
    qtbot.waitUntil(lambda: page.versions.rowCount() == 1 and not window.busy, timeout=30000)
    assert not page.is_empty_shown
    assert page.versions.item(0, 0).text() == "customer_churn"
    assert page.columns.rowCount() == 10
    assert "Imported customer_churn.csv" in window.banner.label.text()
    assert [d.name for d in list_datasets(store)] == ["customer_churn"]

    drop(window, sample_csv)  # anywhere on the window; same content
    qtbot.waitUntil(lambda: "already stored" in window.banner.label.text(), timeout=30000)
    assert page.versions.rowCount() == 1


def test_dropping_a_bad_file_shows_the_error_and_writes_nothing(window, qtbot, store, tmp_path):
    bad = tmp_path / "junk.csv"
    bad.write_bytes(bytes(range(256)) * 20)
    before = store_snapshot(store)
    drop(window.datasets_page, bad)
    qtbot.waitUntil(lambda: window.banner.isVisible() and not window.busy, timeout=30000)
    assert window.banner.property("kind") == "error"
    assert "not a text file" in window.banner.label.text()
    assert store_snapshot(store) == before


def test_new_run_dialog_suggests_task_and_refuses_bad_params(window, store, churn):
    from modelyard.gui.pages.runs.train_dialog import NewRunDialog

    dialog = NewRunDialog(store, [churn], churn, window)
    assert dialog.target.currentData() == "churn"
    assert dialog.task.currentText() == "classification"
    dialog.target.setCurrentIndex(dialog.target.findData("monthly_charges"))
    assert dialog.task.currentText() == "regression"
    dialog.target.setCurrentIndex(dialog.target.findData("churn"))
    dialog.model.setCurrentIndex(dialog.model.findData("random_forest"))
    dialog.param_edits["n_estimators"].setText("lots")
    dialog.accept()
    assert dialog.run is None and "must be int" in dialog.error.text()
    assert list_runs(store) == []
    dialog.close()


@pytest.mark.slow
def test_a_run_started_from_the_gui_finishes_while_the_window_stays_responsive(
    window, qtbot, store, churn
):
    from modelyard.gui.pages.runs.train_dialog import NewRunDialog

    window.show_page(window.datasets_page)
    window.refresh_current()
    dialog = NewRunDialog(store, [churn], window.datasets_page.selected_version(), window)
    dialog.model.setCurrentIndex(dialog.model.findData("random_forest"))
    dialog.param_edits["n_estimators"].setText("30")
    dialog.accept()
    assert dialog.run is not None

    # Responsiveness is checked by construction, not by the clock (that lives in
    # benchmarks/gui_stalls.py): the run trains in another process, and the GUI's event loop
    # keeps serving timers while it does.
    ticks = []
    probe = QTimer(interval=20)
    probe.timeout.connect(lambda: ticks.append(get_run(store, run_id).status))
    run_id = dialog.run.id
    probe.start()
    window.start_run(dialog.run)
    assert window.stack.currentWidget() is window.runs_page
    qtbot.waitUntil(lambda: get_run(store, run_id).status == "running", timeout=60000)
    page = window.runs_page
    qtbot.waitUntil(lambda: status_of(page, run_id) == "finished", timeout=120000)
    probe.stop()

    assert "accuracy=" in page.model.text(page.model.row_of(run_id), "metrics")
    page.select_run(run_id)
    assert "accuracy" in page.detail.overview.toPlainText()
    assert page.register_button.isEnabled()
    assert "running" in ticks, "the event loop served no timer while the run was training"
    assert get_run(store, run_id).pid not in (None, os.getpid())


def test_a_failed_run_shows_its_error(window, qtbot, store, tmp_path):
    from modelyard.datasets.service import import_file
    from modelyard.training.jobs import create_run

    path = tmp_path / "one.csv"
    path.write_text("x,label\n" + "".join(f"{i},a\n" for i in range(20)))
    dataset = import_file(store, path).version
    run = create_run(store, dataset, "label", "logistic_regression", task="classification")
    window.start_run(run)
    page = window.runs_page
    qtbot.waitUntil(lambda: status_of(page, run.id) == "failed", timeout=120000)
    qtbot.waitUntil(lambda: "failed" in window.banner.label.text(), timeout=10000)
    assert "only one class" in window.banner.label.text()
    page.select_run(run.id)
    assert "only one class" in page.detail.overview.toPlainText()


def test_register_export_and_verify_from_the_gui(window, qtbot, store, finished_run, tmp_path):
    window.show_page(window.runs_page)
    qtbot.waitUntil(lambda: window.runs_page.model.rowCount() == 1)
    window.runs_page.select_run(finished_run.id)
    version = window.register_run(window.runs_page.selected_run(), "churn-model")
    assert version.version == 1
    assert window.stack.currentWidget() is window.models_page
    assert window.models_page.table.rowCount() == 1

    window.models_page.table.selectRow(0)
    out = tmp_path / "bundle"
    window.export_version(window.models_page.selected_version(), out)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.deployments_page, timeout=60000)
    page = window.deployments_page
    assert page.table.rowCount() == 1
    page.table.selectRow(0)
    page.verify_selected()
    qtbot.waitUntil(lambda: "all files match" in page.result.text(), timeout=30000)
    qtbot.waitUntil(lambda: not page.verifying)
    (out / "serve.py").write_text("tampered")
    page.verify_selected()
    qtbot.waitUntil(lambda: "changed: serve.py" in page.result.text(), timeout=30000)
    qtbot.waitUntil(lambda: not page.verifying)


def test_the_sign_box_signs_the_exported_bundle(
    window, qtbot, store, finished_run, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    from modelyard.registry.service import register

    version = register(store, finished_run.id, "churn-model")
    window.show_page(window.models_page)
    window.models_page.sign_box.setChecked(True)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    window.ask_export(version)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.deployments_page, timeout=60000)
    assert (tmp_path / "churn-model-v1" / "manifest.sig").is_file()


def test_the_compress_choice_quantizes_the_export_or_says_why_not(
    window, qtbot, store, churn, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    from modelyard.registry.service import register
    from tests.conftest import train_in_process

    net = register(store, train_in_process(store, churn, kind="mlp", params={"epochs": 3}).id, "n")
    plain = register(store, train_in_process(store, churn).id, "plain")
    window.show_page(window.models_page)
    box = window.models_page.quantize_box
    box.setCurrentIndex(box.findData("float16"))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    window.ask_export(net)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.deployments_page, timeout=60000)
    manifest = json.loads((tmp_path / "n-v1" / "manifest.json").read_text())
    assert manifest["onnx"]["quantization"]["mode"] == "float16"
    assert "Quantized (float16)" in window.banner.label.text()
    window.show_page(window.models_page)
    window.ask_export(
        plain
    )  # a logistic regression has nothing to shrink: refused, nothing written
    qtbot.waitUntil(lambda: window._export_task is None, timeout=60000)
    assert "smaller" in window.banner.label.text() and not (tmp_path / "plain-v1").exists()


def test_runs_started_elsewhere_appear_without_a_click(window, qtbot, store, churn):
    from modelyard.training.jobs import create_run

    window.show_page(window.runs_page)
    create_run(store, churn, "churn", "random_forest")  # as the CLI would, on another connection
    qtbot.waitUntil(lambda: window.runs_page.model.rowCount() == 1, timeout=10000)


def test_a_worker_that_cannot_start_is_reported_not_announced(window, store, churn):
    from modelyard.training.jobs import create_run

    (store.home / "logs").write_text("a file where the log folder belongs")
    run = create_run(store, churn, "churn", "random_forest")
    window.start_run(run)
    assert window.banner.property("kind") == "error"
    assert "could not be started" in window.banner.label.text()
    assert get_run(store, run.id).status == "failed"


def test_without_a_store_actions_say_why(qtbot, sample_csv):
    from modelyard.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.store_failed("the disk is full")
    window.import_files([sample_csv])
    assert "cannot open its store: the disk is full" in window.banner.label.text()
    window.open_new_run_dialog()
    assert window.banner.property("kind") == "error"
