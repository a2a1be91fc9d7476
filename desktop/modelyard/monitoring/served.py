"""Two versions of an A/B or shadow bundle compared on the traffic they served, once labels are back.

A shadow answered the same rows as the champion, so the comparison is paired: the same
bootstrap as champion vs challenger on a holdout (`registry.comparison.paired_interval`). A
challenger answered other rows (its share of the requests); each version is then resampled on
its own rows and the interval is of the difference of the two metrics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from modelyard.errors import InvalidInputError
from modelyard.monitoring.requests import log_files
from modelyard.registry.comparison import (
    DECIDING,
    LEVEL,
    RESAMPLES,
    _f1_macro,
    _rmse,
    paired_interval,
)
from modelyard.store.entities import ModelVersion


@dataclass
class ServedComparison:
    champion: ModelVersion
    challenger: ModelVersion
    mode: str  # "shadow" (paired) or "split"
    metric: str
    champion_rows: int
    challenger_rows: int
    champion_score: float
    challenger_score: float
    low: float
    high: float
    challenger_wins: bool
    verdict: str


def _lines(folder: Path) -> list[dict[str, Any]]:
    entries = []
    for path in log_files(folder):
        for line in path.read_bytes().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a line cut off by a crash
                continue
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


def _labels(entries: list[dict[str, Any]], extra: dict[str, Any]) -> dict[str, Any]:
    labels = dict(extra)
    for entry in entries:
        if entry.get("type") == "feedback":
            for record in entry.get("records") or []:
                labels[str(record.get("id"))] = record.get("label")
    return labels


def _truth(values: list[Any], task: str):
    import numpy as np

    if task == "classification":
        return np.array([str(v).lower() if isinstance(v, bool) else str(v) for v in values], object)
    return np.array(values, dtype=np.float64)


def _score(task: str, truth, predicted) -> float:
    import numpy as np

    n = len(truth)
    weights = np.ones((1, n), dtype=np.int64)
    if task == "classification":
        classes = np.unique(np.concatenate([truth, predicted]))
        return float(_f1_macro(weights, truth, predicted, classes)[0])
    return float(_rmse(weights, truth, predicted, None)[0])


def _unpaired_interval(task, first, second, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval of (challenger − champion), each resampled on its own rows,
    oriented so that positive means the challenger is better."""
    import numpy as np

    score = _f1_macro if task == "classification" else _rmse
    higher = DECIDING[task][1]
    rng = np.random.default_rng(seed)
    classes = np.unique(np.concatenate([first[0], first[1], second[0], second[1]]))
    results = []
    for truth, predicted in (first, second):
        n = len(truth)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=RESAMPLES)
        results.append(score(weights, truth, predicted, classes))
    delta = results[1] - results[0] if higher else results[0] - results[1]
    tail = (1 - LEVEL) / 2 * 100
    return float(np.percentile(delta, tail)), float(np.percentile(delta, 100 - tail))


def compare_served(
    folder: Path | str,
    champion: ModelVersion,
    challenger: ModelVersion,
    labels: dict[str, Any] | None = None,
) -> ServedComparison:
    """Compare `challenger` with `champion` on the labelled rows each answered in the log."""
    folder = Path(folder).expanduser()
    entries = _lines(folder)
    task = champion.task
    if challenger.task != task or challenger.model_name != champion.model_name:
        raise InvalidInputError("Compare two versions of the same model, doing the same task.")
    known = _labels(entries, labels or {})
    answered: dict[int, list[tuple[str, Any]]] = {champion.version: [], challenger.version: []}
    shadowed: dict[str, list[Any]] = {}
    for entry in entries:
        version, outputs = entry.get("version"), entry.get("outputs") or {}
        if entry.get("model") != champion.model_name or entry.get("status") != 200:
            continue
        predictions = outputs.get("predictions") or []
        if entry.get("type") == "shadow" and version == challenger.version:
            shadowed[str(entry.get("request_id"))] = predictions
        elif entry.get("type", "prediction") == "prediction" and version in answered:
            ids = entry.get("ids") or []
            answered[version].extend(zip(ids, predictions, strict=False))
    metric = DECIDING[task][0]
    if shadowed:
        return _paired(champion, challenger, metric, answered[champion.version], shadowed, known)
    return _split(champion, challenger, metric, answered, known)


def _paired(champion, challenger, metric, rows, shadowed, known) -> ServedComparison:
    import numpy as np

    truth, first, second = [], [], []
    for row_id, prediction in rows:
        request_id, _, index = row_id.rpartition("-")
        other = shadowed.get(request_id)
        if row_id in known and other is not None and index.isdigit() and int(index) < len(other):
            truth.append(known[row_id])
            first.append(prediction)
            second.append(other[int(index)])
    if len(truth) < 2:
        raise InvalidInputError(
            f"Only {len(truth)} row(s) answered by {champion.label} and its shadow "
            f"{challenger.label} have a label; send labels to /feedback or "
            "`modelyard monitor feedback` first."
        )
    task = champion.task
    y = _truth(truth, task)
    a = SimpleNamespace(truth=y, predicted=_truth(first, task), task=task)
    b = SimpleNamespace(truth=y, predicted=_truth(second, task), task=task)
    low, high = paired_interval(a, b, metric)
    return _verdict(
        champion,
        challenger,
        "shadow",
        metric,
        (y, a.predicted),
        (y, b.predicted),
        low,
        high,
        np,
    )


def _split(champion, challenger, metric, answered, known) -> ServedComparison:
    import numpy as np

    task = champion.task
    groups = []
    for version in (champion, challenger):
        pairs = [(known[i], p) for i, p in answered[version.version] if i in known]
        if len(pairs) < 2:
            raise InvalidInputError(
                f"Only {len(pairs)} row(s) answered by {version.label} have a label; send labels "
                "to /feedback or `modelyard monitor feedback` first."
            )
        groups.append((_truth([t for t, _ in pairs], task), _truth([p for _, p in pairs], task)))
    low, high = _unpaired_interval(task, groups[0], groups[1])
    return _verdict(champion, challenger, "split", metric, groups[0], groups[1], low, high, np)


def _verdict(champion, challenger, mode, metric, first, second, low, high, _np) -> ServedComparison:
    task = champion.task
    a, b = _score(task, *first), _score(task, *second)
    how = (
        "paired bootstrap over the same rows"
        if mode == "shadow"
        else "bootstrap of each version's own rows"
    )
    spread = f"95% interval of the gain {low:+.3g} to {high:+.3g}, {how}"
    counts = f"{len(first[0]):,} and {len(second[0]):,} labelled rows"
    if low > 0:
        verdict = (
            f"{challenger.label} beats {champion.label} on {metric} ({b:.4g} vs {a:.4g}; {spread}; "
            f"{counts}) on the served traffic: promote it."
        )
    elif high < 0:
        verdict = (
            f"{champion.label} stays: it beats {challenger.label} on {metric} ({a:.4g} vs {b:.4g}; "
            f"{spread}; {counts}): roll the challenger back."
        )
    else:
        verdict = (
            f"No clear difference on {metric} ({a:.4g} vs {b:.4g}; {spread}; {counts}); "
            f"keep {champion.label}."
        )
    return ServedComparison(
        champion,
        challenger,
        mode,
        metric,
        len(first[0]),
        len(second[0]),
        a,
        b,
        low,
        high,
        low > 0,
        verdict,
    )
