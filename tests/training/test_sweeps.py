"""Sweeps: search spaces checked up front, trials as real worker runs, best trial, cancel."""

import time

import pytest

from modelyard.errors import InvalidInputError
from modelyard.training import launcher
from modelyard.training.sweeps import (
    best_trial,
    build_space,
    create_sweep,
    get_sweep,
    history,
    parse_space,
    trials,
)
from tests.conftest import store_snapshot


def test_spaces_are_typed_from_the_trainers_parameters():
    space = build_space(
        "random_forest", "classification", parse_space(["n_estimators=10:50:log", "max_depth=3,5"])
    )
    assert space == {
        "random_forest": {
            "n_estimators": {"type": "int", "low": 10, "high": 50, "log": True},
            "max_depth": {"type": "choice", "values": [3, 5]},
        }
    }
    auto = build_space("auto", "regression", {})
    assert "linear_regression" in auto and "logistic_regression" not in auto
    assert set(auto["mlp"]) == {"learning_rate", "hidden_layers", "epochs"}


def test_bad_sweeps_are_refused_before_anything_is_written(store, churn):
    before = store_snapshot(store)
    cases = (
        (dict(model="knn", space=parse_space(["foo=1:2"])), "no parameter 'foo'"),
        (dict(model="knn", space=parse_space(["n_neighbors=9:2"])), "from low to high"),
        (dict(model="knn", space=parse_space(["weights=1:2"])), "listed values"),
        (dict(model="knn", sampler="grid"), "listed values for every parameter"),
        (dict(model="auto", sampler="grid"), "searches one model"),
        (dict(model="linear_regression"), "does only regression"),
        (dict(model="knn", n_trials=0), "1 to 10,000 trials"),
        (dict(model="knn", sampler="bayes"), "one of tpe, random, grid"),
        (dict(model="nope"), "no model kind 'nope'"),
    )
    for kwargs, words in cases:
        with pytest.raises(InvalidInputError, match=words):
            create_sweep(store, churn, "churn", **kwargs)
    with pytest.raises(InvalidInputError, match="NAME=LOW:HIGH"):
        parse_space(["n_neighbors"])
    assert store_snapshot(store) == before


@pytest.mark.slow
def test_a_grid_sweep_trains_every_combination_in_workers(store, churn):
    sweep = create_sweep(
        store,
        churn,
        "churn",
        "knn",
        sampler="grid",
        space=parse_space(["n_neighbors=3,15"]),
        parallel=2,
    )
    assert sweep.n_trials == 2 and sweep.experiment == "sweep-customer_churn-churn"
    proc = launcher.start_sweep(store, sweep.id)
    assert proc.wait(timeout=180) == 0
    sweep = get_sweep(store, sweep.id)
    assert sweep.status == "finished"
    runs = trials(store, sweep.id)
    assert [(r.trial, r.params["n_neighbors"], r.status) for r in runs] == [
        (0, 3, "finished"),
        (1, 15, "finished"),
    ]
    best = best_trial(store, sweep)
    # chosen on the cross-validated score of the training part, not on the holdout
    assert best.metrics["cv_f1_macro"] == max(r.metrics["cv_f1_macro"] for r in runs)
    points = history(store, sweep)
    assert [p[0] for p in points] == [0, 1] and points[-1][2] == best.metrics["cv_f1_macro"]
    assert all(r.experiment == sweep.experiment and r.tags["sweep"] == str(sweep.id) for r in runs)


@pytest.mark.slow
def test_cancelling_a_sweep_stops_its_running_trials(store, churn):
    sweep = create_sweep(
        store,
        churn,
        "churn",
        "random_forest",
        sampler="random",
        n_trials=3,
        space=parse_space(["n_estimators=4000,5000"]),
    )
    proc = launcher.start_sweep(store, sweep.id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
        r.status == "running" for r in trials(store, sweep.id)
    ):
        time.sleep(0.1)
    assert launcher.cancel_sweep(store, sweep.id)
    assert proc.wait(timeout=60) == 0
    assert get_sweep(store, sweep.id).status == "cancelled"
    assert [r.status for r in trials(store, sweep.id)] == ["cancelled"]
    assert not launcher.cancel_sweep(store, sweep.id)


def test_a_sweep_whose_driver_vanished_is_marked_failed(store, churn):
    from modelyard.training.sweeps import set_status

    sweep = create_sweep(store, churn, "churn", "knn")
    set_status(store, sweep.id, "running", pid=2**22 + 12345)  # no such process
    assert launcher.reap_sweeps(store) == [sweep.id]
    ended = get_sweep(store, sweep.id)
    assert ended.status == "failed" and "ended unexpectedly" in ended.error
    assert launcher.reap_sweeps(store) == []


@pytest.mark.slow
def test_a_trial_that_trails_the_median_is_pruned_while_it_trains(store, churn):
    # Two trials that learn set the median; one that barely learns (a learning rate of 1e-6)
    # reports a lower validation accuracy every epoch and is stopped before its last epoch.
    sweep = create_sweep(
        store,
        churn,
        "churn",
        "mlp",
        sampler="grid",
        # enough epochs that the driver's polls see the stuck trial long before its last one,
        # even on a loaded machine (pruning is judged between polls, not inside the worker)
        space=parse_space(["learning_rate=0.03,0.01,0.000001", "epochs=120", "patience=0"]),
    )
    proc = launcher.start_sweep(store, sweep.id)
    assert proc.wait(timeout=300) == 0
    good, also_good, stuck = trials(store, sweep.id)
    assert good.status == also_good.status == "finished"
    assert stuck.status == "cancelled" and "Pruned by sweep" in stuck.error
    from modelyard.tracking.runs import metric_history

    epochs = {step for key, step, _ in metric_history(store, stuck.id)[0] if key == "val_accuracy"}
    assert 3 <= max(epochs) < 120  # stopped after the warm-up, before the end
    assert get_sweep(store, sweep.id).status == "finished"
    assert best_trial(store, get_sweep(store, sweep.id)).id in (good.id, also_good.id)
