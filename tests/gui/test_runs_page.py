"""The Runs page: a model-based table (sort, filter, columns), live rows, script runs, detail tabs."""

import textwrap

import pytest
from PySide6.QtCore import Qt

from modelyard.store.settings import get_setting
from modelyard.tracking.experiments import tag_run
from modelyard.tracking.runs import create_run, finish, get_run, log_metrics, mark_running
from modelyard.training import queue


def _loaded(qtbot, page):
    qtbot.waitUntil(lambda: not page.loading, timeout=20000)


def _finished(store, churn, c, accuracy):
    run = create_run(store, churn, "churn", "logistic_regression", {"C": c})
    mark_running(store, run.id)
    finish(store, run.id, "0" * 64, {}, {"accuracy": accuracy})
    return run.id


@pytest.fixture
def many(store, churn):
    ids = [
        _finished(store, churn, c=i / 10 + 0.1, accuracy=(i * 37 % 100) / 100) for i in range(60)
    ]
    tag_run(store, ids[5], {"team": "vision"})
    return ids


def test_sort_filter_and_choose_columns(window, qtbot, store, many):
    page = window.runs_page
    window.show_page(page)
    _loaded(qtbot, page)
    assert page.model.rowCount() == 60 and page.count_label.text() == "60 runs"
    page.toggle_column("metrics.accuracy", True)
    column = page.model.columns.index("metrics.accuracy")
    assert page.model.headerData(column, page.table.horizontalHeader().orientation()) == "accuracy"
    page.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)  # as a header click does
    values = [page.model.row(r).metrics["accuracy"] for r in range(60)]
    assert values == sorted(values)
    page.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    assert page.model.row(0).metrics["accuracy"] == max(values)

    page.filter_edit.setText("accuracy >= 0.5 and C < 3")
    expected = {
        r.id for r in page.model.all_rows if r.metrics["accuracy"] >= 0.5 and r.params["C"] < 3
    }
    assert {page.model.run_id(r) for r in range(page.model.rowCount())} == expected
    assert page.count_label.text() == f"{len(expected)} of 60 runs"
    page.filter_edit.setText("vision")
    assert [page.model.run_id(r) for r in range(page.model.rowCount())] == [many[5]]
    page.filter_edit.setText("accuracy >")
    assert page.filter_error.isVisible() and "accuracy > 0.9" in page.filter_error.text()
    assert page.model.rowCount() == 60  # a filter that cannot be read hides nothing
    page.filter_edit.setText("")
    page.status_box.setCurrentText("failed")
    assert page.model.rowCount() == 0
    page.status_box.setCurrentIndex(0)
    assert get_setting(store, "gui.runs.columns")[-1] == "metrics.accuracy"


def test_the_chosen_columns_come_back_in_a_new_window(qtbot, store, many):
    from modelyard.gui.main_window import MainWindow
    from modelyard.store.settings import set_setting

    set_setting(store, "gui.runs.columns", ["id", "status", "params.C"])
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show_page(window.runs_page)
    qtbot.waitUntil(lambda: window.runs_page.model.rowCount() == 60, timeout=20000)
    assert window.runs_page.model.columns == ["id", "status", "params.C"]
    assert window.runs_page.model.text(0, "params.C") == "6"
    window.close()


def test_live_rows_update_without_losing_the_selection(window, qtbot, store, churn, many):
    page = window.runs_page
    live = create_run(store, churn, "churn", "ridge", name="live")
    mark_running(store, live.id)
    window.show_page(page)
    _loaded(qtbot, page)
    page.select_run(many[10])
    page.table.scrollToBottom()
    scrolled = page.table.verticalScrollBar().value()
    log_metrics(store, live.id, {"loss": 0.5}, step=1)
    qtbot.waitUntil(lambda: "loss=0.5" in page.model.text(page.model.row_of(live.id), "metrics"))
    assert page.selected_ids() == [many[10]]
    assert page.table.verticalScrollBar().value() == scrolled
    log_metrics(store, live.id, {"loss": 0.25}, step=2)
    qtbot.waitUntil(lambda: "loss=0.25" in page.model.text(page.model.row_of(live.id), "metrics"))
    assert page.selected_ids() == [many[10]]


SCRIPT = """
import sys, time
import modelyard
print("script says", *sys.argv[1:], flush=True)
with modelyard.start_run(name="from-gui") as run:
    for step in range(int(sys.argv[1])):
        run.log_metric("loss", 1 / (step + 1))
        time.sleep(float(sys.argv[2]))
    with open("notes.txt", "w") as f:
        f.write("kept")
    run.log_artifact("notes.txt")
"""


@pytest.mark.slow
def test_a_script_started_from_the_gui_is_followed_live(window, qtbot, store, tmp_path):
    from modelyard.gui.pages.runs.script_dialog import RunScriptDialog

    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    dialog = RunScriptDialog(store, script, parent=window)
    dialog.arguments.setText("12 0.25")
    dialog.accept()
    assert dialog.run is not None
    window.start_run(dialog.run)
    run_id = dialog.run.id
    page = window.runs_page
    qtbot.waitUntil(lambda: page.model.row_of(run_id) is not None, timeout=10000)
    page.select_run(run_id)
    page.detail.setCurrentIndex(1)  # Charts
    sizes = set()

    def progressed():
        steps = page.curves.series("loss")[0]
        if get_run(store, run_id).status == "running" and len(steps) >= 2:
            sizes.add(len(steps))
        return get_run(store, run_id).status == "finished"

    qtbot.waitUntil(progressed, timeout=120000)
    assert len(sizes) >= 3  # the curve grew while the script ran
    window.refresh_current()
    qtbot.waitUntil(lambda: len(page.curves.series("loss")[0]) == 12)
    page.detail.setCurrentWidget(page.detail.log)
    qtbot.waitUntil(lambda: "script says 12 0.25" in page.detail.log.text.toPlainText())
    page.detail.setCurrentWidget(page.detail.artifacts)
    artifacts = page.detail.artifacts
    qtbot.waitUntil(lambda: artifacts.table.rowCount() == 1)
    assert artifacts.table.item(0, 0).text() == "notes.txt"
    saved = artifacts.save_to("notes.txt", tmp_path / "copy.txt")
    assert saved.read_text() == "kept"
    page.detail.setCurrentWidget(page.detail.environment)
    assert str(script) in page.detail.environment.toPlainText()
    assert "from-gui" in page.model.text(page.model.row_of(run_id), "name")


def test_the_script_dialog_refuses_what_it_cannot_run(window, store, tmp_path):
    from modelyard.gui.pages.runs.script_dialog import RunScriptDialog
    from tests.conftest import store_snapshot

    before = store_snapshot(store)
    dialog = RunScriptDialog(store, None, parent=window)
    dialog.accept()
    assert "Choose the script" in dialog.error.text() and dialog.run is None
    dialog.script.setText(str(tmp_path / "missing.py"))
    dialog.accept()
    assert "no script" in dialog.error.text()
    script = tmp_path / "ok.py"
    script.write_text("print(1)")
    dialog.script.setText(str(script))
    dialog.arguments.setText('--name "unclosed')
    dialog.accept()
    assert "quotes" in dialog.error.text() and dialog.run is None
    assert not dialog.gpu.isEnabled()  # no GPU here
    assert store_snapshot(store) == before
    dialog.close()


@pytest.mark.slow
def test_a_run_waiting_for_a_slot_says_so(window, qtbot, store, tmp_path):
    from modelyard.tracking.scripts import create_script_run

    queue.set_limits(store, cpu_runs=1)
    script = tmp_path / "wait.py"
    script.write_text("import time\ntime.sleep(3)\n")
    first, second = (create_script_run(store, script) for _ in range(2))
    window.start_run(first)
    window.start_run(second)
    assert "queued: number 1 in line" in window.banner.label.text()
    page = window.runs_page
    qtbot.waitUntil(
        lambda: (
            page.model.row_of(second.id) is not None
            and page.model.text(page.model.row_of(second.id), "status") == "queued #1"
        ),
        timeout=10000,
    )
    qtbot.waitUntil(lambda: get_run(store, second.id).status == "finished", timeout=60000)
    assert get_run(store, second.id).started_at >= get_run(store, first.id).ended_at


def test_dropping_a_script_on_the_window_offers_to_run_it(window, store, tmp_path, monkeypatch):
    from modelyard.gui.pages.runs.script_dialog import RunScriptDialog
    from tests.gui.test_main_window import drop

    offered = []
    monkeypatch.setattr(RunScriptDialog, "exec", lambda self: offered.append(self.script.text()))
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("print('hi')"))
    drop(window, script)
    assert offered == [str(script)]


def test_choosing_a_run_from_code_selects_only_it_even_with_ctrl_held(window, qtbot, store, churn):
    """select_run must not toggle the row as a Ctrl-click would (Qt reads the keyboard state)."""
    from PySide6.QtCore import Qt

    from modelyard.tracking.runs import create_run

    first = create_run(store, churn, "churn", "ridge")
    second = create_run(store, churn, "churn", "ridge")
    page = window.runs_page
    window.show_page(page)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    page.select_run(first.id)
    qtbot.keyPress(page.table, Qt.Key.Key_Control, Qt.KeyboardModifier.ControlModifier)
    try:
        page.select_run(second.id)
        assert page.selected_ids() == [second.id]
        page.select_run(second.id)
        assert page.selected_ids() == [second.id]
    finally:
        qtbot.keyRelease(page.table, Qt.Key.Key_Control)
