"""Models that a user's own code hands over (`run.log_model`): checked, stored safely, registered.

A bundle serves a model by preparing its input columns the way the registry's runtime does and
calling `predict`. So before anything is stored, the model must be a fitted scikit-learn
estimator (or pipeline) that predicts its own input example through that runtime, and it must
survive a round trip through skops with only the types Modelyard trusts.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import update

from modelyard.errors import InvalidInputError
from modelyard.store import Store, models
from modelyard.store.entities import ModelVersion

MAX_EXAMPLES = 20  # rows of the input example kept with the signature (README, checks)


def _frame(input_example: Any, model: Any):
    import numpy as np
    import pandas as pd

    if input_example is None:
        return None, _inputs_from_model(model)
    if isinstance(input_example, pd.DataFrame):
        frame = input_example
    elif isinstance(input_example, dict):
        frame = pd.DataFrame(input_example)
    elif isinstance(input_example, np.ndarray) and input_example.ndim == 2:
        names = getattr(model, "feature_names_in_", None)
        columns = [str(n) for n in names] if names is not None else None
        frame = pd.DataFrame(input_example, columns=columns)
        frame.columns = [str(c) if columns else f"x{c}" for c in frame.columns]
    else:
        raise InvalidInputError(
            "input_example must be a pandas DataFrame, a dict of columns or a 2-D NumPy array."
        )
    if frame.empty:
        raise InvalidInputError("input_example has no rows; pass a few rows of the data.")
    return frame, [{"name": str(c), "kind": _kind(frame[c])} for c in frame.columns]


ENCODERS = ("OneHotEncoder", "OrdinalEncoder", "TargetEncoder")


def _inputs_from_model(model: Any) -> list[dict[str, Any]]:
    """Input columns from the fitted model itself: its feature names, categorical where a
    pipeline routes them to an encoder (anything else in scikit-learn takes numbers only)."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        count = getattr(model, "n_features_in_", None)
        if count is None:
            raise InvalidInputError(
                "Pass input_example= (a few rows of the data the model was fitted on) so the "
                "registry knows the model's input columns."
            )
        return [{"name": f"x{i}", "kind": "float"} for i in range(int(count))]
    categorical = _encoded_columns(model)
    return [
        {"name": str(n), "kind": "categorical" if str(n) in categorical else "float"} for n in names
    ]


def _encoded_columns(model: Any) -> set[str]:
    first = model.steps[0][1] if hasattr(model, "steps") else model
    found: set[str] = set()
    for _name, transformer, columns in getattr(first, "transformers_", []):
        if transformer in ("drop", "passthrough") and columns == []:
            continue
        named = isinstance(columns, list | tuple) and all(isinstance(c, str) for c in columns)
        if not named:  # positions, slices, masks, selectors: which names they mean is a guess
            raise InvalidInputError(
                "The pipeline picks its columns by position or by a selector, so their kinds "
                "cannot be read from it; pass input_example= (a few rows of the training data)."
            )
        steps = transformer.steps if hasattr(transformer, "steps") else [("", transformer)]
        if any(type(step).__name__ in ENCODERS for _n, step in steps):
            found.update(columns)
    return found


def _kind(series) -> str:
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        raise InvalidInputError(
            f"Column '{series.name}' holds dates or times; a served model takes numbers and "
            "categories, so turn it into numbers (e.g. days since a date) before fitting."
        )
    return "categorical"


def _task(model: Any) -> str:
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(model):
        return "classification"
    if is_regressor(model):
        return "regression"
    raise InvalidInputError(
        f"{type(model).__name__} is neither a classifier nor a regressor; the registry keeps "
        "scikit-learn estimators and pipelines that predict."
    )


def _estimator_name(model: Any) -> str:
    last = model.steps[-1][1] if hasattr(model, "steps") else model
    return type(last).__name__


def _examples(frame) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return json.loads(frame.head(MAX_EXAMPLES).to_json(orient="records", date_format="iso"))


def prepare(
    model: Any, input_example: Any = None, target: str | None = None
) -> tuple[bytes, dict[str, Any], str]:
    """(skops bytes, signature, estimator name) for a model, or a clear reason it cannot be kept."""
    from sklearn.base import BaseEstimator
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from modelyard.registry import runtime

    if not isinstance(model, BaseEstimator):
        raise InvalidInputError(
            f"log_model keeps scikit-learn estimators and pipelines, not {type(model).__name__}."
        )
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise InvalidInputError(
            f"The {_estimator_name(model)} is not fitted yet; fit it first."
        ) from None
    task = _task(model)
    frame, inputs = _frame(input_example, model)
    signature: dict[str, Any] = {
        "inputs": inputs,
        "target": (target or "target").strip() or "target",
        "task": task,
        "estimator": f"{type(model).__module__}.{type(model).__qualname__}",
        "kind": _estimator_name(model),
        "examples": _examples(frame),
    }
    if task == "classification":
        classes = getattr(model, "classes_", None)
        if classes is None:
            raise InvalidInputError("The classifier has no classes_; fit it before logging it.")
        signature["classes"] = [c.item() if hasattr(c, "item") else c for c in classes]
    data = runtime.dumps_model(model)
    try:
        loaded = runtime.load_model(data)
    except runtime.ModelLoadError as exc:
        raise InvalidInputError(
            f"The model cannot be kept safely: {exc}. Modelyard stores models with skops and "
            "loads back only scikit-learn's own types."
        ) from exc
    if frame is not None:
        try:
            features = runtime.prepare_features(frame, inputs)
            runtime.predict(loaded, features, signature)
        except Exception as exc:  # noqa: BLE001 - whatever fails here would fail in a bundle
            raise InvalidInputError(
                "The model does not predict its input example the way a bundle would "
                f"({type(exc).__name__}: {exc}); pass input_example= with the columns it was "
                "fitted on."
            ) from exc
    return data, signature, _estimator_name(model)


def log_model(
    store: Store,
    run_id: int,
    model: Any,
    name: str,
    input_example: Any = None,
    target: str | None = None,
) -> ModelVersion:
    """Keep the model with the run and register it as the next version of `name`."""
    from modelyard.registry.service import check_model_name, register

    check_model_name(name)
    data, signature, estimator = prepare(model, input_example, target)
    blob = store.blobs.put_bytes(data)
    with store.session() as session:
        session.execute(
            update(models.Run)
            .where(models.Run.id == run_id)
            .values(
                model_blob=blob,
                signature=signature,
                model_kind=estimator,
                task=signature["task"],
                target=signature["target"],
            )
        )
    return register(store, run_id, name)
