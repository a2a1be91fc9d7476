"""Evaluating a model version on its holdout (re-created from the run's seed) or on any
compatible dataset version: metrics, curves, per-class table, residuals, permutation feature
importance and the worst predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelyard.errors import InvalidInputError
from modelyard.progress import Progress
from modelyard.store import Store
from modelyard.store.entities import ModelVersion

HOLDOUT_FRACTION = 0.2  # training/fit.py's TEST_FRACTION: the split is re-created exactly
CURVE_POINTS = 200
WORST_ROWS = 20
IMPORTANCE_ROWS = 500


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
    importance_note: str = ""
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    intervals_note: str = ""
    worst: list[dict[str, Any]] = field(default_factory=list)
    slices: list[dict[str, Any]] = field(default_factory=list)
    explanations: dict[str, Any] = field(default_factory=dict)  # SHAP: global summary
    features: Any = None  # the prepared rows (a DataFrame), for explaining one of them
    truth: Any = None  # the rows' actual values and the model's predictions (numpy arrays),
    predicted: Any = None  # kept for paired comparisons

    def record(self) -> dict[str, Any]:
        """What is stored with the evaluation (JSON): everything shown but the raw rows."""
        return {
            "metrics": _finite(self.metrics),
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "intervals_note": self.intervals_note,
            "per_class": self.per_class,
            "importance": [list(t) for t in self.importance[:30]],
            "importance_note": self.importance_note,
            "slices": self.slices,
            "explanations": {
                k: (v[:30] if k == "mean_abs" else v) for k, v in self.explanations.items()
            },
        }


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    import math

    return {
        k: (v if isinstance(v, float) and math.isfinite(v) else None) for k, v in values.items()
    }


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


SECTIONS = ("metrics", "curves", "worst", "intervals", "slices", "importance", "explanations")
IMPORTANCE_REPEATS = 3
RESAMPLES = 200
PREDICT_CHUNK = 100_000  # rows per predict call when scoring stacked permutations


def score_rows(
    store: Store,
    version: ModelVersion,
    frame,
    y,
    label: str,
    sections: tuple[str, ...] = SECTIONS,
    on_part: Callable[[str, Evaluation], None] | None = None,
    by: tuple[str, ...] = (),
) -> Evaluation:
    """The measures of `version` on these rows that `sections` asks for (slices: by the
    columns `by` of `frame`, any of its columns).

    The model predicts the rows once; metrics, curves, worst rows, bootstrap intervals and
    the permutation-importance baseline all read those predictions. `on_part(section, result)`
    hears each section as soon as it is filled, so a page can show it before the rest.
    """
    from modelyard.registry import runtime
    from modelyard.registry.service import load_model

    try:
        x = runtime.prepare_features(frame, version.signature["inputs"])
    except runtime.InputError as exc:
        raise InvalidInputError(f"{label} does not fit {version.label}: {exc}.") from exc
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"{label} has no column {', '.join(repr(c) for c in missing)} to slice by; "
            f"it has {', '.join(map(str, frame.columns[:12]))}."
        )
    model = load_model(store, version)
    result = Evaluation(version, label, len(x), version.task, {})
    done = on_part or (lambda _section, _result: None)
    proba = _predict(result, model, x, y)
    if version.task == "classification":
        _classification_metrics(result, model, proba)
    else:
        _regression_metrics(result)
    done("metrics", result)
    if "curves" in sections:
        if version.task == "classification":
            _curves(result, proba)
        else:
            result.residuals = (
                [float(v) for v in result.predicted],
                [float(v) for v in result.truth - result.predicted],
            )
        done("curves", result)
    if "worst" in sections:
        _worst(result, x, proba)
        done("worst", result)
    if "intervals" in sections and len(x) >= 2:
        _intervals(result)
        done("intervals", result)
    if "slices" in sections and by:
        from modelyard.registry.slices import slices

        result.slices = slices(
            frame, list(by), result.truth, result.predicted, result.task, result.classes
        )
        done("slices", result)
    if "importance" in sections and len(x) >= 2:
        _importance(result, model, x)
        done("importance", result)
    result.features = x
    if "explanations" in sections and len(x) >= 2:
        _explanations(result, model, x)
        done("explanations", result)
    return result


def _explanations(result: Evaluation, model, x) -> None:
    """SHAP's global summary; a model SHAP cannot read gets a note instead of a failure."""
    try:
        from modelyard.registry.explain import global_summary

        result.explanations = global_summary(model, x, result.task, result.classes)
    except ImportError:
        result.explanations = {"note": "install shap (modelyard[explain]) for SHAP explanations"}
    except Exception as exc:  # noqa: BLE001 - explanations are extra; the rest stands
        result.explanations = {"note": f"SHAP could not explain this model ({exc})"}


def explain_prediction(store: Store, result: Evaluation, row: str) -> dict[str, Any]:
    """The SHAP explanation of one evaluated row (by its label in the worst-predictions
    table), against the evaluated rows as background."""
    from modelyard.registry.explain import explain_one
    from modelyard.registry.service import load_model

    features = result.features
    matches = [i for i, label in enumerate(features.index) if str(label) == str(row)]
    if not matches:
        raise InvalidInputError(f"Row {row} is not among the evaluated rows.")
    model = load_model(store, result.version)
    one = features.iloc[matches[0] : matches[0] + 1]
    return explain_one(model, one, result.task, result.classes, background=features)


def _predict(result: Evaluation, model, x, y):
    """One pass of the model over the rows: class probabilities where it has them (the class
    predicted is their arg-max, as scikit-learn's own predict does), else plain predictions."""
    import numpy as np

    if result.task == "classification":
        classes = list(model.classes_)
        result.classes = [_plain(c) for c in classes]
        result.truth = np.asarray(y)
        if hasattr(model, "predict_proba"):
            proba = model.predict_proba(x)
            result.predicted = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
            if result.truth.dtype != object:
                result.predicted = result.predicted.astype(result.truth.dtype)
            return proba
        result.predicted = np.asarray(model.predict(x))
        return None
    result.truth = np.asarray(y, dtype=float)
    result.predicted = np.asarray(model.predict(x), dtype=float)
    return None


def _classification_metrics(result: Evaluation, model, proba) -> None:
    import numpy as np
    from sklearn import metrics

    y, predicted = result.truth, result.predicted
    classes = list(model.classes_)
    # one confusion matrix, and every count-based measure from it (sklearn's scorers would
    # each re-validate and re-count the rows)
    index = {c: i for i, c in enumerate(classes)}
    k = len(classes)
    actual = np.array([index.get(v, -1) for v in y.tolist()])
    said = np.array([index.get(v, -1) for v in predicted.tolist()])
    known = (actual >= 0) & (said >= 0)
    confusion = np.bincount(actual[known] * k + said[known], minlength=k * k).reshape(k, k)
    tp = np.diag(confusion).astype(float)
    support = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(confusion.sum(axis=0) > 0, tp / confusion.sum(axis=0), 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    # macro averages over the classes present in the rows or the predictions, as sklearn does
    seen = (support > 0) | (confusion.sum(axis=0) > 0)
    result.metrics = {
        "accuracy": float(np.mean(actual == said)) if len(y) else float("nan"),
        "precision_macro": float(precision[seen].mean()),
        "recall_macro": float(recall[seen].mean()),
        "f1_macro": float(f1[seen].mean()),
    }
    result.confusion = confusion.tolist()
    result.per_class = [
        {"class": c, "precision": float(a), "recall": float(b), "f1": float(d), "support": int(e)}
        for c, a, b, d, e in zip(result.classes, precision, recall, f1, support, strict=True)
    ]
    if proba is None:
        return
    result.metrics["log_loss"] = float(metrics.log_loss(y, proba, labels=classes))
    present = [i for i, c in enumerate(classes) if (y == c).any()]
    if len(present) >= 2:
        if len(classes) == 2:
            result.metrics["roc_auc"] = float(metrics.roc_auc_score(y == classes[1], proba[:, 1]))
        elif len(present) == len(classes):
            result.metrics["roc_auc"] = float(
                metrics.roc_auc_score(y, proba, multi_class="ovr", labels=classes)
            )


def _regression_metrics(result: Evaluation) -> None:
    from sklearn import metrics

    y, predicted = result.truth, result.predicted
    result.metrics = {
        "mae": float(metrics.mean_absolute_error(y, predicted)),
        "rmse": float(metrics.root_mean_squared_error(y, predicted)),
        "r2": float(metrics.r2_score(y, predicted)) if len(y) > 1 else float("nan"),
    }


def _curves(result: Evaluation, proba) -> None:
    from sklearn import metrics

    if proba is None:
        return
    y = result.truth
    classes = result.classes
    present = [i for i, c in enumerate(classes) if (y == c).any()]
    for i in [1] if len(classes) == 2 else present:
        truth = y == classes[i]
        if truth.all() or not truth.any():
            continue
        fpr, tpr, _ = metrics.roc_curve(truth, proba[:, i])
        precision, recall, _ = metrics.precision_recall_curve(truth, proba[:, i])
        result.roc[str(classes[i])] = _thin(fpr, tpr)
        result.pr[str(classes[i])] = _thin(recall, precision)


def _worst(result: Evaluation, x, proba) -> None:
    import numpy as np

    y, predicted = result.truth, result.predicted
    if result.task == "classification":
        if proba is None:
            return
        index = {c: i for i, c in enumerate(result.classes)}
        codes = np.array([index.get(_plain(v), -1) for v in y])
        true_proba = np.where(codes >= 0, proba[np.arange(len(y)), np.maximum(codes, 0)], 0.0)
        order = np.argsort(true_proba, kind="stable")[:WORST_ROWS]
        extra = {n: {"p(actual)": round(float(true_proba[n]), 4)} for n in order}
    else:
        residual = y - predicted
        order = np.argsort(-np.abs(residual), kind="stable")[:WORST_ROWS]
        extra = {n: {"error": round(float(residual[n]), 6)} for n in order}
    rows = x.iloc[order]
    result.worst = [
        {
            "row": str(x.index[n]),
            "actual": _plain(y[n]),
            "predicted": _plain(predicted[n]),
            **extra[n],
            **{k: _plain(v) for k, v in record.items()},
        }
        for n, record in zip(order, rows.to_dict(orient="records"), strict=True)
    ]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _intervals(result: Evaluation) -> None:
    """95% bootstrap intervals of the headline metrics, from the same predictions."""
    import numpy as np

    from modelyard.registry.comparison import _f1_macro, _rmse

    truth, predicted = result.truth, result.predicted
    n = len(truth)
    rng = np.random.default_rng(0)
    chunk = max(1, min(RESAMPLES, 5_000_000 // max(n, 1)))
    values: dict[str, list] = {}
    if result.task == "classification":
        classes = np.unique(np.concatenate([truth.astype(str), predicted.astype(str)]))
        truth_s, predicted_s = truth.astype(str), predicted.astype(str)
        correct = (truth_s == predicted_s).astype(float)
    else:
        error = np.abs(truth - predicted)
    for start in range(0, RESAMPLES, chunk):
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=min(chunk, RESAMPLES - start))
        if result.task == "classification":
            values.setdefault("accuracy", []).append(weights @ correct / n)
            values.setdefault("f1_macro", []).append(
                _f1_macro(weights, truth_s, predicted_s, classes)
            )
        else:
            values.setdefault("mae", []).append(weights @ error / n)
            values.setdefault("rmse", []).append(_rmse(weights, truth, predicted, None))
    result.intervals = {
        k: (
            float(np.percentile(np.concatenate(v), 2.5)),
            float(np.percentile(np.concatenate(v), 97.5)),
        )
        for k, v in values.items()
    }
    result.intervals_note = f"95% bootstrap intervals, {RESAMPLES} resamples of the rows"


def _importance(result: Evaluation, model, x) -> None:
    """Permutation importance on a bounded sample: how much the score drops when one column's
    values are shuffled, `IMPORTANCE_REPEATS` shuffles each. Every shuffled copy is stacked and
    predicted in a few large calls; the unshuffled baseline reuses the shared predictions."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = min(len(x), IMPORTANCE_ROWS)
    pick = np.sort(rng.choice(len(x), n, replace=False)) if n < len(x) else np.arange(n)
    sample = x.iloc[pick].reset_index(drop=True)
    truth = result.truth[pick]
    scorer = _accuracy if result.task == "classification" else _r2
    base = scorer(truth, result.predicted[pick])
    blocks, names = [], []
    for name in sample.columns:
        values = sample[name].to_numpy()
        for _ in range(IMPORTANCE_REPEATS):
            block = sample.copy()
            block[name] = values[rng.permutation(n)]
            blocks.append(block)
            names.append(name)
    stacked = pd.concat(blocks, ignore_index=True)
    predicted = np.concatenate(
        [
            np.asarray(model.predict(stacked.iloc[i : i + PREDICT_CHUNK]))
            for i in range(0, len(stacked), PREDICT_CHUNK)
        ]
    )
    drops: dict[str, list[float]] = {}
    for b, name in enumerate(names):
        drops.setdefault(name, []).append(base - scorer(truth, predicted[b * n : (b + 1) * n]))
    ranked = sorted(
        ((str(k), float(np.mean(v)), float(np.std(v))) for k, v in drops.items()),
        key=lambda t: -t[1],
    )
    result.importance = ranked
    metric = "accuracy" if result.task == "classification" else "R²"
    result.importance_note = (
        f"permutation importance: drop in {metric} on {n:,} of {len(x):,} rows, "
        f"{IMPORTANCE_REPEATS} shuffles per column"
    )


def _accuracy(truth, predicted) -> float:
    import numpy as np

    return float(np.mean(np.asarray(truth, dtype=object) == np.asarray(predicted, dtype=object)))


def _r2(truth, predicted) -> float:
    import numpy as np

    truth, predicted = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
    total = float(((truth - truth.mean()) ** 2).sum())
    return 1.0 - float(((truth - predicted) ** 2).sum()) / total if total else 0.0


def evaluate(
    store: Store,
    version: ModelVersion,
    dataset: str | None = None,
    progress: Progress | None = None,
    sections: tuple[str, ...] = SECTIONS,
    on_part: Callable[[str, Evaluation], None] | None = None,
    by: tuple[str, ...] = (),
    save: bool = False,
) -> Evaluation:
    """Evaluate on the run's holdout, or on the dataset version `dataset` (NAME[:V]); sliced
    by the columns `by`; kept in the store with `save` (the model card reads the latest)."""
    progress = progress or Progress()
    progress.report(0.05, "Loading rows")
    if dataset:
        frame, y, label = dataset_rows(store, version, dataset)
    else:
        frame, y, label = holdout_rows(store, version)
    progress.report(0.2, f"Evaluating {version.label} on {label}")
    fractions = {
        "metrics": 0.4,
        "curves": 0.5,
        "worst": 0.55,
        "intervals": 0.6,
        "slices": 0.65,
        "importance": 0.8,
    }

    def part(section: str, result: Evaluation) -> None:
        if on_part is not None:
            on_part(section, result)
        if section in fractions:
            progress.report(fractions[section], f"{section.capitalize()} ready")

    result = score_rows(store, version, frame, y, label, sections, part, tuple(by))
    if save:
        save_evaluation(store, result)
    progress.report(1.0, "Done")
    return result


def save_evaluation(store: Store, result: Evaluation) -> int:
    from modelyard.store import models

    with store.session() as session:
        row = models.ModelEvaluation(
            model_version_id=result.version.id,
            data_label=result.data_label,
            n_rows=result.n_rows,
            task=result.task,
            result=result.record(),
        )
        session.add(row)
        session.flush()
        return row.id


def latest_evaluation(store: Store, version: ModelVersion) -> dict[str, Any] | None:
    """The newest stored evaluation of `version` (its record plus data, rows and time)."""
    from sqlalchemy import select

    from modelyard.store import models

    with store.session() as session:
        row = session.scalar(
            select(models.ModelEvaluation)
            .where(models.ModelEvaluation.model_version_id == version.id)
            .order_by(models.ModelEvaluation.id.desc())
            .limit(1)
        )
        if row is None:
            return None
        return {
            **row.result,
            "data_label": row.data_label,
            "n_rows": row.n_rows,
            "created_at": row.created_at,
        }
