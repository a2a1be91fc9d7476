"""Evaluating a model version on its holdout (re-created from the run's seed) or on any
compatible dataset version: metrics, curves, per-class table, residuals, permutation feature
importance and the worst predictions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelyard.errors import InvalidInputError
from modelyard.progress import Progress
from modelyard.store import Store
from modelyard.store.entities import ModelVersion

HOLDOUT_FRACTION = 0.2  # training/fit.py's TEST_FRACTION: the split is re-created exactly
CURVE_POINTS = 200
WORST_ROWS = 20
IMPORTANCE_ROWS = 2000


@dataclass
class Evaluation:
    version: ModelVersion
    data_label: str
    n_rows: int
    task: str
    metrics: dict[str, float]
    classes: list[Any] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)
    per_class: list[dict[str, Any]] = field(default_factory=list)
    roc: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    pr: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    residuals: tuple[list[float], list[float]] = ([], [])
    importance: list[tuple[str, float, float]] = field(default_factory=list)
    worst: list[dict[str, Any]] = field(default_factory=list)
    truth: Any = None  # the rows' actual values and the model's predictions (numpy arrays),
    predicted: Any = None  # kept for paired comparisons


def _thin(xs, ys) -> tuple[list[float], list[float]]:
    import numpy as np

    if len(xs) > CURVE_POINTS:
        keep = np.unique(np.linspace(0, len(xs) - 1, CURVE_POINTS).astype(int))
        xs, ys = np.asarray(xs)[keep], np.asarray(ys)[keep]
    return [float(v) for v in xs], [float(v) for v in ys]


def _target(version: ModelVersion, frame):
    target = version.signature.get("target")
    if target not in frame.columns:
        raise InvalidInputError(
            f"The data has no column '{target}', the target of {version.label}; it cannot be used to evaluate it."
        )
    frame = frame[frame[target].notna()]
    y = frame[target]
    if version.task == "classification":
        y = y.astype(object) if y.dtype.kind not in "biu" else y
    else:
        y = y.astype("float64")
    return frame, y


def holdout_rows(store: Store, version: ModelVersion):
    """The rows the run held out (all columns), re-created from its recorded seed.

    The split is deterministic: the same row count, fraction, seed and stratification as in
    training select the same rows, whatever columns are carried along.
    """
    from sklearn.model_selection import train_test_split

    from modelyard.datasets.service import load_frame
    from modelyard.tracking.runs import get_run

    run = get_run(store, version.run_id)
    if run.source != "trainer":
        raise InvalidInputError(
            f"{version.label} was trained by your own code, so Modelyard does not know which "
            "rows it held out; evaluate it on a dataset version with its columns."
        )
    if run.dataset is None:
        raise InvalidInputError(
            f"{version.label} was logged from a script without a dataset, so it has no holdout "
            "to re-create; evaluate it on a dataset version with its columns."
        )
    frame, y = _target(version, load_frame(store, run.dataset))
    stratify = None
    if version.task == "classification":
        counts = y.value_counts()
        stratify = y if counts.min() >= 2 else None
    _, frame_test, _, y_test = train_test_split(
        frame, y, test_size=HOLDOUT_FRACTION, random_state=run.seed, stratify=stratify
    )
    return frame_test, y_test, f"holdout of {run.dataset.label} (seed {run.seed})"


def dataset_rows(store: Store, version: ModelVersion, dataset_ref: str):
    from modelyard.datasets.service import get_version, load_frame

    data = get_version(store, dataset_ref)
    frame, y = _target(version, load_frame(store, data))
    if len(frame) == 0:
        raise InvalidInputError(f"{data.label} has no rows with a value in the target.")
    return frame, y, data.label


def score_rows(store: Store, version: ModelVersion, frame, y, label: str) -> Evaluation:
    """Every measure of `version` on these rows."""
    from modelyard.registry import runtime
    from modelyard.registry.service import load_model

    try:
        x = runtime.prepare_features(frame, version.signature["inputs"])
    except runtime.InputError as exc:
        raise InvalidInputError(f"{label} does not fit {version.label}: {exc}.") from exc
    model = load_model(store, version)
    result = Evaluation(version, label, len(x), version.task, {})
    if version.task == "classification":
        _classification(result, model, x, y)
    else:
        _regression(result, model, x, y)
    if len(x) >= 2:
        _importance(result, model, x, y)
    return result


def _classification(result: Evaluation, model, x, y) -> None:
    import numpy as np
    from sklearn import metrics

    predicted = model.predict(x)
    result.truth, result.predicted = np.asarray(y), np.asarray(predicted)
    classes = list(model.classes_)
    result.classes = [c.item() if hasattr(c, "item") else c for c in classes]
    result.metrics = {
        "accuracy": float(metrics.accuracy_score(y, predicted)),
        "precision_macro": float(
            metrics.precision_score(y, predicted, average="macro", zero_division=0)
        ),
        "recall_macro": float(metrics.recall_score(y, predicted, average="macro", zero_division=0)),
        "f1_macro": float(metrics.f1_score(y, predicted, average="macro", zero_division=0)),
    }
    result.confusion = metrics.confusion_matrix(y, predicted, labels=classes).tolist()
    p, r, f, s = metrics.precision_recall_fscore_support(
        y, predicted, labels=classes, zero_division=0
    )
    result.per_class = [
        {"class": c, "precision": float(a), "recall": float(b), "f1": float(d), "support": int(e)}
        for c, a, b, d, e in zip(result.classes, p, r, f, s, strict=True)
    ]
    if not hasattr(model, "predict_proba"):
        return
    proba = model.predict_proba(x)
    y_array = np.asarray(y)
    result.metrics["log_loss"] = float(metrics.log_loss(y_array, proba, labels=classes))
    present = [i for i, c in enumerate(classes) if (y_array == c).any()]
    if len(present) >= 2:
        if len(classes) == 2:
            result.metrics["roc_auc"] = float(
                metrics.roc_auc_score(y_array == classes[1], proba[:, 1])
            )
        elif len(present) == len(classes):
            result.metrics["roc_auc"] = float(
                metrics.roc_auc_score(y_array, proba, multi_class="ovr", labels=classes)
            )
    curve_classes = [1] if len(classes) == 2 else present
    for i in curve_classes:
        truth = y_array == classes[i]
        if truth.all() or not truth.any():
            continue
        fpr, tpr, _ = metrics.roc_curve(truth, proba[:, i])
        precision, recall, _ = metrics.precision_recall_curve(truth, proba[:, i])
        result.roc[str(result.classes[i])] = _thin(fpr, tpr)
        result.pr[str(result.classes[i])] = _thin(recall, precision)
    index = {c: i for i, c in enumerate(classes)}
    true_proba = np.array(
        [proba[n, index[v]] if v in index else 0.0 for n, v in enumerate(y_array)]
    )
    order = np.argsort(true_proba)[:WORST_ROWS]
    result.worst = [
        {
            "row": str(x.index[n]),
            "actual": _plain(y_array[n]),
            "predicted": _plain(predicted[n]),
            "p(actual)": round(float(true_proba[n]), 4),
            **{k: _plain(v) for k, v in x.iloc[n].items()},
        }
        for n in order
    ]


def _regression(result: Evaluation, model, x, y) -> None:
    import numpy as np
    from sklearn import metrics

    predicted = model.predict(x)
    result.truth, result.predicted = np.asarray(y, dtype=float), np.asarray(predicted, dtype=float)
    result.metrics = {
        "mae": float(metrics.mean_absolute_error(y, predicted)),
        "rmse": float(metrics.root_mean_squared_error(y, predicted)),
        "r2": float(metrics.r2_score(y, predicted)) if len(y) > 1 else float("nan"),
    }
    residual = np.asarray(y) - predicted
    result.residuals = ([float(v) for v in predicted], [float(v) for v in residual])
    order = np.argsort(-np.abs(residual))[:WORST_ROWS]
    result.worst = [
        {
            "row": str(x.index[n]),
            "actual": float(np.asarray(y)[n]),
            "predicted": float(predicted[n]),
            "error": round(float(residual[n]), 6),
            **{k: _plain(v) for k, v in x.iloc[n].items()},
        }
        for n in order
    ]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _importance(result: Evaluation, model, x, y) -> None:
    from sklearn.inspection import permutation_importance

    if len(x) > IMPORTANCE_ROWS:
        x = x.sample(IMPORTANCE_ROWS, random_state=0)
        y = y.loc[x.index]
    scoring = "accuracy" if result.task == "classification" else "r2"
    found = permutation_importance(model, x, y, scoring=scoring, n_repeats=5, random_state=0)
    ranked = sorted(
        zip(x.columns, found.importances_mean, found.importances_std, strict=True),
        key=lambda t: -t[1],
    )
    result.importance = [(str(n), float(m), float(s)) for n, m, s in ranked]


def evaluate(
    store: Store,
    version: ModelVersion,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    """Evaluate on the run's holdout, or on the dataset version `dataset` (NAME[:V])."""
    progress = progress or Progress()
    progress.report(0.05, "Loading rows")
    if dataset:
        frame, y, label = dataset_rows(store, version, dataset)
    else:
        frame, y, label = holdout_rows(store, version)
    progress.report(0.2, f"Evaluating {version.label} on {label}")
    result = score_rows(store, version, frame, y, label)
    progress.report(1.0, "Done")
    return result
