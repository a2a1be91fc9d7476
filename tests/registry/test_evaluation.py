"""Evaluation on the re-created holdout or another dataset; champion vs challenger."""

import math

import pytest

from modelyard.datasets.service import import_file, load_frame
from modelyard.errors import InvalidInputError
from modelyard.registry.comparison import compare, paired_interval
from modelyard.registry.evaluation import evaluate
from modelyard.registry.service import register
from tests.conftest import train_in_process


@pytest.fixture
def version(store, finished_run):
    return register(store, finished_run.id, "churn")


def test_holdout_is_the_runs_own_split(store, version, finished_run, churn):
    result = evaluate(store, version)
    assert result.n_rows == round(churn.n_rows * 0.2)
    assert result.metrics["accuracy"] == pytest.approx(finished_run.metrics["accuracy"])
    assert result.metrics["roc_auc"] == pytest.approx(finished_run.metrics["roc_auc"])
    assert result.metrics["f1_macro"] == pytest.approx(finished_run.metrics["f1_macro"])
    assert "holdout of customer_churn:1 (seed 0)" == result.data_label


def test_classification_measures_are_consistent(store, version):
    result = evaluate(store, version)
    assert set(result.metrics) >= {
        "accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "roc_auc",
        "log_loss",
    }
    assert sum(map(sum, result.confusion)) == result.n_rows
    diagonal = sum(result.confusion[i][i] for i in range(len(result.classes)))
    assert diagonal / result.n_rows == pytest.approx(result.metrics["accuracy"])
    assert [r["support"] for r in result.per_class] == [sum(row) for row in result.confusion]
    [(label, (fpr, tpr))] = result.roc.items()
    assert label == "yes" and fpr[0] == 0 and tpr[-1] == 1 and len(fpr) <= 200
    assert result.pr["yes"][0][0] == 1.0  # recall starts at 1
    confidences = [w["p(actual)"] for w in result.worst]
    assert confidences == sorted(confidences) and len(result.worst) == 20
    names = {c["name"] for c in version.signature["inputs"]}
    assert {name for name, _, _ in result.importance} == names
    assert result.importance[0][1] >= result.importance[-1][1]


def test_regression_has_residuals_and_worst_errors(store, churn):
    run = train_in_process(store, churn, target="monthly_charges", kind="ridge")
    version = register(store, run.id, "charges")
    result = evaluate(store, version)
    assert result.task == "regression" and set(result.metrics) == {"mae", "rmse", "r2"}
    predicted, residual = result.residuals
    assert len(predicted) == len(residual) == result.n_rows
    mae = sum(abs(r) for r in residual) / len(residual)
    assert mae == pytest.approx(result.metrics["mae"])
    errors = [abs(w["error"]) for w in result.worst]
    assert errors == sorted(errors, reverse=True)
    assert math.isclose(errors[0], max(abs(r) for r in residual), rel_tol=1e-6)


def test_evaluate_on_another_dataset_version(store, version, churn, tmp_path):
    frame = load_frame(store, churn).head(300)
    path = tmp_path / "fresh.csv"
    frame.to_csv(path, index=False)
    data = import_file(store, path, "fresh").version
    result = evaluate(store, version, "fresh:1")
    assert result.n_rows == 300 and result.data_label == data.label
    frame.drop(columns=["contract"]).to_csv(tmp_path / "nocontract.csv", index=False)
    import_file(store, tmp_path / "nocontract.csv", "nocontract")
    with pytest.raises(InvalidInputError, match="missing column"):
        evaluate(store, version, "nocontract")
    frame.drop(columns=["churn"]).to_csv(tmp_path / "notarget.csv", index=False)
    import_file(store, tmp_path / "notarget.csv", "notarget")
    with pytest.raises(InvalidInputError, match="no column 'churn'"):
        evaluate(store, version, "notarget")


def test_champion_vs_challenger_gives_a_verdict(store, churn, version):
    forest = train_in_process(
        store, churn, kind="random_forest", params={"n_estimators": 20, "max_depth": 2}
    )
    challenger = register(store, forest.id, "churn")
    result = compare(store, version, challenger)
    assert result.metric == "f1_macro"
    assert result.champion.n_rows == result.challenger.n_rows
    a, b = result.champion.metrics["f1_macro"], result.challenger.metrics["f1_macro"]
    assert ("promote it" in result.verdict) == result.challenger_wins
    assert "95% interval of the gain" in result.verdict
    if result.challenger_wins:
        assert b > a
    assert [r[0] for r in result.rows()][:2] == ["accuracy", "precision_macro"]
    with pytest.raises(InvalidInputError, match="two different versions"):
        compare(store, version, version)
    other = register(
        store, train_in_process(store, churn, target="monthly_charges", kind="ridge").id, "x"
    )
    with pytest.raises(InvalidInputError, match="predict different things"):
        compare(store, version, other)


def _scored(truth, predicted, task="classification"):
    import numpy as np

    from modelyard.registry.evaluation import Evaluation

    result = Evaluation(None, "rows", len(truth), task, {})
    result.truth, result.predicted = np.asarray(truth), np.asarray(predicted)
    return result


def test_the_verdict_needs_a_gain_beyond_resampling_noise():
    import numpy as np

    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 400)
    coin = rng.integers(0, 2, 400)
    # identical predictions: the interval is exactly zero, never a win
    assert paired_interval(_scored(truth, coin), _scored(truth, coin), "f1_macro") == (0.0, 0.0)
    # a perfect challenger against a coin flip: clearly better
    low, high = paired_interval(_scored(truth, coin), _scored(truth, truth), "f1_macro")
    assert 0.3 < low < high
    # two predictions apart in 3 rows of 400: the interval straddles zero
    close = coin.copy()
    close[:3] = truth[:3]
    low, high = paired_interval(_scored(truth, coin), _scored(truth, close), "f1_macro")
    assert low <= 0 <= high
    # regression: lower RMSE is better, so the gain is positive for the closer predictions
    y = rng.normal(0, 1, 300)
    low, _ = paired_interval(
        _scored(y, y + rng.normal(0, 1, 300), "regression"),
        _scored(y, y + rng.normal(0, 0.1, 300), "regression"),
        "rmse",
    )
    assert low > 0
