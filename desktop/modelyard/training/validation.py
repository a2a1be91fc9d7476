"""Honest model selection: cross-validation on the training part, the holdout scored once.

A run splits its rows once into a training part and a holdout (seeded, stratified where the
classes allow). Model selection (a sweep's objective, comparing runs) reads only scores computed
on the training part: k-fold cross-validation for the scikit-learn trainers, the validation split
carved from the training part for the epoch-based MLP. The holdout is scored once, by the final
model, and labelled as such wherever it is shown.

Every split is recorded (seed, k, repeats, a SHA-256 of the fold assignment and each fold's
scores), so a re-run of the same run reproduces the same folds and the same scores.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

# Below 500 training rows one k-fold split is too noisy to rank models: repeat it with other
# shuffles. Above 50,000, three folds already hold thousands of rows each.
SMALL_ROWS = 500
LARGE_ROWS = 50_000
CV_PREFIX = "cv_"
_FOLD_FIELDS = ("fold", "repeat", "rows", "skipped")
VALIDATION_PREFIX = "val_best_"  # the validation split, by the weights kept (best epoch)


@dataclass(frozen=True)
class FoldPlan:
    k: int
    repeats: int
    stratified: bool
    seed: int

    @property
    def text(self) -> str:
        kind = "stratified " if self.stratified else ""
        times = f" × {self.repeats} repeats" if self.repeats > 1 else ""
        return f"{kind}{self.k}-fold{times}, seed {self.seed}"


def plan_folds(y, task: str, seed: int) -> FoldPlan:
    """k by the size of the training part; stratified when every class fills every fold."""
    n = len(y)
    k, repeats = (3, 3) if n < 60 else (5, 2) if n < SMALL_ROWS else (5, 1)
    if n >= LARGE_ROWS:
        k = 3
    stratified = False
    if task == "classification":
        smallest = int(
            np.unique(np.asarray(y, dtype=object).astype(str), return_counts=True)[1].min()
        )
        if smallest >= 2:
            k = min(k, smallest)
            stratified = True
    return FoldPlan(k=max(2, min(k, n // 2)), repeats=repeats, stratified=stratified, seed=seed)


def folds(y, plan: FoldPlan) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train positions, test positions) of every fold, in order; the same for the same plan."""
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    labels = np.asarray(y, dtype=object).astype(str) if plan.stratified else None
    splitter = (
        RepeatedStratifiedKFold(n_splits=plan.k, n_repeats=plan.repeats, random_state=plan.seed)
        if plan.stratified
        else RepeatedKFold(n_splits=plan.k, n_repeats=plan.repeats, random_state=plan.seed)
    )
    positions = np.zeros(len(y))
    return list(splitter.split(positions, labels))


def assignment_hash(splits: list[tuple[np.ndarray, np.ndarray]]) -> str:
    """A fingerprint of which rows each fold tests on: equal hashes, equal folds."""
    digest = hashlib.sha256()
    for _train, test in splits:
        digest.update(np.asarray(test, dtype=np.int64).tobytes())
        digest.update(b"|")
    return digest.hexdigest()


def index_hash(index) -> str:
    """A fingerprint of the rows (by their frame index) a part holds."""
    return hashlib.sha256(np.asarray(list(index), dtype=object).astype(str).tobytes()).hexdigest()


def cross_validate(make_model, task: str, x, y, plan: FoldPlan, scorer) -> dict[str, Any]:
    """Fit a fresh model per fold on the training part and score it on the fold left out.

    `make_model()` returns an unfitted model; `scorer(task, model, x, y)` a dict of metrics.
    Returns the record kept on the run: plan, fold hash, each fold's scores, mean and std.
    """
    splits = folds(y, plan)
    per_fold = []
    for i, (train, test) in enumerate(splits):
        where = {"fold": i % plan.k, "repeat": i // plan.k, "rows": int(len(test))}
        if task == "classification" and y.iloc[train].nunique() < 2:
            per_fold.append({**where, "skipped": "its training rows hold a single class"})
            continue
        model = make_model()
        model.fit(x.iloc[train], y.iloc[train])
        values = scorer(task, model, x.iloc[test], y.iloc[test])
        per_fold.append({**where, **values})
    keys = list(dict.fromkeys(k for f in per_fold for k in f if k not in _FOLD_FIELDS))
    summary = {}
    for key in keys:
        values = [f[key] for f in per_fold if key in f and math.isfinite(f[key])]
        if values:
            summary[key] = {
                "mean": float(np.mean(values)),
                "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                "folds": len(values),
            }
    return {
        "method": "cross-validation",
        "k": plan.k,
        "repeats": plan.repeats,
        "stratified": plan.stratified,
        "seed": plan.seed,
        "text": plan.text,
        "rows": int(len(y)),
        "fold_sha256": assignment_hash(splits),
        "folds": per_fold,
        "summary": summary,
    }


def selection_metrics(record: dict[str, Any]) -> dict[str, float]:
    """The run metrics a cross-validation record adds: cv_<m> (mean) and cv_<m>_std."""
    out = {}
    for key, stats in record["summary"].items():
        out[f"{CV_PREFIX}{key}"] = stats["mean"]
        out[f"{CV_PREFIX}{key}_std"] = stats["std"]
    return out


def selection_score(metrics, metric: str) -> float | None:
    """The score that ranks runs on `metric` without touching the holdout: the cross-validated
    mean, or for an epoch-based model its validation split's score; None when neither exists.

    Reads only the cv_/val_ keys: the holdout value (`metric` itself) is never looked at.
    """
    for key in (f"{CV_PREFIX}{metric}", f"{VALIDATION_PREFIX}{metric}"):
        if key in metrics:
            return float(metrics[key])
    return None


def selection_spread(metrics, metric: str) -> float | None:
    """The cross-validated standard deviation of `metric`, where there is one."""
    key = f"{CV_PREFIX}{metric}_std"
    return float(metrics[key]) if key in metrics else None


def is_selection_key(key: str) -> bool:
    return key.startswith((CV_PREFIX, "val_"))
