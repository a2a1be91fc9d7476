"""Comparing several runs: a diff of their params and metrics, and the data behind the charts
that set them side by side (overlaid curves, parallel coordinates, param-vs-metric scatter).

Plain data in, plain data out: the GUI only draws what these functions return, and the CLI's
`runs compare` prints `diff_rows`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelyard.store import Store
from modelyard.store.entities import Run
from modelyard.tracking.runs import metric_arrays

PARAM = "param "
METRIC = "metric "

# One run's (steps, values) of one metric: what a curve draws.
Series = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class DiffRow:
    name: str  # "status", "param alpha", "metric accuracy", …
    values: tuple[str, ...]  # one display string per run; "" where a run has no value
    differs: bool


def diff_rows(runs: Sequence[Run]) -> list[DiffRow]:
    """What the runs were and what they measured, one row per field, param and metric."""
    fields: list[tuple[str, list[Any]]] = [
        ("status", [r.status for r in runs]),
        ("experiment", [r.experiment for r in runs]),
        ("dataset", [r.dataset_label for r in runs]),
        ("target", [r.target for r in runs]),
        ("model", [r.model_kind for r in runs]),
        ("seed", [r.seed for r in runs]),
    ]
    fields += [(PARAM + k, [r.params.get(k, "") for r in runs]) for k in _param_keys(runs)]
    fields += [
        (METRIC + k, [f"{r.metrics[k]:.6g}" if k in r.metrics else "" for r in runs])
        for k in _metric_keys(runs)
    ]
    # Compared as str() so that a param explicitly set to None still differs from a missing one.
    return [
        DiffRow(
            name, tuple("" if v is None else str(v) for v in values), len(set(map(str, values))) > 1
        )
        for name, values in fields
    ]


def _param_keys(runs: Iterable[Run]) -> list[str]:
    return list(dict.fromkeys(k for r in runs for k in r.params))


def _metric_keys(runs: Iterable[Run]) -> list[str]:
    return list(dict.fromkeys(k for r in runs for k in r.metrics))


@dataclass(frozen=True)
class Axis:
    """One param or metric across the runs, as positions a chart can place.

    `values` holds each run's number, or for a categorical axis the index of its category in
    `categories`; None where the run has no value.
    """

    key: str  # "param alpha" or "metric accuracy"
    values: tuple[float | None, ...]
    categories: tuple[str, ...] = ()  # empty for a numeric axis

    @property
    def label(self) -> str:
        return self.key.split(" ", 1)[1]

    @property
    def numeric(self) -> bool:
        return not self.categories

    @property
    def range(self) -> tuple[float, float] | None:
        """(min, max) of the values present; None when no run has one."""
        present = [v for v in self.values if v is not None]
        return (min(present), max(present)) if present else None

    @property
    def normalised(self) -> tuple[float | None, ...]:
        """Each value mapped to [0, 1]; a constant axis sits at 0.5."""
        if self.categories:
            low, high = 0, len(self.categories) - 1
        elif self.range is None:
            return self.values
        else:
            low, high = self.range
        if high == low:
            return tuple(None if v is None else 0.5 for v in self.values)
        return tuple(None if v is None else (v - low) / (high - low) for v in self.values)

    @property
    def count(self) -> int:
        """How many runs have a value on this axis."""
        return sum(v is not None for v in self.values)

    @property
    def differs(self) -> bool:
        """At least two runs have a value and not all the same: a run that lacks the param
        (another model family) is not a difference worth an axis."""
        return len({v for v in self.values if v is not None}) > 1

    def describe(self) -> str:
        """The full key and what its values are, e.g. for a tooltip on a shortened name."""
        if self.categories:
            return f"{self.key}: categories {', '.join(self.categories)}"
        span = " to ".join(dict.fromkeys(text for _, text in self.ticks()))  # a constant: once
        return f"{self.key}: numbers" + (f", {span}" if span else "")

    def ticks(self) -> list[tuple[float, str]]:
        """(normalised position, text) to label the axis: its categories, or its min and max."""
        if self.categories:
            last = len(self.categories) - 1
            return [(i / last if last else 0.5, c) for i, c in enumerate(self.categories)]
        if self.range is None:
            return []
        low, high = self.range
        if low == high:
            return [(0.5, f"{low:.4g}")]
        return [(0.0, f"{low:.4g}"), (1.0, f"{high:.4g}")]


def axis_keys(runs: Sequence[Run]) -> list[str]:
    """Every param and metric that at least one run has a value for: what can be plotted."""
    params = [
        PARAM + k for k in _param_keys(runs) if any(r.params.get(k) is not None for r in runs)
    ]
    return params + [METRIC + k for k in _metric_keys(runs)]


def metric_keys(runs: Sequence[Run]) -> list[str]:
    return [METRIC + k for k in _metric_keys(runs)]


def chart_keys(runs: Sequence[Run], only_differing: bool = True) -> list[str]:
    """The keys worth an axis or a choice: those at least two runs have (one run's value compares
    with nothing; comparing model families would otherwise bring every family's own params), by
    default only those whose values differ between those runs."""
    axes = (axis(runs, k) for k in axis_keys(runs))
    return [a.key for a in axes if a.count >= 2 and (a.differs or not only_differing)]


def most_shared(runs: Sequence[Run], keys: Sequence[str]) -> str | None:
    """The key that the most runs have a value for, the first on a tie: what a chooser starts
    on, so that e.g. colouring by a metric only one run logged does not leave the rest grey."""
    return max(keys, key=lambda k: axis(runs, k).count, default=None)


def axis(runs: Sequence[Run], key: str) -> Axis:
    """The runs' values of one axis key; text or yes/no values make it categorical."""
    if key.startswith(METRIC):
        name = key[len(METRIC) :]
        return Axis(key, tuple(r.metrics.get(name) for r in runs))
    if not key.startswith(PARAM):
        raise ValueError(f"'{key}' is neither a param nor a metric key.")
    name = key[len(PARAM) :]
    raw = [r.params.get(name) for r in runs]
    present = [v for v in raw if v is not None]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return Axis(key, tuple(raw))
    # Numbers before text, each in its natural order, so that e.g. depths 3, 10, "none" read well.
    ordered = sorted(set(present), key=_category_order)
    categories = tuple(str(v) for v in ordered)
    index = {v: i for i, v in enumerate(ordered)}
    return Axis(key, tuple(None if v is None else index[v] for v in raw), categories)


def _category_order(value: Any) -> tuple:
    if isinstance(value, bool):
        return (1, int(value), "")
    if isinstance(value, int | float):
        return (0, value, "")
    return (2, 0, str(value))


@dataclass(frozen=True)
class ParallelCoordinates:
    run_ids: tuple[int, ...]
    axes: tuple[Axis, ...]

    def line(self, run_index: int) -> list[float | None]:
        """One run's normalised position on each axis, left to right."""
        return [a.normalised[run_index] for a in self.axes]


def parallel_coordinates(runs: Sequence[Run], keys: Sequence[str]) -> ParallelCoordinates:
    return ParallelCoordinates(tuple(r.id for r in runs), tuple(axis(runs, k) for k in keys))


@dataclass(frozen=True, eq=False)
class Scatter:
    """The runs that have both values, as points; a categorical axis is placed by category index
    (`x_axis.categories` names the ticks)."""

    run_ids: tuple[int, ...]
    x: np.ndarray
    y: np.ndarray
    x_axis: Axis
    y_axis: Axis

    def x_ticks(self) -> list[tuple[int, str]]:
        return list(enumerate(self.x_axis.categories))


def scatter(runs: Sequence[Run], x_key: str, y_key: str) -> Scatter:
    x_axis, y_axis = axis(runs, x_key), axis(runs, y_key)
    kept = [
        i for i in range(len(runs)) if x_axis.values[i] is not None and y_axis.values[i] is not None
    ]
    return Scatter(
        tuple(runs[i].id for i in kept),
        np.array([x_axis.values[i] for i in kept], dtype=float),
        np.array([y_axis.values[i] for i in kept], dtype=float),
        x_axis,
        y_axis,
    )


def overlaid_histories(store: Store, run_ids: Sequence[int]) -> dict[str, dict[int, Series]]:
    """{metric key: {run id: (steps, values)}} for every key some run logged at several steps."""
    histories = Histories()
    histories.merge(Histories.read(store, [(run_id, 0, True) for run_id in run_ids]))
    return histories.overlaid()


Read = tuple[int, int, bool]  # run id, last row already held, whether the run had ended


class Histories:
    """Per-step histories of the runs being compared, read from the store only once per row:
    a live run's next refresh fetches just what it logged since, a finished run's never again.

    The GUI splits an update in three — `plan` (what to read), `read` (on a worker thread:
    long histories take a while) and `merge` (back on its own thread) — `update` does all three.
    """

    def __init__(self) -> None:
        self._points: dict[int, dict[str, Series]] = {}
        self._last_row: dict[int, int] = {}
        self._complete: set[int] = set()
        self._sorted: dict[tuple[int, str], Series] = {}

    def update(self, store: Store, runs: Sequence[Run]) -> bool:
        """Read what is new for these runs (forgetting any others); True if anything changed."""
        forgot = self.forget(runs)
        return self.merge(self.read(store, self.plan(runs))) or forgot

    def forget(self, runs: Sequence[Run]) -> bool:
        gone = self._points.keys() - {r.id for r in runs}
        for run_id in gone:
            del self._points[run_id]
            self._last_row.pop(run_id, None)
            self._complete.discard(run_id)
            self._sorted = {k: v for k, v in self._sorted.items() if k[0] != run_id}
        return bool(gone)

    def plan(self, runs: Sequence[Run]) -> list[Read]:
        # The entity was read before the rows will be, so a run it calls ended has logged all.
        return [
            (r.id, self._last_row.get(r.id, 0), r.is_terminal)
            for r in runs
            if r.id not in self._complete
        ]

    @staticmethod
    def read(store: Store, plan: list[Read]) -> list[tuple[int, int, bool, dict, int]]:
        return [
            (run_id, after, ended, *metric_arrays(store, run_id, after))
            for run_id, after, ended in plan
        ]

    def merge(self, results) -> bool:
        changed = False
        for run_id, after, ended, arrays, last in results:
            if self._last_row.get(run_id, 0) != after:
                continue  # read for an older state (a newer read is already merged)
            self._last_row[run_id] = last
            changed |= run_id not in self._points or bool(arrays)
            points = self._points.setdefault(run_id, {})
            for key, (steps, values) in arrays.items():
                if key in points:
                    steps = np.concatenate([points[key][0], steps])
                    values = np.concatenate([points[key][1], values])
                points[key] = (steps, values)
                self._sorted.pop((run_id, key), None)
            if ended:
                self._complete.add(run_id)
        return changed

    def add(self, run_id: int, rows: Iterable[tuple[str, int, float]]) -> None:
        """Rows as `metric_history` gives them (key, step, value), for tests and small reads."""
        by_key: dict[str, tuple[list[int], list[float]]] = {}
        for key, step, value in rows:
            by_key.setdefault(key, ([], []))
            by_key[key][0].append(step)
            by_key[key][1].append(value)
        arrays = {
            k: (np.asarray(a, dtype=np.int64), np.asarray(b, dtype=float))
            for k, (a, b) in by_key.items()
        }
        self.merge(
            [(run_id, self._last_row.get(run_id, 0), False, arrays, self._last_row.get(run_id, 0))]
        )

    def overlaid(self) -> dict[str, dict[int, Series]]:
        stepped = {
            key
            for points in self._points.values()
            for key, (steps, _) in points.items()
            if len(steps) > 1 and np.unique(steps).size > 1
        }
        result: dict[str, dict[int, Series]] = {}
        for key in sorted(stepped):
            for run_id, points in self._points.items():
                if key not in points:
                    continue
                cached = self._sorted.get((run_id, key))
                if cached is None:
                    steps, values = points[key]
                    # Stable, so values re-logged at one step keep their order.
                    order = np.argsort(steps, kind="stable")
                    cached = self._sorted[(run_id, key)] = (steps[order], values[order])
                result.setdefault(key, {})[run_id] = cached
        return result
