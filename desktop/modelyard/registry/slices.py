"""Slices and fairness: every metric per group of a column, the largest gap and ratio between
groups, and for two-class models the demographic-parity and equalised-odds differences.

As Fairlearn's MetricFrame does, a slice is a column of the evaluated rows (any column, not only
the model's inputs): a category as its values, a number with many values as quartile bins.
Groups under `MIN_GROUP` rows are marked small and left out of the gaps, which they would
otherwise dominate by chance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import InvalidInputError

MIN_GROUP = 30
MAX_GROUPS = 20  # a category with more values is binned by frequency: the top 19 and "other"
NUMERIC_BINS = 4
MISSING = "(missing)"


def groups_of(values: pd.Series) -> pd.Series:
    """The group label of every row: the value itself, or a quartile bin of a number."""
    if values.dtype.kind in "iuf" and values.nunique() > 10:
        bins = pd.qcut(values, NUMERIC_BINS, duplicates="drop")
        labels = bins.astype(str).where(bins.notna(), MISSING)
        return labels
    labels = values.astype(object).where(values.notna(), MISSING).astype(str)
    counts = labels.value_counts()
    if len(counts) > MAX_GROUPS:
        keep = set(counts.index[: MAX_GROUPS - 1])
        labels = labels.where(labels.isin(keep), "other")
    return labels


def _classification(truth, predicted, positive) -> dict[str, float]:
    values = {"accuracy": float(np.mean(truth == predicted))}
    classes = np.unique(np.concatenate([truth, predicted]))
    f1s = []
    for c in classes:
        tp = np.sum((truth == c) & (predicted == c))
        denominator = np.sum(truth == c) + np.sum(predicted == c)
        f1s.append(2 * tp / denominator if denominator else 0.0)
    values["f1_macro"] = float(np.mean(f1s))
    if positive is not None:
        said = predicted == positive
        actual = truth == positive
        values["selection_rate"] = float(np.mean(said))
        if actual.any():
            values["true_positive_rate"] = float(np.mean(said[actual]))
        if (~actual).any():
            values["false_positive_rate"] = float(np.mean(said[~actual]))
    return values


def _regression(truth, predicted) -> dict[str, float]:
    error = truth - predicted
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mean_error": float(np.mean(error)),
    }


def slice_by(
    column: str, values: pd.Series, truth, predicted, task: str, classes: list[Any]
) -> dict[str, Any]:
    """One column's slice table: groups (value, rows, small?, metrics), the largest gap and
    ratio of every metric among groups of at least MIN_GROUP rows, and fairness differences."""
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    if task == "classification":
        truth, predicted = truth.astype(str), predicted.astype(str)
    positive = str(classes[1]) if task == "classification" and len(classes) == 2 else None
    labels = groups_of(values.reset_index(drop=True))
    groups = []
    for label in sorted(labels.unique(), key=str):
        mask = (labels == label).to_numpy()
        measure = (
            _classification(truth[mask], predicted[mask], positive)
            if task == "classification"
            else _regression(truth[mask].astype(float), predicted[mask].astype(float))
        )
        groups.append(
            {"group": str(label), "rows": int(mask.sum()), "small": bool(mask.sum() < MIN_GROUP),
             "metrics": measure}
        )  # fmt: skip
    judged = [g for g in groups if not g["small"]]
    gaps = {}
    for metric in dict.fromkeys(k for g in groups for k in g["metrics"]):
        present = [g["metrics"][metric] for g in judged if metric in g["metrics"]]
        if len(present) >= 2:
            low, high = min(present), max(present)
            ratio = low / high if high > 0 and low >= 0 else None
            gaps[metric] = {"min": low, "max": high, "gap": high - low, "ratio": ratio}
    fairness = {}
    if positive is not None:
        if "selection_rate" in gaps:
            fairness["demographic_parity_difference"] = gaps["selection_rate"]["gap"]
            fairness["demographic_parity_ratio"] = gaps["selection_rate"]["ratio"]
        if "true_positive_rate" in gaps and "false_positive_rate" in gaps:
            fairness["equalized_odds_difference"] = max(
                gaps["true_positive_rate"]["gap"], gaps["false_positive_rate"]["gap"]
            )
        fairness["positive_class"] = positive
    return {
        "column": column,
        "min_group": MIN_GROUP,
        "groups": groups,
        "gaps": gaps,
        "fairness": fairness,
        "judged_groups": len(judged),
    }


def slices(frame: pd.DataFrame, columns: list[str], truth, predicted, task, classes) -> list:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"The evaluated rows have no column {', '.join(repr(c) for c in missing)} to slice by."
        )
    return [slice_by(c, frame[c], truth, predicted, task, classes) for c in columns]
