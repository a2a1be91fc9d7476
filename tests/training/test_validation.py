"""Honest model selection: CV on the training part, reproducible folds, a holdout never read
by a sweep's objective, and a warning when the top trials are within CV noise."""

import numpy as np
import pandas as pd
import pytest

from modelyard.training.sweeps import create_sweep, objective, ranked, summary, within_noise
from modelyard.training.validation import (
    FoldPlan,
    assignment_hash,
    folds,
    plan_folds,
    selection_score,
)
from tests.conftest import train_in_process


def test_k_and_repeats_follow_the_size_and_folds_are_stratified():
    small = plan_folds(pd.Series(["a", "b"] * 20), "classification", 3)
    assert (small.k, small.repeats, small.stratified) == (3, 3, True)
    medium = plan_folds(pd.Series(np.arange(300.0)), "regression", 3)
    assert (medium.k, medium.repeats, medium.stratified) == (5, 2, False)
    assert plan_folds(pd.Series(np.arange(5000.0)), "regression", 3).repeats == 1
    rare = plan_folds(pd.Series(["a"] * 97 + ["b"] * 3), "classification", 0)
    assert rare.k == 3 and rare.stratified  # no fold without a 'b'
    y = pd.Series(["a"] * 80 + ["b"] * 20)
    for _train, test in folds(y, FoldPlan(5, 1, True, 0)):
        assert (y.iloc[test] == "b").sum() == 4  # each fold keeps the class balance


def test_a_run_records_its_folds_and_a_rerun_reproduces_them(store, churn):
    first = train_in_process(store, churn, seed=4)
    again = train_in_process(store, churn, seed=4)
    record = first.signature["validation"]["selection"]
    assert record["method"] == "cross-validation" and record["stratified"]
    assert (record["k"], record["repeats"], record["seed"], record["rows"]) == (5, 1, 4, 1600)
    assert len(record["folds"]) == 5 and sum(f["rows"] for f in record["folds"]) == 1600
    assert again.signature["validation"]["selection"]["folds"] == record["folds"]
    assert again.signature["validation"]["selection"]["fold_sha256"] == record["fold_sha256"]
    # the recorded plan alone re-creates the folds: same hash from the seed, k and repeats
    from sklearn.model_selection import train_test_split

    from modelyard.datasets.service import load_frame

    frame = load_frame(store, churn)
    y = frame["churn"].astype(object)
    y_train = train_test_split(y, test_size=0.2, random_state=4, stratify=y)[0]
    plan = FoldPlan(record["k"], record["repeats"], record["stratified"], record["seed"])
    assert assignment_hash(folds(y_train, plan)) == record["fold_sha256"]
    other = FoldPlan(plan.k, plan.repeats, plan.stratified, 5)
    assert assignment_hash(folds(y_train, other)) != record["fold_sha256"]
    # mean and spread are those of the folds, and the holdout is labelled apart
    accuracies = [f["accuracy"] for f in record["folds"]]
    assert first.metrics["cv_accuracy"] == pytest.approx(np.mean(accuracies))
    assert first.metrics["cv_accuracy_std"] == pytest.approx(np.std(accuracies, ddof=1))
    holdout = first.signature["validation"]["holdout"]
    assert (holdout["rows"], holdout["training_rows"], holdout["seed"]) == (400, 1600, 4)
    assert "accuracy" in first.metrics  # the holdout figure, scored once


def test_the_overview_shows_cv_beside_the_holdout(store, churn):
    from modelyard.cli.format import run_detail

    text = run_detail(train_in_process(store, churn))
    assert "selection stratified 5-fold, seed 0 on 1,600 training rows" in text
    assert "holdout   400 rows (20%, seed 0, stratified), scored once" in text
    assert "CV mean ± std" in text


class HoldoutGuard(dict):
    """Run metrics that fail the test the moment anything reads a holdout score."""

    HOLDOUT = ("accuracy", "f1_macro", "roc_auc", "rmse", "r2", "mae")

    def _check(self, key):
        if key in self.HOLDOUT:
            raise AssertionError(f"the sweep objective read the holdout score {key!r}")

    def __getitem__(self, key):
        self._check(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._check(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._check(key)
        return super().__contains__(key)


def _trial(store, churn, sweep, trial, cv, std, holdout):
    from datetime import datetime

    from modelyard.store.entities import Run

    metrics = HoldoutGuard(cv_f1_macro=cv, cv_f1_macro_std=std, f1_macro=holdout)
    return Run(
        id=trial + 1, dataset=churn, target="churn", task="classification", model_kind="knn",
        params={}, seed=0, status="finished", error=None, model_blob=None, signature=None,
        created_at=datetime(2026, 1, 1), started_at=None, ended_at=None, metrics=metrics,
        sweep_id=sweep.id, trial=trial,
    )  # fmt: skip


def test_the_sweep_objective_never_reads_the_holdout(store, churn, monkeypatch):
    sweep = create_sweep(store, churn, "churn", "knn")
    # trial 0 is best on the holdout, trial 1 on the training part's CV
    runs = [
        _trial(store, churn, sweep, 0, cv=0.60, std=0.01, holdout=0.99),
        _trial(store, churn, sweep, 1, cv=0.70, std=0.01, holdout=0.50),
        _trial(store, churn, sweep, 2, cv=0.65, std=0.01, holdout=0.70),
    ]
    assert [objective(sweep, r) for r in runs] == [0.60, 0.70, 0.65]
    import modelyard.training.sweeps as sweeps

    monkeypatch.setattr(sweeps, "trials", lambda _store, _id: runs)
    order = ranked(store, sweep)
    assert [r.trial for r, _ in order] == [1, 2, 0]
    assert within_noise(sweep, order) == [runs[1]]  # 0.05 apart, std 0.01: distinguishable
    assert selection_score({"f1_macro": 0.9}, "f1_macro") is None  # holdout only: no score


def test_top_trials_within_cv_noise_are_flagged(store, churn, monkeypatch):
    sweep = create_sweep(store, churn, "churn", "knn")
    runs = [
        _trial(store, churn, sweep, 0, cv=0.9706, std=0.02, holdout=0.9706),
        _trial(store, churn, sweep, 1, cv=0.9650, std=0.03, holdout=0.9706),
        _trial(store, churn, sweep, 2, cv=0.80, std=0.03, holdout=0.9706),
    ]
    import modelyard.training.sweeps as sweeps

    monkeypatch.setattr(sweeps, "trials", lambda _store, _id: runs)
    for r in runs:  # the summary may show the holdout: lift the guard
        r.metrics.HOLDOUT = ()
    lines = summary(store, sweep)
    assert lines[0] == "Best: trial 0 (run 1), knn — f1_macro CV 0.9706 ± 0.02, holdout 0.9706"
    assert "top 2 trials (0, 1) are within the CV noise (± 0.02)" in lines[1]


def test_evaluation_recreates_exactly_the_holdout_the_run_recorded(store, finished_run):
    from modelyard.registry.evaluation import holdout_rows
    from modelyard.registry.service import register
    from modelyard.training.validation import index_hash

    version = register(store, finished_run.id, "churn")
    frame, _y, _label = holdout_rows(store, version)
    recorded = finished_run.signature["validation"]["holdout"]
    assert len(frame) == recorded["rows"] and index_hash(frame.index) == recorded["rows_sha256"]
