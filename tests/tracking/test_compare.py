"""Comparing runs: the diff rows, the plottable axes and the overlaid per-step histories."""

from dataclasses import replace

import numpy as np
import pytest

from modelyard.cli.format import compare_text
from modelyard.tracking.compare import (
    Histories,
    axis,
    axis_keys,
    chart_keys,
    diff_rows,
    metric_keys,
    most_shared,
    overlaid_histories,
    parallel_coordinates,
    scatter,
)
from modelyard.tracking.runs import finish, get_run, log_metrics, mark_running
from modelyard.training.jobs import create_run


@pytest.fixture
def base(store, churn):
    return create_run(store, churn, "churn", "ridge", {"alpha": 1.0})


def variants(base, *specs):
    """Runs that differ only in the given params and metrics (ids 1, 2, …)."""
    return [
        replace(base, id=i, params=params, metrics=metrics)
        for i, (params, metrics) in enumerate(specs, start=1)
    ]


def test_diff_rows_flag_exactly_what_differs(store, churn):
    a = create_run(store, churn, "churn", "ridge", {"alpha": 1.0}, seed=1)
    b = create_run(store, churn, "churn", "ridge", {"alpha": 0.5}, seed=1)
    c = create_run(store, churn, "churn", "random_forest", {"n_estimators": 5}, seed=1)
    log_metrics(store, a.id, {"accuracy": 0.8, "f1": 0.5})
    log_metrics(store, b.id, {"accuracy": 0.8})
    runs = [get_run(store, r.id) for r in (a, b, c)]
    rows = {row.name: row for row in diff_rows(runs)}
    assert list(rows)[:6] == ["status", "experiment", "dataset", "target", "model", "seed"]
    assert rows["dataset"].values == (churn.label,) * 3
    assert rows["param alpha"].values == ("1.0", "0.5", "")
    assert rows["param n_estimators"].values == ("", "", "5")
    assert rows["param max_depth"].values == ("", "", "")  # None shows as empty …
    assert rows["metric accuracy"].values == ("0.8", "0.8", "")
    differing = {name for name, row in rows.items() if row.differs}
    # … but a param set to None differs from one a run does not have.
    assert differing == {
        "model",
        "param alpha",
        "param n_estimators",
        "param max_depth",
        "param min_samples_leaf",
        "metric accuracy",
        "metric f1",
    }
    two = diff_rows(runs[:1] * 2)
    assert not any(row.differs for row in two)


def test_compare_text_is_built_on_the_diff_rows(store, churn):
    a = create_run(store, churn, "churn", "ridge", {"alpha": 1.0})
    b = create_run(store, churn, "churn", "ridge", {"alpha": 2.0})
    lines = compare_text([a, b]).splitlines()
    assert lines[0].split() == ["run", str(a.id), "run", str(b.id)]
    assert [line.split()[:3] for line in lines[:-1] if line.startswith("*")] == [
        ["*", "param", "alpha"]
    ]
    assert lines[-1] == "* differs between the runs"


def test_numeric_and_categorical_axes(base):
    runs = variants(
        base,
        ({"alpha": 1, "kernel": "rbf", "shrink": True, "depth": 10}, {"acc": 0.5}),
        ({"alpha": 0.5, "kernel": "linear", "shrink": False, "depth": "none"}, {"acc": 0.7}),
        ({"alpha": None, "kernel": "rbf", "shrink": True, "depth": 3}, {}),
    )
    alpha = axis(runs, "param alpha")
    assert alpha.numeric and alpha.label == "alpha"
    assert alpha.values == (1, 0.5, None) and alpha.range == (0.5, 1)
    kernel = axis(runs, "param kernel")
    assert not kernel.numeric and kernel.categories == ("linear", "rbf")
    assert kernel.values == (1, 0, 1)
    assert axis(runs, "param shrink").categories == ("False", "True")
    # Mixed numbers and text: numbers first, in numeric order, then text.
    depth = axis(runs, "param depth")
    assert depth.categories == ("3", "10", "none") and depth.values == (1, 2, 0)
    assert axis(runs, "metric acc").values == (0.5, 0.7, None)
    assert axis_keys(runs) == [
        "param alpha",
        "param kernel",
        "param shrink",
        "param depth",
        "metric acc",
    ]
    assert metric_keys(runs) == ["metric acc"]
    only_none = variants(base, ({"x": None}, {}), ({"x": None}, {}))
    assert axis_keys(only_none) == []
    with pytest.raises(ValueError):
        axis(runs, "alpha")


def test_parallel_coordinates_normalise_each_axis(base):
    runs = variants(
        base,
        ({"alpha": 2.0, "kernel": "rbf", "seed": 7}, {"acc": 0.9}),
        ({"alpha": 4.0, "kernel": "linear", "seed": 7}, {"acc": 0.6}),
        ({"alpha": 3.0, "kernel": "poly", "seed": 7}, {}),
    )
    keys = ["param alpha", "param kernel", "param seed", "metric acc"]
    chart = parallel_coordinates(runs, keys)
    assert chart.run_ids == (1, 2, 3)
    assert [a.key for a in chart.axes] == keys
    alpha, kernel, seed, acc = chart.axes
    assert alpha.normalised == (0.0, 1.0, 0.5)
    assert kernel.categories == ("linear", "poly", "rbf") and kernel.normalised == (1.0, 0.0, 0.5)
    assert seed.normalised == (0.5, 0.5, 0.5) and not seed.differs  # constant: the middle
    assert acc.normalised == (1.0, 0.0, None) and acc.range == (0.6, 0.9)  # missing: None
    assert chart.line(0) == [0.0, 1.0, 0.5, 1.0]
    assert chart.line(2) == [0.5, 0.5, 0.5, None]
    same = variants(base, ({"k": "a"}, {}), ({"k": "a"}, {}))
    assert axis(same, "param k").normalised == (0.5, 0.5)  # one category: the middle too


def test_scatter_leaves_out_runs_missing_a_value_and_indexes_categories(base):
    runs = variants(
        base,
        ({"kernel": "rbf", "alpha": 1.0}, {"acc": 0.9}),
        ({"kernel": "linear", "alpha": 2.0}, {"acc": 0.6}),
        ({"kernel": "poly"}, {}),
        ({"alpha": 3.0}, {"acc": 0.7}),
    )
    points = scatter(runs, "param kernel", "metric acc")
    assert points.run_ids == (1, 2)
    assert points.x.tolist() == [2.0, 0.0] and points.y.tolist() == [0.9, 0.6]
    assert points.x_ticks() == [(0, "linear"), (1, "poly"), (2, "rbf")]
    numeric = scatter(runs, "param alpha", "metric acc")
    assert numeric.run_ids == (1, 2, 4) and numeric.x.tolist() == [1.0, 2.0, 3.0]
    assert numeric.x_ticks() == []


def test_overlaid_histories_keep_only_keys_logged_at_several_steps(store, churn):
    a = create_run(store, churn, "churn", "ridge")
    b = create_run(store, churn, "churn", "ridge")
    for step, loss in [(1, 0.9), (3, 0.5), (2, 0.7)]:  # logged out of order
        log_metrics(store, a.id, {"loss": loss}, step=step)
    for step in (1, 2):
        log_metrics(store, b.id, {"loss": 1.0 / step, "val_loss": 2.0 / step}, step=step)
    log_metrics(store, a.id, {"accuracy": 0.8})  # a final metric: not a curve
    histories = overlaid_histories(store, [a.id, b.id])
    assert set(histories) == {"loss", "val_loss"}
    steps, values = histories["loss"][a.id]
    assert steps.tolist() == [1, 2, 3] and values.tolist() == [0.9, 0.7, 0.5]
    assert histories["loss"][b.id][1].tolist() == [1.0, 0.5]
    assert set(histories["val_loss"]) == {b.id}
    assert isinstance(steps, np.ndarray)


def test_histories_read_only_new_rows_and_stop_reading_ended_runs(store, churn, monkeypatch):
    import modelyard.tracking.compare as compare

    live = create_run(store, churn, "churn", "ridge")
    done = create_run(store, churn, "churn", "ridge")
    mark_running(store, live.id)
    mark_running(store, done.id)
    for step in (1, 2):
        log_metrics(store, live.id, {"loss": 1.0 / step}, step=step)
        log_metrics(store, done.id, {"loss": 2.0 / step}, step=step)
    finish(store, done.id, "blob", {})
    reads = []
    real = compare.metric_arrays
    monkeypatch.setattr(
        compare,
        "metric_arrays",
        lambda s, run_id, after=0: reads.append((run_id, after)) or real(s, run_id, after),
    )
    histories = Histories()
    runs = [get_run(store, live.id), get_run(store, done.id)]
    assert histories.update(store, runs)
    assert [r[1] for r in reads] == [0, 0]
    assert not histories.update(store, runs)  # nothing new; the ended run is not read again
    assert [r[0] for r in reads[2:]] == [live.id]
    log_metrics(store, live.id, {"loss": 0.3}, step=3)
    assert histories.update(store, runs)
    assert reads[-1][1] > 0  # only rows after the last one seen
    assert histories.overlaid()["loss"][live.id][0].tolist() == [1, 2, 3]
    assert histories.update(store, runs[:1])  # a run left the selection
    assert set(histories.overlaid()["loss"]) == {live.id}


def test_axis_ticks_name_categories_or_the_range(base):
    runs = variants(base, ({"k": "b", "x": 2.0}, {}), ({"k": "a", "x": 0.5}, {}), ({"k": "c"}, {}))
    assert axis(runs, "param k").ticks() == [(0.0, "a"), (0.5, "b"), (1.0, "c")]
    assert axis(runs, "param x").ticks() == [(0.0, "0.5"), (1.0, "2")]
    assert axis(runs[:1], "param x").ticks() == [(0.5, "2")]
    assert axis(runs[2:], "param x").ticks() == []


def test_axis_describe_says_the_full_key_and_its_values(base):
    runs = variants(base, ({"k": "b", "x": 2.0}, {}), ({"k": "a", "x": 0.5}, {}), ({"k": "c"}, {}))
    assert axis(runs, "param k").describe() == "param k: categories a, b, c"
    assert axis(runs, "param x").describe() == "param x: numbers, 0.5 to 2"
    assert axis(runs[:1], "param x").describe() == "param x: numbers, 2"
    assert axis(runs[2:], "param x").describe() == "param x: numbers"


def test_chart_keys_leave_out_what_only_one_run_has_and_by_default_what_is_the_same(base):
    """Runs of three model families: each family's own params compare with nothing."""
    runs = variants(
        base,
        ({"epochs": 5, "device": "auto"}, {"train_loss": 0.5, "accuracy": 0.7}),
        ({"C": 0.1, "max_iter": 1000}, {"accuracy": 0.8, "val_loss": 0.4}),
        ({"C": 10.0, "max_iter": 1000}, {"accuracy": 0.75, "val_loss": 0.4}),
        ({"n_estimators": 50, "max_depth": None}, {"accuracy": 0.7}),
    )
    assert chart_keys(runs) == ["param C", "metric accuracy"]
    assert chart_keys(runs, only_differing=False) == [
        "param C",
        "param max_iter",
        "metric accuracy",
        "metric val_loss",
    ]
    c = axis(runs, "param C")
    assert c.count == 2 and c.differs
    assert axis(runs, "metric val_loss").count == 2 and not axis(runs, "metric val_loss").differs
    assert not axis(runs, "param epochs").differs  # a value against missing ones is no difference
    # The first metric is the MLP's alone; the chooser starts on the one every run has.
    assert metric_keys(runs)[0] == "metric train_loss"
    assert most_shared(runs, metric_keys(runs)) == "metric accuracy"
    assert most_shared(runs, ["metric val_loss", "param C"]) == "metric val_loss"  # a tie: first
    assert most_shared(runs, []) is None
