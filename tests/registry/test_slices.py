"""Slices and fairness against a table computed by hand; stored with the evaluation."""

import numpy as np
import pandas as pd
import pytest

import modelyard.registry.slices as slices_module
from modelyard.registry.slices import slice_by


def test_binary_slices_match_the_hand_computed_table(monkeypatch):
    monkeypatch.setattr(slices_module, "MIN_GROUP", 2)
    group = pd.Series(["A"] * 4 + ["B"] * 4 + ["C"])
    truth = np.array([1, 1, 0, 0, 1, 1, 0, 0, 1])
    predicted = np.array([1, 0, 0, 0, 1, 1, 0, 0, 0])
    table = slice_by("g", group, truth, predicted, "classification", [0, 1])
    by_group = {g["group"]: g for g in table["groups"]}
    # A: 3 of 4 right, predicts 1 once (rate 1/4), catches 1 of 2 positives, no false alarm
    assert by_group["A"]["metrics"] == pytest.approx(
        {"accuracy": 0.75, "f1_macro": (2 / 3 + 0.8) / 2, "selection_rate": 0.25,
         "true_positive_rate": 0.5, "false_positive_rate": 0.0}
    )  # fmt: skip
    assert by_group["B"]["metrics"] == pytest.approx(
        {"accuracy": 1.0, "f1_macro": 1.0, "selection_rate": 0.5,
         "true_positive_rate": 1.0, "false_positive_rate": 0.0}
    )  # fmt: skip
    assert (by_group["A"]["rows"], by_group["C"]["rows"]) == (4, 1)
    assert by_group["C"]["small"] and not by_group["A"]["small"]
    # gaps among A and B only: C's single row is too few to judge
    assert table["gaps"]["accuracy"] == pytest.approx(
        {"min": 0.75, "max": 1.0, "gap": 0.25, "ratio": 0.75}
    )
    assert table["fairness"]["demographic_parity_difference"] == pytest.approx(0.25)
    assert table["fairness"]["demographic_parity_ratio"] == pytest.approx(0.5)
    assert table["fairness"]["equalized_odds_difference"] == pytest.approx(0.5)
    assert table["judged_groups"] == 2 and table["fairness"]["positive_class"] == "1"


def test_regression_slices_and_numeric_bins():
    table = slice_by(
        "g", pd.Series(["x", "x", "y", "y"]), [1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 3.0, 5.0],
        "regression", [],
    )  # fmt: skip
    x, y = table["groups"]
    assert x["metrics"] == pytest.approx({"mae": 0.5, "rmse": np.sqrt(0.5), "mean_error": 0.5})
    assert y["metrics"] == pytest.approx({"mae": 0.5, "rmse": np.sqrt(0.5), "mean_error": -0.5})
    assert x["small"] and table["gaps"] == {} and table["fairness"] == {}
    binned = slices_module.groups_of(pd.Series(np.arange(100.0)))
    assert binned.value_counts().tolist() == [25, 25, 25, 25]
    assert slices_module.groups_of(pd.Series(["a", None])).tolist() == ["a", "(missing)"]


def test_evaluate_by_a_column_is_shown_and_stored(store, finished_run, capsys):
    from modelyard.cli.main import main
    from modelyard.registry.evaluation import latest_evaluation
    from modelyard.registry.service import register

    version = register(store, finished_run.id, "churn")
    assert main(["evaluate", "churn", "--by", "contract", "--by", "senior"]) == 0
    out = capsys.readouterr().out
    assert "slices by contract" in out and "slices by senior" in out
    assert "demographic parity difference" in out and "equalised odds difference" in out
    stored = latest_evaluation(store, version)
    assert [s["column"] for s in stored["slices"]] == ["contract", "senior"]
    contract = {g["group"]: g["rows"] for g in stored["slices"][0]["groups"]}
    assert sum(contract.values()) == 400 == stored["n_rows"]
    assert main(["evaluate", "churn", "--by", "shoe_size"]) == 1
    assert "no column 'shoe_size' to slice by" in capsys.readouterr().err
