"""Data drift of a model's input columns: current rows against the rows it was trained on.

Each input column gets the test its kind and the reference's size call for (see
`stattests`), its missing-value shares and a histogram (or bars) of both samples for the
chart. Columns are tested in parallel threads: the sorts and counts release the GIL.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import InvalidInputError
from modelyard.monitoring import stattests
from modelyard.progress import NO_PROGRESS, Progress
from modelyard.registry.runtime import BOOLEAN_WORDS, NUMERIC_KINDS

DRIFT_SHARE = 0.5  # the dataset drifts when at least this share of its columns do
HISTOGRAM_BINS = 20
TOP_CATEGORIES = 10
OTHER = "(other)"


@dataclass
class ColumnDrift:
    column: str
    kind: str  # numeric or categorical
    test: str  # a stattests name, or "all missing" / "retyped"
    statistic: float | None
    threshold: float | None
    drifted: bool
    missing_reference: float
    missing_current: float
    histogram: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


@dataclass
class DriftReport:
    columns: list[ColumnDrift]
    missing_columns: list[str]
    new_columns: list[str]
    retyped_columns: list[dict[str, str]]
    n_reference: int
    n_current: int
    method: str
    drift_share_threshold: float

    @property
    def drifted(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.drifted]

    @property
    def drift_share(self) -> float:
        return len(self.drifted) / len(self.columns) if self.columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        return bool(self.columns) and self.drift_share >= self.drift_share_threshold

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "drift_share_threshold": self.drift_share_threshold,
            "n_drifted": len(self.drifted),
            "n_columns": len(self.columns),
            "method": self.method,
            "reference_rows": self.n_reference,
            "current_rows": self.n_current,
            "columns": [asdict(c) for c in self.columns],
            "missing_columns": self.missing_columns,
            "new_columns": self.new_columns,
            "retyped_columns": self.retyped_columns,
        }


def column_kinds(inputs: list[dict[str, Any]]) -> dict[str, str]:
    return {c["name"]: "numeric" if c["kind"] in NUMERIC_KINDS else c["kind"] for c in inputs}


def compare_frames(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    inputs: list[dict[str, Any]],
    method: str = "auto",
    thresholds: dict[str, float] | None = None,
    drift_share: float = DRIFT_SHARE,
    ignore: tuple[str, ...] = (),
    progress: Progress = NO_PROGRESS,
) -> DriftReport:
    """Test every input column of `current` against `reference`.

    `inputs` is the model signature's list of {name, kind}; `thresholds` maps a test name to
    its threshold; `ignore` names columns that are neither inputs nor new (the target).
    """
    if method not in stattests.METHODS:
        raise InvalidInputError(
            f"The drift method must be one of {', '.join(stattests.METHODS)}, not '{method}'."
        )
    if len(current) == 0:
        raise InvalidInputError("The current data has no rows; there is nothing to check.")
    kinds = column_kinds(inputs)
    present = [name for name in kinds if name in current.columns]
    if not present:
        raise InvalidInputError(
            "The current data has none of the model's input columns "
            f"({', '.join(list(kinds)[:8])}{', …' if len(kinds) > 8 else ''}); "
            "is it data for this model?"
        )
    missing = [name for name in kinds if name not in current.columns]
    known = set(kinds) | set(reference.columns) | set(ignore)
    new = [str(c) for c in current.columns if c not in known]
    thresholds = thresholds or {}
    done = 0

    def one(name: str) -> ColumnDrift:
        return _column(name, kinds[name], reference[name], current[name], method, thresholds)

    results: list[ColumnDrift] = []
    with ThreadPoolExecutor(min(len(present), os.cpu_count() or 1)) as pool:
        for result in pool.map(one, present):
            results.append(result)
            done += 1
            progress.report(done / len(present), f"Tested {done} of {len(present)} columns")
    retyped = [
        {"column": c.column, "expected": c.kind, "found": c.note or ""}
        for c in results
        if c.test == "retyped"
    ]
    return DriftReport(
        results, missing, new, retyped, len(reference), len(current), method, drift_share
    )


def _column(
    name: str,
    kind: str,
    reference: pd.Series,
    current: pd.Series,
    method: str,
    thresholds: dict[str, float],
) -> ColumnDrift:
    missing_ref = float(reference.isna().mean()) if len(reference) else 0.0
    missing_cur = float(current.isna().mean())
    base = {"column": name, "missing_reference": missing_ref, "missing_current": missing_cur}
    if kind == "datetime":  # dates drift as the days they stand for (the model's elapsed time)
        reference, current, kind = _as_days(reference), _as_days(current), "numeric"
    kind_group = "numeric" if kind == "numeric" else "categorical"
    converted, problem = _as_numbers(current) if kind == "numeric" else _as_labels(current, kind)
    if problem:
        return ColumnDrift(
            **base, kind=kind_group, test="retyped", statistic=None, threshold=None,
            drifted=True, note=problem,
        )  # fmt: skip
    ref_values = _as_numbers(reference)[0] if kind == "numeric" else _as_labels(reference, kind)[0]
    if ref_values.notna().sum() == 0:
        return ColumnDrift(
            **base, kind=kind_group, test="not tested", statistic=None, threshold=None,
            drifted=False, note="the reference has no values in this column",
        )  # fmt: skip
    if converted.notna().sum() == 0:
        return ColumnDrift(
            **base, kind=kind_group, test="all missing", statistic=None, threshold=None,
            drifted=True, note="every value is missing in the current data",
        )  # fmt: skip
    if kind == "numeric":
        return _numeric(base, ref_values, converted, method, thresholds)
    return _categorical(base, ref_values, converted, method, thresholds)


def _as_days(values: pd.Series) -> pd.Series:
    """Dates and times as days since 1970 (text that is no date stays as it was: retyped)."""
    stamps = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if (stamps.isna() & values.notna()).any():
        return values
    return (stamps - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds() / 86400.0


def _as_numbers(values: pd.Series) -> tuple[pd.Series, str | None]:
    if values.dtype.kind in "biuf":
        return values.astype("float64"), None
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        example = values[bad].iloc[0]
        return numbers, f"text (e.g. {str(example)[:40]!r}) where numbers were expected"
    return numbers.astype("float64"), None


def _as_labels(values: pd.Series, kind: str) -> tuple[pd.Series, str | None]:
    """Category labels as text, so that 1 and "1" or True and "yes" are the same label."""
    if kind == "boolean" and values.dtype.kind != "b":
        words = values.astype("string").str.strip().str.lower()
        mapped = words.map(BOOLEAN_WORDS)
        bad = mapped.isna() & values.notna()
        if bad.any():
            example = values[bad].iloc[0]
            return mapped, f"{str(example)[:40]!r} where true/false was expected"
        values = mapped
    text = values.astype("string")
    return text.where(values.notna()), None


def _numeric(base, reference: pd.Series, current: pd.Series, method, thresholds) -> ColumnDrift:
    ref = np.sort(reference.to_numpy(dtype=np.float64, na_value=np.nan))
    cur = np.sort(current.to_numpy(dtype=np.float64, na_value=np.nan))
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]  # NaN sorts last: a cheap trim
    n_values = _few_distinct(ref, cur)
    test = stattests.choose_test("numeric", ref.size, n_values, method)
    if test in ("chisquare", "z", "jensenshannon"):  # few distinct numbers: categories
        return _categorical(
            base, pd.Series(ref).astype("string"), pd.Series(cur).astype("string"), method,
            thresholds, kind="numeric", forced=test,
        )  # fmt: skip
    result = stattests.run_test(test, ref, cur, threshold=thresholds.get(test), sorted_inputs=True)
    return ColumnDrift(
        **base, kind="numeric", test=test, statistic=result.statistic,
        threshold=result.threshold, drifted=result.drifted, histogram=_histogram(ref, cur),
    )  # fmt: skip


def _few_distinct(ref: np.ndarray, cur: np.ndarray) -> int:
    """The number of distinct values of both samples, counted only up to FEW_VALUES + 1."""
    seen: set[float] = set()
    for values in (ref, cur):
        if values.size == 0:
            continue
        changes = np.flatnonzero(np.diff(values)) if values.size > 1 else np.array([], int)
        if changes.size > stattests.FEW_VALUES:
            return stattests.FEW_VALUES + 1
        seen.update(values[np.concatenate([[0], changes + 1])].tolist())
        if len(seen) > stattests.FEW_VALUES:
            return len(seen)
    return len(seen)


def _histogram(ref: np.ndarray, cur: np.ndarray) -> dict[str, Any]:
    """Shares of both sorted samples in bins over the bulk of both (0.5th to 99.5th
    percentile, so that one outlier does not squeeze the rest into a single bar)."""
    both_low = min(ref[int(0.005 * (ref.size - 1))], cur[int(0.005 * (cur.size - 1))])
    both_high = max(ref[int(0.995 * (ref.size - 1))], cur[int(0.995 * (cur.size - 1))])
    if both_high <= both_low:
        both_low, both_high = both_low - 0.5, both_high + 0.5
    edges = np.linspace(both_low, both_high, HISTOGRAM_BINS + 1)
    inner = edges.copy()
    inner[0], inner[-1] = -np.inf, np.inf  # the outer bins take what lies beyond
    shares = [
        (np.diff(np.searchsorted(s, inner, side="left")) / s.size).round(6).tolist()
        for s in (ref, cur)
    ]
    return {"edges": [float(e) for e in edges], "reference": shares[0], "current": shares[1]}


def _categorical(
    base,
    reference: pd.Series,
    current: pd.Series,
    method,
    thresholds,
    kind: str = "categorical",
    forced: str | None = None,
) -> ColumnDrift:
    reference, current = reference.dropna(), current.dropna()
    codes, labels = pd.factorize(pd.concat([reference, current], ignore_index=True))
    ref_codes, cur_codes = codes[: len(reference)], codes[len(reference) :]
    test = forced or stattests.choose_test("categorical", len(reference), len(labels), method)
    result = stattests.run_test(
        test, ref_codes, cur_codes, n_categories=len(labels), threshold=thresholds.get(test)
    )
    ref_counts = np.bincount(ref_codes, minlength=len(labels))
    cur_counts = np.bincount(cur_codes, minlength=len(labels))
    unseen = [str(labels[i]) for i in np.flatnonzero((ref_counts == 0) & (cur_counts > 0))]
    note = None
    if unseen:
        shown = ", ".join(repr(u) for u in unseen[:5])
        note = f"{len(unseen)} categor{'y' if len(unseen) == 1 else 'ies'} never seen in the reference: {shown}{' …' if len(unseen) > 5 else ''}"
    return ColumnDrift(
        **base, kind=kind, test=test, statistic=result.statistic, threshold=result.threshold,
        drifted=result.drifted, histogram=_bars(labels, ref_counts, cur_counts), note=note,
    )  # fmt: skip


def _bars(labels, ref_counts: np.ndarray, cur_counts: np.ndarray) -> dict[str, Any]:
    ref_share = ref_counts / max(ref_counts.sum(), 1)
    cur_share = cur_counts / max(cur_counts.sum(), 1)
    order = np.argsort(-(ref_share + cur_share), kind="stable")
    top, rest = order[:TOP_CATEGORIES], order[TOP_CATEGORIES:]
    names = [str(labels[i]) for i in top]
    ref_bars, cur_bars = ref_share[top].tolist(), cur_share[top].tolist()
    if rest.size:
        names.append(OTHER)
        ref_bars.append(float(ref_share[rest].sum()))
        cur_bars.append(float(cur_share[rest].sum()))
    return {
        "categories": names,
        "reference": [round(v, 6) for v in ref_bars],
        "current": [round(v, 6) for v in cur_bars],
    }
