"""The compare view: diff table, overlaid curves, parallel coordinates and scatter of runs."""

import math
from dataclasses import replace

import pytest

from modelyard.gui.pages.runs.compare_view import DIFFERS_BACKGROUND, CompareView
from modelyard.tracking.compare import metric_keys
from modelyard.tracking.runs import create_tracked_run, get_run, log_metrics

RUN_PARAMS = (
    {"lr": 0.1, "optimizer": "adam", "batch": 32},
    {"lr": 0.01, "optimizer": "sgd", "batch": 32},
    {"lr": 0.1, "optimizer": "adam", "batch": 32},
)
LOSSES = ([0.9, 0.6, 0.4], [1.0, 0.8, 0.7, 0.65], [0.8, 0.3])
ACCS = (0.5, 0.6, 0.9)
DIFFERING = {"param lr", "param optimizer", "metric loss", "metric val_loss", "metric acc"}


@pytest.fixture
def three(store):
    """Three script runs: lr and optimizer differ, batch does not; each logged a loss curve and
    a final acc; only the first two logged a val_loss curve (ending at 0.5 in both)."""
    runs = []
    for i, (params, losses) in enumerate(zip(RUN_PARAMS, LOSSES, strict=True)):
        run = create_tracked_run(store, "sdk", params=params, status="running", name=f"r{i}")
        for step, loss in enumerate(losses, start=1):
            log_metrics(store, run.id, {"loss": loss}, step=step)
        if i < 2:
            log_metrics(store, run.id, {"val_loss": 1.0}, step=1)
            log_metrics(store, run.id, {"val_loss": 0.5}, step=2)
        log_metrics(store, run.id, {"acc": ACCS[i]})
        runs.append(get_run(store, run.id))
    return runs


@pytest.fixture
def view(qtbot):
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


def show_tab(qtbot, view, tab):
    """Switch tabs and wait for the first draw (pyqtgraph may still be loading)."""
    view.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.stack.currentWidget() is not tab.message or not tab.dirty)


def choose(combo, key):
    """Pick a key as the user would: the chooser then keeps it across selections."""
    index = combo.findData(key)
    assert index >= 0, key
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def keys(combo):
    return [combo.itemData(i) for i in range(combo.count())]


def texts(plot):
    return {
        item.toPlainText(): item
        for item in plot.getPlotItem().items
        if hasattr(item, "toPlainText")
    }


def pen(line):
    return line.opts["pen"].color().name()


def hover_tip(plot, item):
    """The tooltip that hovering the item's middle shows."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    at = plot.mapFromScene(item.sceneBoundingRect().center())
    event = QHelpEvent(QEvent.Type.ToolTip, at, plot.viewport().mapToGlobal(at))
    QApplication.sendEvent(plot.viewport(), event)
    return QToolTip.text()


def test_fewer_than_two_runs_ask_for_a_selection(view, store, three):
    view.show_runs(store, three[:1])
    assert view.message.isVisible() and not view.tabs.isVisible()
    assert "two or more" in view.message.text()
    view.show_runs(store, three)
    assert view.tabs.isVisible() and not view.message.isVisible()


def test_the_diff_table_highlights_exactly_the_differing_rows(view, store, three):
    view.show_runs(store, three)
    table = view.table
    assert table.columnCount() == 4
    assert [table.horizontalHeaderItem(c).text() for c in range(1, 4)] == [r.label for r in three]
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert "param batch" in names and "metric acc" in names
    assert set(view.differing_rows()) == DIFFERING
    lr = names.index("param lr")
    assert [table.item(lr, c).text() for c in range(1, 4)] == ["0.1", "0.01", "0.1"]
    assert table.item(lr, 0).font().bold() and table.item(lr, 2).background() == DIFFERS_BACKGROUND
    batch = names.index("param batch")
    assert not table.item(batch, 0).font().bold()
    view.only_differences.setChecked(True)
    shown = [names[r] for r in range(table.rowCount()) if not table.isRowHidden(r)]
    assert set(shown) == DIFFERING
    view.only_differences.setChecked(False)
    assert not any(table.isRowHidden(r) for r in range(table.rowCount()))


def test_curves_overlay_every_run_and_follow_the_chosen_metric(view, qtbot, store, three):
    view.show_runs(store, three)
    show_tab(qtbot, view, view.curves)
    assert keys(view.curve_key) == ["loss", "val_loss"]
    assert view.curve_key.currentData() == "loss"  # all three runs have it, val_loss two
    assert set(view.curve_chart.items) == {r.id for r in three}
    for run, losses in zip(three, LOSSES, strict=True):
        steps, values = view.curve_chart.items[run.id].getData()
        assert list(steps) == list(range(1, len(losses) + 1)) and list(values) == losses
    legend = view.curves.plot.getPlotItem().legend
    assert sorted(label.text for _, label in legend.items) == sorted(r.label for r in three)
    choose(view.curve_key, "val_loss")
    assert set(view.curve_chart.items) == {three[0].id, three[1].id}
    assert len(view.curves.plot.getPlotItem().legend.items) == 2

    # A store refresh with the same runs draws nothing again; a live run's new step is added
    # and the chosen metric is kept.
    items = dict(view.curve_chart.items)
    view.show_runs(store, three)
    assert view.curve_chart.items == items
    log_metrics(store, three[0].id, {"val_loss": 0.25}, step=3)
    view.show_runs(store, [get_run(store, r.id) for r in three])
    qtbot.waitUntil(lambda: not view.busy)  # histories are read off the GUI thread
    assert view.curve_key.currentData() == "val_loss"
    assert list(view.curve_chart.items[three[0].id].getData()[1]) == [1.0, 0.5, 0.25]
    assert view.tabs.currentWidget() is view.curves


def test_runs_without_step_histories_say_so(view, qtbot, store):
    runs = []
    for lr in (0.1, 0.2):
        run = create_tracked_run(store, "sdk", params={"lr": lr}, status="running")
        log_metrics(store, run.id, {"acc": lr})
        runs.append(get_run(store, run.id))
    view.show_runs(store, runs)
    show_tab(qtbot, view, view.curves)
    assert view.curves.stack.currentWidget() is view.curves.message
    assert "no per-step metrics" in view.curves.message.text()
    show_tab(qtbot, view, view.scatter)
    assert view.scatter.stack.currentWidget() is view.scatter.plot
    show_tab(qtbot, view, view.parallel)
    assert len(view.parallel_chart.axes) == 2 and len(view.parallel_chart.lines) == 2


def test_parallel_coordinates_draw_one_line_per_run_across_the_axes(view, qtbot, store, three):
    view.show_runs(store, three)
    show_tab(qtbot, view, view.parallel)
    chart = view.parallel_chart
    # batch is the same in every run, and val_loss in the two runs that have it: both are left
    # out until asked for.
    assert [a.key for a in chart.axes] == [
        "param lr",
        "param optimizer",
        "metric loss",
        "metric acc",
    ]
    assert set(chart.lines) == {r.id for r in three}
    xs, ys = chart.lines[three[1].id].getData()
    # run 2: the lowest lr, sgd (the second category), the highest loss and a middle acc
    assert list(xs) == [0, 1, 2, 3] and list(ys) == pytest.approx([0.0, 1.0, 1.0, 0.25])
    # Short names under the axes, the full key and the kind of values on hover.
    assert [n.toPlainText() for n in chart.names] == ["lr", "optimizer", "loss", "acc"]
    assert chart.names[0].toolTip() == "param lr: numbers, 0.01 to 0.1"
    assert chart.names[1].toolTip() == "param optimizer: categories adam, sgd"
    shown = texts(view.parallel.plot)
    assert {"0.01", "0.1", "adam", "sgd", "0.9"} <= set(shown)
    # The lines' ends carry the runs' ids (full labels would be cut off); the tooltip and the
    # caption under the chart say which run each id is.
    ids = {str(r.id) for r in three}
    assert ids <= set(shown) and not {r.label for r in three} & set(shown)
    assert {e.toPlainText(): e.toolTip() for e, _ in chart.ends} == {
        str(r.id): r.label for r in three
    }
    assert all(f"<b>{r.id}</b> {r.name}" in view.parallel.caption.text() for r in three)
    assert view.parallel.caption.isVisible()

    colour = {r.id: pen(chart.lines[r.id]) for r in three}
    assert view.colour_by.currentData() == "metric loss"  # the first metric all runs have
    assert len(set(colour.values())) == 3  # coloured by loss: 0.4, 0.65, 0.3
    choose(view.colour_by, "metric val_loss")
    grey = {pen(chart.lines[r.id]) for r in three[:2]}
    assert len(grey) == 1 and pen(chart.lines[three[2].id]) == "#bdbdbd"
    choose(view.colour_by, "metric acc")
    assert {r.id: pen(chart.lines[r.id]) for r in three} != colour

    view.only_differing_axes.setChecked(False)
    assert [a.key for a in chart.axes] == [
        "param lr",
        "param optimizer",
        "param batch",
        "metric loss",
        "metric val_loss",
        "metric acc",
    ]
    third = chart.lines[three[2].id].getData()[1]
    assert len(third) == 6 and math.isnan(third[4]) and third[5] == 1.0  # no val_loss: a gap


@pytest.fixture
def families(store):
    """Runs of three model families, the MLP first: each family has params of its own, and the
    MLP alone logged a train_loss (as its first metric) and an epoch_loss curve."""
    specs = [
        ("mlp", {"epochs": 5, "learning_rate": 0.001, "device": "auto"}, {"train_loss": 0.5}),
        ("lr C=0.1", {"C": 0.1, "max_iter": 1000}, {}),
        ("lr C=10", {"C": 10.0, "max_iter": 1000}, {}),
        ("forest", {"n_estimators": 50, "min_samples_leaf": 1}, {}),
    ]
    runs = []
    for i, (name, params, extra) in enumerate(specs):
        run = create_tracked_run(store, "sdk", params=params, status="running", name=name)
        log_metrics(store, run.id, {**extra, "accuracy": 0.7 + i / 20, "f1": 0.6 - i / 20})
        if name == "mlp":
            for step in (1, 2):
                log_metrics(store, run.id, {"epoch_loss": 1.0 / step}, step=step)
        if name.startswith("lr"):
            for step in (1, 2):
                log_metrics(store, run.id, {"val_loss": 1.0 / step + i}, step=step)
        runs.append(get_run(store, run.id))
    return runs


def test_charts_of_model_families_keep_what_two_runs_share(view, qtbot, store, families):
    assert metric_keys(families)[0] == "metric train_loss"  # the first key is not the default
    view.show_runs(store, families)
    show_tab(qtbot, view, view.parallel)
    chart = view.parallel_chart
    # One axis per param or metric that two or more runs have, and (by default) that differs
    # between them: not the MLP's or the forest's own params, nor max_iter (1000 in both).
    assert [a.key for a in chart.axes] == [
        "param C",
        "metric accuracy",
        "metric f1",
        "metric val_loss",
    ]
    view.only_differing_axes.setChecked(False)
    assert [a.key for a in chart.axes] == [
        "param C",
        "param max_iter",
        "metric accuracy",
        "metric f1",
        "metric val_loss",
    ]
    # Coloured by a metric every run has, so no line is grey.
    assert keys(view.colour_by) == ["metric accuracy", "metric f1", "metric val_loss"]
    assert view.colour_by.currentData() == "metric accuracy"
    assert "#bdbdbd" not in {pen(line) for line in chart.lines.values()}

    show_tab(qtbot, view, view.scatter)
    assert view.scatter_x.currentData() == "param C"
    assert view.scatter_y.currentData() == "metric accuracy"
    assert "param epochs" not in keys(view.scatter_x)  # one run's value plots nothing
    assert [p.data() for p in view.scatter_chart.item.points()] == [r.id for r in families[1:3]]
    assert {str(r.id) for r in families[1:3]} <= set(texts(view.scatter.plot))

    show_tab(qtbot, view, view.curves)
    assert view.curve_key.currentData() == "val_loss"  # two runs' curves, not the MLP's one


def test_choosers_keep_what_the_user_picked_but_not_an_old_default(view, qtbot, store, families):
    twin = replace(families[0], id=families[0].id + 100)  # a second MLP
    view.show_runs(store, [families[0], twin])  # both have train_loss, their first metric
    show_tab(qtbot, view, view.parallel)
    assert view.colour_by.currentData() == "metric train_loss"
    # Adding the other families: two runs still have train_loss, but every run has accuracy.
    view.show_runs(store, [*families, twin])
    assert "metric train_loss" in keys(view.colour_by)
    assert view.colour_by.currentData() == "metric accuracy"
    choose(view.colour_by, "metric f1")
    view.show_runs(store, families[1:])
    assert view.colour_by.currentData() == "metric f1"


def test_many_long_axis_names_are_staggered_and_nothing_is_cut_off(view, qtbot, store):
    names = [f"a_rather_long_param_name_{i}" for i in range(10)]
    runs = []
    for r, accuracy in enumerate((0.5, 0.5001, 0.9)):  # two lines end at one height
        params = {name: (i + 1) * r for i, name in enumerate(names)}
        run = create_tracked_run(store, "sdk", params=params, status="running", name=f"r{r}")
        log_metrics(store, run.id, {"accuracy_on_the_validation_rows": accuracy})
        runs.append(get_run(store, run.id))
    view.resize(700, 420)
    view.show_runs(store, runs)
    show_tab(qtbot, view, view.parallel)
    chart = view.parallel_chart
    assert len(chart.axes) == 11
    ends = [item for item, _ in chart.ends]
    assert [e.toPlainText() for e in ends] == [str(r.id) for r in runs]
    box = view.parallel.plot.getViewBox()

    def inside(item):
        return box.sceneBoundingRect().contains(item.sceneBoundingRect())

    # Laid out for the chart's size once it has one: every name and id within the chart.
    qtbot.waitUntil(lambda: all(inside(item) for item in [*chart.names, *ends]))
    rects = [n.sceneBoundingRect() for n in chart.names]
    assert len({round(r.top()) for r in rects}) == 2  # two rows
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    assert any("…" in n.toPlainText() for n in chart.names)  # elided, full on hover
    assert hover_tip(view.parallel.plot, chart.names[0]).startswith(
        "param a_rather_long_param_name_0: numbers"
    )
    assert hover_tip(view.parallel.plot, ends[2]) == runs[2].label
    ends = [e.sceneBoundingRect().adjusted(4, 4, -4, -4) for e in ends]  # the text, not margins
    assert not any(a.intersects(b) for i, a in enumerate(ends) for b in ends[i + 1 :])


def test_scatter_puts_one_point_per_run_and_names_categories(view, qtbot, store, three):
    view.show_runs(store, three)
    show_tab(qtbot, view, view.scatter)
    assert view.scatter_x.currentData() == "param lr"  # the first param that differs
    assert view.scatter_y.currentData() == "metric loss"  # the first metric all runs have
    choose(view.scatter_y, "metric acc")
    points = view.scatter_chart.item.points()
    assert [p.data() for p in points] == [r.id for r in three]
    assert [p.pos().x() for p in points] == pytest.approx([0.1, 0.01, 0.1])
    assert [p.pos().y() for p in points] == pytest.approx([0.5, 0.6, 0.9])
    choose(view.scatter_x, "param optimizer")
    points = view.scatter_chart.item.points()
    assert [p.pos().x() for p in points] == [0, 1, 0]
    ticks = view.scatter.plot.getAxis("bottom")._tickLevels[0]
    assert ticks == [(0, "adam"), (1, "sgd")]
    choose(view.scatter_y, "metric loss")
    assert [p.pos().y() for p in view.scatter_chart.item.points()] == pytest.approx(
        [0.4, 0.65, 0.3]
    )
    assert {str(r.id) for r in three} <= set(texts(view.scatter.plot))

    # The choices survive a refresh with new entities of the same runs.
    view.show_runs(store, [get_run(store, r.id) for r in three])
    assert view.scatter_x.currentData() == "param optimizer"
    assert view.scatter_y.currentData() == "metric loss"
    choose(view.scatter_x, "metric val_loss")  # the third run has none: two points
    assert len(view.scatter_chart.item.points()) == 2
    assert not any(math.isnan(p.pos().y()) for p in view.scatter_chart.item.points())


def test_importing_the_view_leaves_pyqtgraph_unloaded():
    import subprocess
    import sys

    code = (
        "import sys, modelyard.gui.pages.runs.compare_view, modelyard.gui.pages.runs.compare_charts\n"
        "assert 'pyqtgraph' not in sys.modules, 'pyqtgraph imported with the module'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
