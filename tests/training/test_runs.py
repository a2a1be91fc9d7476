import pytest

from modelyard.errors import InvalidInputError
from modelyard.tracking.runs import get_run, list_runs
from modelyard.training.jobs import create_run
from modelyard.training.trainers import TRAINERS, get_trainer
from tests.conftest import store_snapshot, train_in_process


def test_target_must_exist_and_nothing_is_written(store, churn):
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match="Column 'nope' is not in customer_churn:1"):
        create_run(store, churn, "nope", "random_forest")
    assert store_snapshot(store) == before


def test_task_is_suggested_from_the_target(store, churn):
    assert create_run(store, churn, "churn", "random_forest").task == "classification"
    assert create_run(store, churn, "monthly_charges", "random_forest").task == "regression"


def test_regression_on_labels_and_mismatched_models_are_refused(store, churn):
    with pytest.raises(InvalidInputError, match="only be predicted by classification"):
        create_run(store, churn, "churn", "linear_regression", task="regression")
    with pytest.raises(InvalidInputError, match="does only regression"):
        create_run(store, churn, "churn", "linear_regression")
    with pytest.raises(InvalidInputError, match="no model kind 'xgboost'"):
        create_run(store, churn, "churn", "xgboost")


def test_params_are_checked_and_coerced(store, churn):
    run = create_run(
        store, churn, "churn", "random_forest", {"n_estimators": "20", "max_depth": ""}
    )
    assert run.params == {"n_estimators": 20, "max_depth": None, "min_samples_leaf": 1}
    with pytest.raises(InvalidInputError, match="must be int"):
        create_run(store, churn, "churn", "random_forest", {"n_estimators": "many"})
    with pytest.raises(InvalidInputError, match="has no parameter depth"):
        create_run(store, churn, "churn", "random_forest", {"depth": "3"})
    with pytest.raises(InvalidInputError, match="at least 1"):
        create_run(store, churn, "churn", "random_forest", {"n_estimators": "0"})


@pytest.mark.parametrize(
    "kind,target,expected",
    [
        ("logistic_regression", "churn", {"accuracy", "f1_macro", "roc_auc"}),
        ("random_forest", "churn", {"accuracy", "f1_macro", "roc_auc"}),
        ("linear_regression", "monthly_charges", {"r2", "mae", "rmse"}),
    ],
)
def test_training_records_metrics_model_and_signature(store, churn, kind, target, expected):
    run = train_in_process(store, churn, target=target, kind=kind, params={})
    assert run.status == "finished"
    assert expected | {"train_seconds"} <= set(run.metrics)
    assert store.blobs.exists(run.model_blob)
    inputs = [c["name"] for c in run.signature["inputs"]]
    assert target not in inputs and "customer_id" not in inputs
    if run.task == "classification":
        assert 0.6 < run.metrics["accuracy"] <= 1.0
        assert sorted(run.signature["classes"]) == ["no", "yes"]
    else:
        assert run.metrics["r2"] > 0.5


def test_same_seed_reproduces_the_same_metrics(store, churn):
    first = train_in_process(
        store, churn, kind="random_forest", params={"n_estimators": 15}, seed=3
    )
    second = train_in_process(
        store, churn, kind="random_forest", params={"n_estimators": 15}, seed=3
    )
    drop = {"train_seconds", "cv_seconds"}
    assert {k: v for k, v in first.metrics.items() if k not in drop} == {
        k: v for k, v in second.metrics.items() if k not in drop
    }


def test_a_failing_run_records_its_error(store, tmp_path):
    from modelyard.datasets.service import import_file
    from modelyard.training.worker import train

    path = tmp_path / "one_class.csv"
    path.write_text("x,label\n" + "".join(f"{i % 7},same\n" for i in range(30)))
    dataset = import_file(store, path).version
    run = create_run(store, dataset, "label", "logistic_regression", task="classification")
    assert train(run.id) == 1
    failed = get_run(store, run.id)
    assert failed.status == "failed"
    assert "only one class" in failed.error


def test_latest_and_listing(store, finished_run):
    assert get_run(store, "latest").id == finished_run.id
    assert [r.id for r in list_runs(store)] == [finished_run.id]
    with pytest.raises(InvalidInputError, match="not a run id"):
        get_run(store, "abc")


def test_every_trainer_declares_valid_defaults():
    for trainer in TRAINERS.values():
        assert trainer.resolve_params({}) == {p.name: p.default for p in trainer.params}
        assert get_trainer(trainer.kind) is trainer


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_params_are_refused_before_queueing(store, churn, value):
    with pytest.raises(InvalidInputError, match="finite number"):
        create_run(store, churn, "churn", "logistic_regression", {"C": value})


def test_seed_must_fit_numpy(store, churn):
    with pytest.raises(InvalidInputError, match="from 0 to 4294967295"):
        create_run(store, churn, "churn", "random_forest", seed=2**40)


def test_non_finite_metrics_are_refused(store, finished_run):
    from modelyard.tracking.runs import log_metrics

    with pytest.raises(InvalidInputError, match="not a finite number"):
        log_metrics(store, finished_run.id, {"loss": float("nan")})


def _import_rows(store, tmp_path, name, text):
    from modelyard.datasets.service import import_file

    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    return import_file(store, path).version


def test_an_undefined_metric_is_left_out_not_a_failure(store, tmp_path):
    # 39 × a and one b: the test split holds a single class, so ROC AUC is undefined.
    rows = "".join(f"{i},{i % 7},{'b' if i == 5 else 'a'}\n" for i in range(40))
    dataset = _import_rows(store, tmp_path, "imbalanced", "x,z,y\n" + rows)
    run = train_in_process(store, dataset, target="y", kind="logistic_regression")
    assert run.status == "finished"
    assert "roc_auc" not in run.metrics and "accuracy" in run.metrics


def test_a_target_unique_per_row_cannot_be_classified(store, tmp_path):
    from modelyard.training.worker import train

    rows = "".join(f"{i % 7},label{i}\n" for i in range(30))
    dataset = _import_rows(store, tmp_path, "unique", "x,y\n" + rows)
    run = create_run(store, dataset, "y", "logistic_regression", task="classification")
    assert train(run.id) == 1
    assert "different value in every row" in get_run(store, run.id).error


def test_more_classes_than_the_test_split_holds_is_explained(store, tmp_path):
    from modelyard.training.worker import train

    rows = "".join(f"{i % 7},c{i % 30}\n" for i in range(60))
    dataset = _import_rows(store, tmp_path, "manyclass", "x,y\n" + rows)
    run = create_run(store, dataset, "y", "logistic_regression", task="classification")
    assert train(run.id) == 1
    assert "30 classes but the test split holds only 12 rows" in get_run(store, run.id).error


def test_an_integer_id_column_is_left_out(store, tmp_path):
    rows = "".join(f"{1000 + i},{i % 5},{'y' if i % 3 else 'n'}\n" for i in range(60))
    dataset = _import_rows(store, tmp_path, "ids", "id,x,label\n" + rows)
    run = train_in_process(store, dataset, target="label", kind="logistic_regression")
    assert [c["name"] for c in run.signature["inputs"]] == ["x"]


def test_a_run_stopped_before_it_finishes_keeps_its_status(store, churn):
    from modelyard.tracking.runs import fail, finish, mark_running

    run = create_run(store, churn, "churn", "random_forest")
    mark_running(store, run.id)
    fail(store, run.id, "Cancelled by the user.", status="cancelled")
    assert not finish(store, run.id, "0" * 64, {}, {"accuracy": 1.0})
    stopped = get_run(store, run.id)
    assert stopped.status == "cancelled" and stopped.metrics == {}
