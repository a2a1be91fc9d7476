"""Champion vs challenger: two versions evaluated on the same rows, with a verdict."""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.errors import InvalidInputError
from modelyard.progress import Progress
from modelyard.registry.evaluation import Evaluation, dataset_rows, holdout_rows, score_rows
from modelyard.store import Store
from modelyard.store.entities import ModelVersion

# The metric that decides, and whether higher is better.
DECIDING = {"classification": ("f1_macro", True), "regression": ("rmse", False)}
RESAMPLES = 1000
LEVEL = 0.95


def _f1_macro(weights, truth, predicted, classes):
    """Macro F1 under each row weighting (one row of `weights` per bootstrap resample)."""
    import numpy as np

    scores = []
    for c in classes:
        actual, said = truth == c, predicted == c
        tp = weights @ (actual & said)
        denominator = weights @ actual.astype(np.int64) + weights @ said.astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores.append(np.where(denominator > 0, 2 * tp / denominator, 0.0))
    return np.mean(scores, axis=0)


def _rmse(weights, truth, predicted, _classes):
    import numpy as np

    return np.sqrt(weights @ ((truth - predicted) ** 2) / weights.sum(axis=1))


def paired_interval(first, second, metric: str, seed: int = 0) -> tuple[float, float]:
    """95% paired-bootstrap interval of (challenger − champion) on `metric`, oriented so that
    positive means the challenger is better: both are scored on the same resampled rows."""
    import numpy as np

    truth = first.truth
    n = len(truth)
    score = _f1_macro if metric == "f1_macro" else _rmse
    higher = DECIDING[first.task][1]
    classes = np.unique(np.concatenate([truth, first.predicted, second.predicted]))
    rng = np.random.default_rng(seed)
    deltas = []
    chunk = max(1, min(RESAMPLES, 5_000_000 // max(n, 1)))  # bounded memory for big holdouts
    for start in range(0, RESAMPLES, chunk):
        size = min(chunk, RESAMPLES - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size)
        a = score(weights, truth, first.predicted, classes)
        b = score(weights, truth, second.predicted, classes)
        deltas.append(b - a if higher else a - b)
    delta = np.concatenate(deltas)
    tail = (1 - LEVEL) / 2 * 100
    return float(np.percentile(delta, tail)), float(np.percentile(delta, 100 - tail))


@dataclass
class Comparison:
    champion: Evaluation
    challenger: Evaluation
    metric: str
    challenger_wins: bool
    verdict: str

    def rows(self) -> list[tuple[str, float | None, float | None]]:
        names = list(dict.fromkeys([*self.champion.metrics, *self.challenger.metrics]))
        return [(n, self.champion.metrics.get(n), self.challenger.metrics.get(n)) for n in names]


def compare(
    store: Store,
    champion: ModelVersion,
    challenger: ModelVersion,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Evaluate both on `dataset`, or on the challenger's holdout: rows the challenger never saw."""
    if champion.id == challenger.id:
        raise InvalidInputError("Pick two different versions to compare.")
    for key in ("task", "target"):
        if champion.signature.get(key) != challenger.signature.get(key):
            raise InvalidInputError(
                f"{champion.label} and {challenger.label} predict different things "
                f"({key}: {champion.signature.get(key)} vs {challenger.signature.get(key)})."
            )
    progress = progress or Progress()
    progress.report(0.05, "Loading rows")
    if dataset:
        frame, y, label = dataset_rows(store, challenger, dataset)
    else:
        frame, y, label = holdout_rows(store, challenger)
    progress.report(0.2, f"Evaluating {challenger.label}")
    second = score_rows(store, challenger, frame, y, label)
    progress.report(0.6, f"Evaluating {champion.label}")
    first = score_rows(store, champion, frame, y, label, sections=("metrics",))
    metric, higher = DECIDING[challenger.task]
    a, b = first.metrics.get(metric), second.metrics.get(metric)
    if a is None or b is None:
        raise InvalidInputError(f"'{metric}' could not be computed on {second.data_label}.")
    low, high = paired_interval(first, second, metric)
    spread = f"95% interval of the gain {low:+.3g} to {high:+.3g}, paired bootstrap"
    wins = low > 0
    if wins:
        verdict = (
            f"{challenger.label} beats {champion.label} on {metric} ({b:.4g} vs {a:.4g}; "
            f"{spread}) on {second.data_label}: promote it."
        )
    elif high < 0:
        verdict = (
            f"{champion.label} stays: it beats {challenger.label} on {metric} "
            f"({a:.4g} vs {b:.4g}; {spread})."
        )
    else:
        verdict = (
            f"No clear difference on {metric} ({a:.4g} vs {b:.4g}; {spread}); "
            f"keep {champion.label}."
        )
    progress.report(1.0, "Done")
    return Comparison(first, second, metric, wins, verdict)
