"""How well a model does on current data: measured where labels exist, estimated where not.

Measured metrics use the same definitions as training (accuracy, macro F1 and ROC-AUC for
classifiers; R², MAE, RMSE for regressors) and are set beside the version's holdout metrics; a
change for the worse beyond the tolerance (relative to the holdout figure) flags concept drift.
Without labels, a classifier's accuracy and macro F1 are estimated from its own confidence, as
NannyML's CBPE does: each row is right with the probability the model gives its predicted
class, after calibrating those probabilities on the holdout where one is known.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

HIGHER_IS_BETTER = ("accuracy", "f1_macro", "roc_auc", "r2")
LOWER_IS_BETTER = ("mae", "rmse")
TOLERANCE = 0.05  # a 5% change for the worse
ESTIMATE_ROWS = 200_000  # rows a model predicts for a check; more are sampled down, said so


def better_is_higher(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def measure(
    task: str, truth, predicted, proba: np.ndarray | None = None, classes=None
) -> dict[str, float]:
    from sklearn import metrics

    if task == "regression":
        truth, predicted = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
        values = {
            "r2": float(metrics.r2_score(truth, predicted)) if len(truth) > 1 else float("nan"),
            "mae": float(metrics.mean_absolute_error(truth, predicted)),
            "rmse": float(metrics.root_mean_squared_error(truth, predicted)),
        }
    else:
        truth, predicted = _same_labels(truth, predicted)
        values = {
            "accuracy": float(metrics.accuracy_score(truth, predicted)),
            "f1_macro": float(metrics.f1_score(truth, predicted, average="macro", zero_division=0)),
        }
        if proba is not None and classes is not None and len(classes) == 2:
            positive = np.asarray(truth) == str(classes[1])
            if 0 < positive.sum() < len(positive):
                values["roc_auc"] = float(metrics.roc_auc_score(positive, proba[:, 1]))
    return {k: v for k, v in values.items() if math.isfinite(v)}


def _same_labels(truth, predicted):
    """Labels compared as text: a label sent back as "1" matches a predicted 1."""
    return (
        np.asarray([_label_text(v) for v in truth], dtype=object),
        np.asarray([_label_text(v) for v in predicted], dtype=object),
    )


def _label_text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if hasattr(value, "item") else value)


def compare_to_holdout(
    current: dict[str, float], holdout: dict[str, float], tolerance: float = TOLERANCE
) -> dict[str, Any]:
    """Per shared metric: holdout and current figures, the relative change for the worse."""
    rows = []
    for name, value in current.items():
        if name not in holdout or not isinstance(holdout[name], int | float):
            continue
        base = float(holdout[name])
        worse = (base - value) if better_is_higher(name) else (value - base)
        drop = worse / abs(base) if base else (worse if worse > 0 else 0.0)
        rows.append(
            {
                "metric": name,
                "holdout": base,
                "current": value,
                "drop": drop,
                "degraded": drop > tolerance,
            }
        )
    return {"tolerance": tolerance, "metrics": rows, "degraded": any(r["degraded"] for r in rows)}


def estimate_cbpe(
    proba: np.ndarray, calibration: tuple[np.ndarray, np.ndarray] | None = None
) -> dict[str, float]:
    """Expected accuracy and macro F1 of a classifier from its class probabilities.

    `calibration` is (holdout probabilities, holdout truth as class indices): each class's
    probability is then mapped through an isotonic fit on the holdout first.
    """
    proba = np.asarray(proba, dtype=float)
    if calibration is not None:
        proba = _calibrated(proba, *calibration)
    predicted = proba.argmax(axis=1)
    confidence = proba[np.arange(len(proba)), predicted]
    scores = []
    for c in range(proba.shape[1]):
        said = predicted == c
        tp = proba[said, c].sum()
        fp = (1 - proba[said, c]).sum()
        fn = proba[~said, c].sum()
        if tp + fp + fn > 0:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return {
        "accuracy": float(confidence.mean()),
        "f1_macro": float(np.mean(scores)) if scores else 0.0,
    }


def _calibrated(
    proba: np.ndarray, holdout_proba: np.ndarray, holdout_truth: np.ndarray
) -> np.ndarray:
    from sklearn.isotonic import IsotonicRegression

    out = np.empty_like(proba)
    for c in range(proba.shape[1]):
        fit = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        fit.fit(holdout_proba[:, c], (holdout_truth == c).astype(float))
        out[:, c] = fit.predict(proba[:, c])
    sums = out.sum(axis=1, keepdims=True)
    return np.divide(out, sums, out=np.full_like(out, 1.0 / out.shape[1]), where=sums > 0)


def over_time(times: pd.Series, truth, predicted, task: str) -> list[dict[str, Any]]:
    """The measured metric per day of the predictions, as labels for them came in."""
    frame = pd.DataFrame({"day": pd.to_datetime(times, utc=True).dt.strftime("%Y-%m-%d")})
    if task == "regression":
        frame["error"] = (np.asarray(truth, dtype=float) - np.asarray(predicted, dtype=float)) ** 2
        grouped = frame.groupby("day")["error"].agg(["mean", "size"])
        return [
            {
                "day": day,
                "metric": "rmse",
                "value": float(np.sqrt(row["mean"])),
                "rows": int(row["size"]),
            }
            for day, row in grouped.iterrows()
        ]
    a, b = _same_labels(truth, predicted)
    frame["right"] = a == b
    grouped = frame.groupby("day")["right"].agg(["mean", "size"])
    return [
        {"day": day, "metric": "accuracy", "value": float(row["mean"]), "rows": int(row["size"])}
        for day, row in grouped.iterrows()
    ]
