"""Experiments, run names, tags, notes, environment and re-runs."""

import pytest

from modelyard.errors import InvalidInputError, NotFoundError
from modelyard.tracking.experiments import list_experiments, note_run, tag_run
from modelyard.tracking.runs import get_run, list_runs
from modelyard.training.jobs import create_run
from modelyard.training.rerun import rerun
from modelyard.training.worker import train
from tests.conftest import store_snapshot, train_in_process


def test_runs_belong_to_experiments_and_carry_names_and_tags(store, churn):
    first = create_run(
        store, churn, "churn", "ridge", experiment="churn", name="try-1", tags={"owner": "ana"}
    )
    create_run(store, churn, "churn", "ridge")
    assert (first.experiment, first.name, first.tags) == ("churn", "try-1", {"owner": "ana"})
    assert [(e.name, e.n_runs) for e in list_experiments(store)] == [("Default", 1), ("churn", 1)]
    assert [r.id for r in list_runs(store, experiment="churn")] == [first.id]
    assert tag_run(store, first.id, {"stage": "try", "owner": ""}) == {"stage": "try"}
    note_run(store, first.id, "  promising  ")
    again = get_run(store, first.id)
    assert again.tags == {"stage": "try"} and again.notes == "promising"


def test_bad_tags_and_unknown_runs_are_refused(store, churn):
    run = create_run(store, churn, "churn", "ridge")
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match="tag needs a key"):
        tag_run(store, run.id, {"": "x"})
    with pytest.raises(NotFoundError):
        note_run(store, 999, "x")
    with pytest.raises(InvalidInputError, match="experiment name"):
        create_run(store, churn, "churn", "ridge", experiment="a\nb")
    assert store_snapshot(store) == before


def test_the_worker_records_the_environment(store, churn):
    run = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 5}, seed=7)
    env = run.environment
    assert env["seed"] == 7 and env["dataset"]["content_hash"] == churn.content_hash
    assert env["trainer"] == {
        "kind": "random_forest",
        "task": "classification",
        "target": "churn",
        "params": run.params,
    }
    assert "scikit-learn" in env["packages"] and env["python"].count(".") == 2


def test_a_rerun_reproduces_a_deterministic_run_exactly(store, churn):
    first = train_in_process(
        store, churn, kind="random_forest", params={"n_estimators": 15}, seed=3
    )
    second = rerun(store, first.id)
    assert second.status == "queued" and second.tags["rerun_of"] == str(first.id)
    assert train(second.id) == 0
    done = get_run(store, second.id)
    score = {k: v for k, v in done.metrics.items() if not k.endswith("_seconds")}
    assert score == {k: v for k, v in first.metrics.items() if not k.endswith("_seconds")}
    assert (done.params, done.seed, done.dataset.id) == (first.params, first.seed, first.dataset.id)
