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
TIE = 1e-3


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
    first = score_rows(store, champion, frame, y, label)
    metric, higher = DECIDING[challenger.task]
    a, b = first.metrics.get(metric), second.metrics.get(metric)
    if a is None or b is None:
        raise InvalidInputError(f"'{metric}' could not be computed on {second.data_label}.")
    delta = (b - a) if higher else (a - b)
    wins = delta > TIE
    if wins:
        verdict = (
            f"{challenger.label} beats {champion.label} on {metric} ({b:.4g} vs {a:.4g}) on "
            f"{second.data_label}: promote it."
        )
    elif delta < -TIE:
        verdict = (
            f"{champion.label} stays: it beats {challenger.label} on {metric} ({a:.4g} vs {b:.4g})."
        )
    else:
        verdict = f"No clear difference on {metric} ({a:.4g} vs {b:.4g}); keep {champion.label}."
    progress.report(1.0, "Done")
    return Comparison(first, second, metric, wins, verdict)
