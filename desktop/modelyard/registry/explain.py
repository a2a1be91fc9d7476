"""Explanations with SHAP: how much each input column moved each prediction.

Tree models (random forest, extra trees, histogram gradient boosting) get SHAP's exact
TreeExplainer, linear models its LinearExplainer; every other model (SVM, k-NN, the MLP) the
model-agnostic permutation explainer on a bounded sample against a small background. The
model's own preprocessing runs first, so SHAP sees what the estimator sees; the values of a
category's one-hot columns are summed back into that category's column (SHAP values add up),
so every explanation is in the user's columns. For each row, the values plus the expected
value equal the model's output that is explained (`output`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import InvalidInputError

EXPLAIN_ROWS = 200  # rows of the global summary
AGNOSTIC_ROWS = 20  # the permutation explainer costs a predict per row, step and background row
BACKGROUND_ROWS = 100  # the rows "expected" averages over (linear models)
AGNOSTIC_BACKGROUND_ROWS = 10
BEESWARM_FEATURES = 10
TIME_BUDGET_S = 1.0  # the global summary stops adding rows (in chunks) once it took this long
CHUNK_ROWS = 25
TREE_KINDS = (
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
)
LINEAR_KINDS = ("LogisticRegression", "LinearRegression", "Ridge", "RidgeClassifier")


def _groups(prepare, columns: list[str]) -> list[tuple[str, list[int]]]:
    """(input column, positions of its transformed columns) in the preprocessing's output."""
    groups: list[tuple[str, list[int]]] = []
    position = 0
    for _name, step, cols in prepare.transformers_:
        if step == "drop" or not len(cols):
            continue
        last = step[-1] if hasattr(step, "steps") else step
        sizes = getattr(last, "_n_features_outs", None)  # a one-hot encoder's per column
        kept = list(cols)
        first = step[0] if hasattr(step, "steps") else step
        if hasattr(first, "statistics_") and sizes is None:  # an imputer drops empty columns
            kept = list(first.get_feature_names_out(cols))
        for i, col in enumerate(kept):
            width = int(sizes[i]) if sizes is not None else 1
            groups.append((str(col), list(range(position, position + width))))
            position += width
    return groups


def _explainer(estimator, background, task: str, positive: int | None):
    """(explain(rows) → values [rows, features], expected value, method, what is explained)."""
    import shap

    kind = type(estimator).__name__
    if kind in TREE_KINDS:
        explainer = shap.TreeExplainer(estimator)
        margin = kind.startswith("HistGradientBoosting") and task == "classification"
        what = "log-odds" if margin else "probability" if task == "classification" else "value"
        method = "TreeExplainer (exact)"
    elif kind in LINEAR_KINDS:
        background = background[:BACKGROUND_ROWS]
        explainer = shap.LinearExplainer(estimator, background)
        what = "log-odds" if task == "classification" else "value"
        method = f"LinearExplainer (background {len(background)} rows)"
    else:
        background = background[:AGNOSTIC_BACKGROUND_ROWS]
        if task == "classification" and hasattr(estimator, "predict_proba"):

            def predict(rows):
                return estimator.predict_proba(rows)

            what = "probability"
        else:

            def predict(rows):
                return np.asarray(estimator.predict(rows), dtype=float)

            what = "value"
        explainer = shap.PermutationExplainer(predict, shap.maskers.Independent(background))
        method = f"permutation explainer (model-agnostic, background {len(background)} rows)"

    def explain(rows):
        if isinstance(explainer, shap.PermutationExplainer):
            out = explainer(rows, max_evals=2 * rows.shape[1] + 1, silent=True)
            values, base = out.values, np.asarray(out.base_values)
        else:
            values = explainer.shap_values(rows)
            base = np.asarray(explainer.expected_value)
            if isinstance(values, list):
                values = np.stack(values, axis=-1)
        values = np.asarray(values, dtype=float)
        if values.ndim == 3:  # one set per class: explain the positive (or first) class
            pick = positive if positive is not None else 0
            values = values[:, :, min(pick, values.shape[2] - 1)]
            base = (
                base.reshape(-1, base.shape[-1])[:, min(pick, base.shape[-1] - 1)]
                if base.ndim
                else base
            )
        return values, np.broadcast_to(np.asarray(base, dtype=float).reshape(-1), (len(values),))

    return explain, method, what


def explain_rows(
    model, x: pd.DataFrame, task: str, classes: list[Any], background: pd.DataFrame | None = None
) -> dict[str, Any]:
    """SHAP values of `x` (prepared features) per input column, with what is needed to read
    them: expected value per row, the model output explained, method, rows and seconds.
    `background` (prepared rows; default `x`) is what a non-tree explainer averages over."""
    if not hasattr(model, "steps"):
        raise InvalidInputError("Only Modelyard's own pipelines can be explained.")
    started = time.perf_counter()
    prepare, estimator = model[:-1], model[-1]
    transformed = np.asarray(prepare.transform(x), dtype=float)
    reference = transformed
    if background is not None:
        shuffled = background.sample(min(len(background), BACKGROUND_ROWS), random_state=0)
        reference = np.asarray(prepare.transform(shuffled), dtype=float)
    positive = 1 if task == "classification" and len(classes) == 2 else None
    explain, method, what = _explainer(estimator, reference, task, positive)
    values, base = explain(transformed)
    groups = _groups(prepare[-1] if hasattr(prepare, "steps") else prepare, list(x.columns))
    if sum(len(p) for _, p in groups) != values.shape[1]:  # unknown layout: no grouping
        groups = [(f"feature {i}", [i]) for i in range(values.shape[1])]
    per_column = np.column_stack([values[:, positions].sum(axis=1) for _, positions in groups])
    explained = what
    if task == "classification":
        label = classes[positive] if positive is not None else classes[0]
        explained = f"{what} of class {label}"
    return {
        "method": method,
        "output": explained,
        "columns": [name for name, _ in groups],
        "values": per_column,
        "expected": base,
        "rows": len(x),
        "seconds": time.perf_counter() - started,
    }


def global_summary(model, x: pd.DataFrame, task: str, classes: list[Any]) -> dict[str, Any]:
    """Mean |SHAP| per column on a bounded sample, and the points of a beeswarm plot (each
    row's SHAP value and its column value scaled 0–1) for the top columns."""
    kind = type(model[-1]).__name__ if hasattr(model, "steps") else ""
    limit = EXPLAIN_ROWS if kind in TREE_KINDS + LINEAR_KINDS else AGNOSTIC_ROWS
    sample = x.sample(limit, random_state=0) if len(x) > limit else x
    started = time.perf_counter()
    parts = []
    warmed = None  # the first chunk also pays SHAP's one-off set-up: the budget starts after it
    for start in range(0, len(sample), CHUNK_ROWS):  # big forests: fewer rows, in budget
        parts.append(explain_rows(model, sample.iloc[start : start + CHUNK_ROWS], task, classes, x))
        warmed = warmed or time.perf_counter()
        if time.perf_counter() - warmed >= TIME_BUDGET_S:
            break
    found = {
        **parts[0],
        "values": np.vstack([p["values"] for p in parts]),
        "expected": np.concatenate([p["expected"] for p in parts]),
        "rows": sum(p["rows"] for p in parts),
        "seconds": time.perf_counter() - started,
    }
    sample = sample.iloc[: found["rows"]]
    values = found["values"]
    strength = np.abs(values).mean(axis=0)
    order = np.argsort(-strength, kind="stable")
    swarm = []
    for i in order[:BEESWARM_FEATURES]:
        name = found["columns"][i]
        raw = sample[name] if name in sample.columns else pd.Series([np.nan] * len(sample))
        numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
        if numbers.notna().any() and numbers.max() > numbers.min():
            scaled = ((numbers - numbers.min()) / (numbers.max() - numbers.min())).fillna(0.5)
        else:  # a category: its codes, spread over 0–1
            codes = raw.astype("category").cat.codes.astype(float)
            scaled = codes / codes.max() if codes.max() > 0 else codes * 0 + 0.5
        swarm.append(
            {"column": name, "shap": [float(v) for v in values[:, i]],
             "value": [float(v) for v in scaled]}
        )  # fmt: skip
    return {
        "method": found["method"],
        "output": found["output"],
        "rows": found["rows"],
        "of_rows": len(x),
        "seconds": found["seconds"],
        "expected": float(np.mean(found["expected"])),
        "mean_abs": [(found["columns"][i], float(strength[i])) for i in order],
        "beeswarm": swarm,
    }


def explain_one(
    model, row: pd.DataFrame, task: str, classes: list[Any], background: pd.DataFrame
) -> dict[str, Any]:
    """One prediction: each column's value and SHAP contribution, largest first (`background`:
    the evaluated rows, for the explainers that average over rows)."""
    found = explain_rows(model, row.iloc[:1], task, classes, background=background)
    values = found["values"][0]
    order = np.argsort(-np.abs(values), kind="stable")
    contributions = []
    for i in order:
        name = found["columns"][i]
        value = row.iloc[0][name] if name in row.columns else None
        contributions.append(
            (name, value.item() if hasattr(value, "item") else value, float(values[i]))
        )
    expected = float(found["expected"][0])
    return {
        "method": found["method"],
        "output": found["output"],
        "expected": expected,
        "explained": expected + float(values.sum()),
        "contributions": contributions,
        "seconds": found["seconds"],
    }


def explanation_text(single: dict[str, Any], top: int = 10) -> str:
    lines = [
        f"{single['output']}: {single['explained']:.4g} = expected {single['expected']:.4g} "
        f"+ the contributions below ({single['method']}, {single['seconds']:.2f} s)"
    ]
    for name, value, contribution in single["contributions"][:top]:
        lines.append(f"  {contribution:+.4g}  {name} = {value}")
    rest = single["contributions"][top:]
    if rest:
        lines.append(f"  {sum(c for _, _, c in rest):+.4g}  {len(rest)} other columns")
    return "\n".join(lines)
