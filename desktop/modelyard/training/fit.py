"""Fitting one run: split, build the preprocessing pipeline, cross-validate on the training
part, train, score the holdout once."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from modelyard.errors import InvalidInputError
from modelyard.registry.runtime import (
    CATEGORICAL_KINDS,
    DATETIME_KIND,
    NUMERIC_KINDS,
    date_input,
    model_columns,
    prepare_features,
)
from modelyard.store.entities import Run
from modelyard.training.trainers import get_trainer
from modelyard.training.validation import (
    VALIDATION_PREFIX,
    cross_validate,
    index_hash,
    plan_folds,
    selection_metrics,
)

TEST_FRACTION = 0.2


def column_uses(run: Run, ignored: frozenset[str] = frozenset()):
    """(inputs, unused): the columns a model learns from — numbers, categories, and dates
    (expanded into parts at training) — and every other column with the reason it is left out.

    An integer column with a different value in every row is an identifier, not a measure; a
    column with one value everywhere tells the model nothing.
    """
    n_rows = run.dataset.n_rows
    inputs, unused = [], []
    for c in run.dataset.columns:
        reason = None
        if c.name == run.target:
            reason = "the target"
        elif c.name in ignored:
            reason = "ignored: its role is set to ignore"
        elif c.n_unique <= 1:
            reason = "constant: one value (or none) in every row"
        elif c.kind == "integer" and n_rows > 20 and c.n_unique == n_rows:
            reason = "ID-like: a different whole number in every row"
        elif c.kind == "text":
            reason = (
                "ID-like: a different value in every row"
                if c.n_unique == n_rows
                else "text: too many distinct values to use as a category"
            )
        elif c.kind not in NUMERIC_KINDS + CATEGORICAL_KINDS + (DATETIME_KIND,):
            reason = f"{c.kind}: a kind the trainers do not take"
        if reason is None:
            inputs.append({"name": c.name, "kind": c.kind})
        elif c.name != run.target:
            unused.append({"name": c.name, "kind": c.kind, "reason": reason})
    return inputs, unused


def feature_inputs(run: Run, ignored: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    return column_uses(run, ignored)[0]


def build_pipeline(run: Run, inputs: list[dict[str, Any]]):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = model_columns(inputs)  # a date column as its expanded parts
    numeric = [name for name, kind in columns if kind in NUMERIC_KINDS]
    categorical = [name for name, kind in columns if kind in CATEGORICAL_KINDS]
    transformers = []
    if numeric:
        transformers.append(
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                numeric,
            )
        )
    if categorical:
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        (
                            "onehot",
                            OneHotEncoder(
                                handle_unknown="infrequent_if_exist",
                                max_categories=50,
                                sparse_output=False,
                            ),
                        ),
                    ]
                ),
                categorical,
            )
        )
    estimator = get_trainer(run.model_kind).build(run.task, run.params, run.seed)
    return Pipeline([("prepare", ColumnTransformer(transformers)), ("model", estimator)])


def score(task: str, model, x, y) -> dict[str, float]:
    predicted = model.predict(x)
    classes = getattr(model, "classes_", [])
    proba = None
    if task == "classification" and len(classes) == 2 and hasattr(model, "predict_proba"):
        proba = model.predict_proba(x)[:, 1]
    return score_predictions(task, y, predicted, proba)


def score_predictions(task: str, y, predicted, positive_proba=None) -> dict[str, float]:
    """The run metrics from predictions (and, for two classes, the second class's
    probability): the same figures for cross-validation folds, validation splits and holdout."""
    import pandas as pd
    from sklearn import metrics

    if task == "regression":
        return {
            "r2": float(metrics.r2_score(y, predicted)),
            "mae": float(metrics.mean_absolute_error(y, predicted)),
            "rmse": float(metrics.root_mean_squared_error(y, predicted)),
        }
    values = {
        "accuracy": float(metrics.accuracy_score(y, predicted)),
        "f1_macro": float(metrics.f1_score(y, predicted, average="macro")),
    }
    if positive_proba is not None and pd.Series(y).nunique() == 2:
        values["roc_auc"] = float(metrics.roc_auc_score(y, positive_proba))
    # A metric that is undefined on this test set (NaN) is left out rather than stored.
    return {k: v for k, v in values.items() if math.isfinite(v)}


def fit_run(
    run: Run,
    frame,
    on_epoch: Callable[[int, dict[str, float]], None] | None = None,
    ignored: frozenset[str] = frozenset(),
) -> tuple[Any, dict[str, float], dict[str, Any]]:
    """Train the run's model on its dataset; return (model, metrics, signature).

    Epoch-based trainers report each epoch's losses to `on_epoch(epoch, values)` as they go.
    """
    from sklearn.model_selection import train_test_split

    inputs, unused = column_uses(run, ignored)
    frame = frame[frame[run.target].notna()]
    for i, column in enumerate(inputs):  # a date's parts and origin come from training rows
        if column["kind"] == DATETIME_KIND:
            inputs[i] = date_input(column["name"], frame[column["name"]])
    if not inputs:
        raise InvalidInputError(
            f"{run.dataset.label} has no numeric, categorical or date column besides "
            f"'{run.target}'."
        )
    if len(frame) < 10:
        raise InvalidInputError(
            f"Only {len(frame)} rows have a value in '{run.target}'; at least 10 are needed."
        )
    x = prepare_features(frame, inputs)
    y = frame[run.target]
    if run.task == "classification":
        y = y.astype(object) if y.dtype.kind not in "biu" else y
        counts = y.value_counts()
        if len(counts) < 2:
            raise InvalidInputError(f"'{run.target}' has only one class; nothing to classify.")
        if len(counts) == len(y):
            raise InvalidInputError(
                f"'{run.target}' has a different value in every row, so it cannot be a "
                "classification target; choose regression or another column."
            )
        test_rows = math.ceil(len(y) * TEST_FRACTION)
        if counts.min() >= 2 and len(counts) > test_rows:
            raise InvalidInputError(
                f"'{run.target}' has {len(counts)} classes but the test split holds only "
                f"{test_rows} rows; use more rows or a target with fewer classes."
            )
        stratify = y if counts.min() >= 2 and len(counts) <= test_rows else None
    else:
        y = y.astype("float64")
        stratify = None
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=run.seed, stratify=stratify
    )
    model = build_pipeline(run, inputs)
    estimator = model.steps[-1][1]
    epoch_based = hasattr(estimator, "on_epoch")
    values: dict[str, float] = {}
    record: dict[str, Any] | None = None
    if not epoch_based:  # the MLP selects on its own validation split instead (below)
        started = time.perf_counter()
        plan = plan_folds(y_train, run.task, run.seed)
        record = cross_validate(
            lambda: build_pipeline(run, inputs), run.task, x_train, y_train, plan, score
        )
        values.update(selection_metrics(record))
        values["cv_seconds"] = time.perf_counter() - started
    else:
        estimator.on_epoch = on_epoch
    started = time.perf_counter()
    model.fit(x_train, y_train)
    train_seconds = time.perf_counter() - started
    if hasattr(estimator, "export"):  # keep the trained network, not the PyTorch trainer
        model.steps[-1] = (model.steps[-1][0], estimator.export())
        device = getattr(estimator, "device_", None)
        validation = getattr(estimator, "validation_", None)
        if validation is not None:  # rows carved from the training part, never the holdout
            truth, predicted, proba = validation
            scored = score_predictions(run.task, truth, predicted, proba)
            values.update({f"{VALIDATION_PREFIX}{k}": v for k, v in scored.items()})
            record = {
                "method": "validation split",
                "fraction": estimator.validation_fraction,
                "rows": int(len(truth)),
                "seed": run.seed,
                "text": f"{len(truth)} validation rows carved from the training part, "
                f"seed {run.seed}",
                "summary": {k: {"mean": v, "std": None, "folds": 1} for k, v in scored.items()},
            }
    values.update(score(run.task, model, x_test, y_test))  # the holdout, scored once
    values["train_seconds"] = train_seconds
    signature = {"inputs": inputs, "target": run.target, "task": run.task, "unused": unused}
    signature["validation"] = {
        "selection": record,
        "holdout": {
            "fraction": TEST_FRACTION,
            "rows": int(len(y_test)),
            "training_rows": int(len(y_train)),
            "seed": run.seed,
            "stratified": stratify is not None,
            "rows_sha256": index_hash(x_test.index),
        },
    }
    if hasattr(estimator, "export"):
        signature["trained_on"] = {"device": device, "epochs": estimator.epochs_run_}
    if run.task == "classification":
        signature["classes"] = [c.item() if hasattr(c, "item") else c for c in model.classes_]
    return model, values, signature
