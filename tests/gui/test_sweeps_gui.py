"""A sweep started from the GUI runs its trials in workers; the page shows trials and history."""

import pytest

from modelyard.training.sweeps import get_sweep

pytestmark = pytest.mark.slow


def test_a_grid_sweep_from_the_dialog_fills_the_sweeps_page(window, qtbot, store, churn):
    from modelyard.gui.pages.sweeps.sweep_dialog import NewSweepDialog

    dialog = NewSweepDialog(store, [churn], churn, window)
    dialog.target.setCurrentIndex(dialog.target.findData("churn"))
    dialog.model.setCurrentIndex(dialog.model.findData("knn"))
    dialog.sampler.setCurrentText("grid")
    dialog.space.setText("n_neighbors=3:9")
    dialog.accept()
    assert dialog.sweep is None and "listed values" in dialog.error.text()
    dialog.space.setText("n_neighbors=3,9")
    dialog.accept()
    sweep = dialog.sweep
    window.start_sweep(sweep)
    page = window.sweeps_page
    assert window.stack.currentWidget() is page
    qtbot.waitUntil(lambda: get_sweep(store, sweep.id).status == "finished", timeout=180000)
    window.refresh_current()
    page.select_sweep(sweep.id)
    assert page.trials.rowCount() == 2
    assert "Best: trial" in page.best.text()
    qtbot.waitUntil(lambda: len(page.history_shown()[0]) == 2, timeout=30000)
    trials, best = page.history_shown()
    (x0, x1), (y0, y1) = page.axis_ranges()
    assert (x0, x1) == (min(trials) - 0.5, max(trials) + 0.5)  # whole trials, no wide padding
    assert y0 <= min(best) and y1 >= max(best) and y1 - y0 <= 2 * (max(best) - min(best)) + 0.2
    assert not page.cancel_button.isEnabled()
