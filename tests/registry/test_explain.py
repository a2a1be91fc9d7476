"""SHAP explanations: per input column, adding up to the model's output, global and single."""

import numpy as np
import pytest

from modelyard.registry import runtime
from modelyard.registry.evaluation import evaluate, explain_prediction, holdout_rows
from modelyard.registry.explain import explain_rows
from modelyard.registry.service import load_model, register
from tests.conftest import train_in_process


def _holdout(store, version):
    frame, _y, _label = holdout_rows(store, version)
    return runtime.prepare_features(frame, version.signature["inputs"])


def test_tree_shap_values_sum_to_the_prediction_minus_the_expected_value(store, churn):
    run = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 10})
    version = register(store, run.id, "forest")
    model, x = load_model(store, version), _holdout(store, version).head(25)
    found = explain_rows(model, x, "classification", version.signature["classes"])
    assert found["method"] == "TreeExplainer (exact)"
    assert found["output"] == "probability of class yes"
    # one value per input column: the one-hot columns of a category are summed back into it
    assert sorted(found["columns"]) == sorted(c["name"] for c in version.signature["inputs"])
    explained = found["values"].sum(axis=1) + found["expected"]
    assert explained == pytest.approx(model.predict_proba(x)[:, 1], abs=1e-6)


def test_regression_and_linear_models_add_up_too(store, churn):
    run = train_in_process(
        store, churn, target="monthly_charges", kind="hist_gradient_boosting",
        params={"max_iter": 20},
    )  # fmt: skip
    version = register(store, run.id, "charges")
    model, x = load_model(store, version), _holdout(store, version).head(20)
    found = explain_rows(model, x, "regression", [])
    assert found["values"].sum(axis=1) + found["expected"] == pytest.approx(model.predict(x))
    linear = register(store, train_in_process(store, churn).id, "linear")
    model, x = load_model(store, linear), _holdout(store, linear).head(20)
    found = explain_rows(model, x, "classification", linear.signature["classes"], background=x)
    assert found["output"] == "log-odds of class yes"
    proba = model.predict_proba(x)[:, 1]
    log_odds = np.log(proba / (1 - proba))
    assert found["values"].sum(axis=1) + found["expected"] == pytest.approx(log_odds, abs=1e-6)


def test_an_evaluation_explains_globally_and_row_by_row(store, churn, monkeypatch):
    import modelyard.registry.explain as explain

    run = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 10})
    version = register(store, run.id, "forest")
    monkeypatch.setattr(explain, "TIME_BUDGET_S", 0.0)  # out of time after the first chunk
    hurried = evaluate(store, version, sections=("metrics", "explanations")).explanations
    assert (hurried["rows"], hurried["of_rows"]) == (explain.CHUNK_ROWS, 400)
    monkeypatch.setattr(explain, "TIME_BUDGET_S", 1e9)
    result = evaluate(store, version, sections=("metrics", "worst", "explanations"))
    shap = result.explanations
    assert (shap["rows"], shap["of_rows"]) == (200, 400)  # a bounded sample, stated
    assert len(shap["mean_abs"]) == 8 and shap["mean_abs"][0][1] >= shap["mean_abs"][-1][1]
    assert len(shap["beeswarm"]) == 8 and len(shap["beeswarm"][0]["shap"]) == 200
    worst = result.worst[0]
    single = explain_prediction(store, result, worst["row"])
    # the worst row's probability of its actual class is what the explanation adds up to
    p_yes = single["explained"]
    assert (p_yes if worst["actual"] == "yes" else 1 - p_yes) == pytest.approx(
        worst["p(actual)"], abs=1e-4
    )
    assert {name for name, _, _ in single["contributions"]} == {n for n, _ in shap["mean_abs"]}
