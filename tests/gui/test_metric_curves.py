"""The Runs page follows a training run's per-epoch curves live, from new rows only."""

import pytest

from modelyard.tracking.runs import get_run, log_metrics
from modelyard.training.jobs import create_run

pytestmark = pytest.mark.slow


def test_curves_grow_while_an_mlp_trains_in_its_worker(window, qtbot, store, churn):
    run = create_run(store, churn, "churn", "mlp", {"epochs": 25, "patience": 0})
    page = window.runs_page
    window.start_run(run)
    qtbot.waitUntil(lambda: page.model.row_of(run.id) is not None, timeout=10000)
    page.select_run(run.id)
    page.detail.setCurrentIndex(1)  # Charts
    seen_while_running = []

    def progressed():
        steps = page.curves.series("train_loss")[0]
        if get_run(store, run.id).status == "running" and len(steps) >= 2:
            seen_while_running.append(len(steps))
        return get_run(store, run.id).status == "finished"

    qtbot.waitUntil(progressed, timeout=180000)
    window.refresh_current()
    qtbot.waitUntil(lambda: page.curves.series("train_loss")[0] == list(range(1, 26)))
    assert seen_while_running and min(seen_while_running) < 25  # drawn before the end
    assert page.curves.isVisible() and "loss" in page.curves.plots


def test_only_new_rows_are_fetched_and_a_new_selection_starts_over(window, qtbot, store, churn):
    from modelyard.tracking.runs import metric_arrays, metric_history

    first = create_run(store, churn, "churn", "ridge")
    second = create_run(store, churn, "churn", "ridge")
    for step in (1, 2, 3):
        log_metrics(store, first.id, {"loss": 1.0 / step}, step=step)
    rows, last = metric_history(store, first.id)
    assert [r[1] for r in rows] == [1, 2, 3]
    assert metric_history(store, first.id, last) == ([], last)
    arrays, last_id = metric_arrays(store, first.id)
    assert list(arrays["loss"][0]) == [1, 2, 3] and metric_arrays(store, first.id, last_id)[0] == {}
    page = window.runs_page
    window.show_page(page)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    page.select_run(first.id)
    page.detail.setCurrentIndex(1)  # Charts
    qtbot.waitUntil(lambda: page.curves.series("loss") == ([1, 2, 3], [1.0, 0.5, 1.0 / 3]))
    log_metrics(store, first.id, {"loss": 0.2}, step=4)
    page.curves.show_run(store, get_run(store, first.id))
    qtbot.waitUntil(lambda: page.curves.series("loss")[0] == [1, 2, 3, 4])
    page.select_run(second.id)
    qtbot.waitUntil(lambda: not page.curves.busy)
    assert page.curves.series("loss") == ([], []) and not page.curves.isVisible()
