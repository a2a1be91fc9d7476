"""The model runtime: preparing features, loading a model safely, predicting.

This module is deliberately self-contained (numpy, pandas, scikit-learn and skops only; no Modelyard imports):
the worker trains through it, the registry predicts through it, and every deployment bundle
carries a verbatim copy of it, so a bundle computes exactly what the registry computes.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

NUMERIC_KINDS = ("integer", "float")
CATEGORICAL_KINDS = ("categorical", "boolean")
DATETIME_KIND = "datetime"
# what a date or datetime column becomes: calendar parts a model can split on, and the time
# elapsed since the earliest training value (the hour only where the column has times of day)
DATE_PARTS = ("year", "month", "dayofweek", "dayofyear", "hour", "elapsed_days")
# skops trusts plain scikit-learn estimators by itself and lists everything else. Of that list,
# only the exact types Modelyard's trainers produce are accepted: never a function (a crafted
# FunctionTransformer of numpy functions can run shell commands) and never a whole namespace.
TRUSTED_TYPES = frozenset(
    {
        "numpy.dtype",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.neighbors._kd_tree.KDTree",  # k-nearest neighbours' search trees
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "modelyard_runtime.NumpyMLP",  # the PyTorch MLP's trained network (below)
    }
)
BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


class ModelLoadError(Exception):
    """The file is not a model this runtime is willing to load."""


class InputError(ValueError):
    """Rows given for prediction do not match the model's signature."""


def date_input(name: str, values: pd.Series) -> dict[str, Any]:
    """The signature entry of a date/datetime column, fixed from its training values: which
    parts it expands into and the origin its elapsed time counts from."""
    stamps = _timestamps(name, values)
    known = stamps.dropna()
    has_time = bool((known != known.dt.normalize()).any())
    origin = known.min() if len(known) else pd.Timestamp("1970-01-01")
    return {
        "name": name,
        "kind": DATETIME_KIND,
        "parts": [p for p in DATE_PARTS if p != "hour" or has_time],
        "origin": origin.isoformat(),
    }


def model_columns(inputs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(column, kind) of what the model itself sees: a date column as its expanded parts."""
    out = []
    for column in inputs:
        if column["kind"] == DATETIME_KIND:
            out += [(f"{column['name']}.{part}", "float") for part in column["parts"]]
        else:
            out.append((column["name"], column["kind"]))
    return out


def _timestamps(name: str, values: pd.Series) -> pd.Series:
    """Values as naive UTC timestamps (NaT where missing); anything else is refused."""
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values
        if getattr(values.dt, "tz", None) is not None:
            stamps = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return stamps.astype("datetime64[ns]")
    if values.map(
        lambda v: isinstance(v, bool | list | dict | float | int) and not _missing(v)
    ).any():
        raise InputError(
            f"column '{name}' must be a date or time, like 2024-05-31 or 2024-05-31T14:00"
        )
    try:
        stamps = pd.to_datetime(values, errors="raise", utc=True, format="mixed")
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"column '{name}' must be a date or time, like 2024-05-31 or 2024-05-31T14:00"
        ) from exc
    return stamps.dt.tz_localize(None).astype("datetime64[ns]")


def _date_parts(column: dict[str, Any], values: pd.Series) -> dict[str, pd.Series]:
    stamps = _timestamps(column["name"], values)
    origin = pd.Timestamp(column["origin"])
    dates = stamps.dt
    computed = {
        "year": dates.year,
        "month": dates.month,
        "dayofweek": dates.day_of_week,
        "dayofyear": dates.day_of_year,
        "hour": dates.hour + dates.minute / 60.0,
        "elapsed_days": (stamps - origin).dt.total_seconds() / 86400.0,
    }
    return {
        f"{column['name']}.{part}": computed[part].astype("float64") for part in column["parts"]
    }


def prepare_features(frame: pd.DataFrame, inputs: list[dict[str, Any]]) -> pd.DataFrame:
    """The model's input columns, in signature order, with the dtypes it was trained on; a date
    column becomes its parts (see `model_columns`), computed the same way everywhere."""
    missing = [c["name"] for c in inputs if c["name"] not in frame.columns]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}")
    out = {}
    for column in inputs:
        name, kind = column["name"], column["kind"]
        values = frame[name]
        if kind == DATETIME_KIND:
            out.update(_date_parts(column, values))
        elif kind in NUMERIC_KINDS:
            out[name] = _numeric(name, values)
        elif kind == "boolean":
            out[name] = values.map(lambda v, n=name: _boolean(n, v)).astype(object)
        else:
            series = values.map(lambda v, n=name: _category(n, v)).astype(object)
            out[name] = series.where(series.notna(), np.nan)
    return pd.DataFrame(out, index=frame.index)


def _numeric(name: str, values: pd.Series) -> pd.Series:
    if values.dtype.kind in "iuf":  # already numbers: nothing to check value by value
        numbers = values.astype("float64")
        if np.isinf(numbers.to_numpy()).any():
            raise InputError(f"column '{name}' must be a finite number")
        return numbers
    if values.map(lambda v: isinstance(v, bool | list | dict)).any():
        raise InputError(f"column '{name}' must be numeric")
    try:
        numbers = pd.to_numeric(values, errors="raise").astype("float64")
    except (ValueError, TypeError) as exc:
        raise InputError(f"column '{name}' must be numeric") from exc
    if np.isinf(numbers).any():
        raise InputError(f"column '{name}' must be a finite number")
    return numbers


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _boolean(name: str, value: Any) -> Any:
    if _missing(value) or isinstance(value, bool | np.bool_):
        return np.nan if _missing(value) else bool(value)
    word = str(value).strip().lower()
    if isinstance(value, str | int | float | np.integer | np.floating) and word in BOOLEAN_WORDS:
        return BOOLEAN_WORDS[word]
    raise InputError(f"column '{name}' must be true or false, not {value!r}")


def _category(name: str, value: Any) -> Any:
    if isinstance(value, list | dict | tuple | set):
        raise InputError(f"column '{name}' must be a single value, not {type(value).__name__}")
    return value


def records_to_frame(records: list[dict[str, Any]], inputs: list[dict[str, Any]]) -> pd.DataFrame:
    return columns_frame(records_to_columns(records, inputs))


_PLAIN_NUMBERS = frozenset({int, float, type(None)})
_PLAIN_BOOLEANS = frozenset({bool, type(None)})
_PLAIN_CATEGORIES = frozenset({str, int, float, bool, type(None)})


def _numeric_column(name: str, values: list[Any]) -> np.ndarray:
    """float64 values, missing as NaN: what `_numeric` makes of a Series, without pandas."""
    try:
        if {type(v) for v in values} <= _PLAIN_NUMBERS:  # the common case: one C call
            numbers = np.array(values, dtype=np.float64)
        else:
            return _numeric(name, pd.Series(values, dtype=object)).to_numpy()
    except OverflowError as exc:  # a 400-digit integer
        raise InputError(f"column '{name}' must be a finite number") from exc
    if np.isinf(numbers).any():
        raise InputError(f"column '{name}' must be a finite number")
    return numbers


def _object_column(values: list[Any]) -> np.ndarray:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def records_to_columns(
    records: list[dict[str, Any]], inputs: list[dict[str, Any]]
) -> dict[str, np.ndarray]:
    """The model's input columns from JSON records, checked and typed as `prepare_features`
    types them, straight from Python lists: a served single row costs microseconds, not the
    milliseconds of a DataFrame round-trip. A column absent from every record is an error; a
    key absent from some records is a missing value there."""
    if not isinstance(records, list) or not records:
        raise InputError("'records' must be a non-empty list of objects")
    if not all(isinstance(r, dict) for r in records):
        raise InputError("every record must be an object mapping column names to values")
    missing = [c["name"] for c in inputs if not any(c["name"] in r for r in records)]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}")
    columns: dict[str, np.ndarray] = {}
    for column in inputs:
        name, kind = column["name"], column["kind"]
        values = [r.get(name) for r in records]
        if kind in NUMERIC_KINDS:
            columns[name] = _numeric_column(name, values)
            continue
        if kind == DATETIME_KIND:  # its parts, exactly as prepare_features computes them
            parts = _date_parts(column, pd.Series(values, dtype=object))
            columns.update({part: series.to_numpy() for part, series in parts.items()})
            continue
        types = {type(v) for v in values}
        if kind == "boolean":
            if types <= _PLAIN_BOOLEANS:
                plain = [np.nan if v is None else v for v in values]
            else:
                plain = [_boolean(name, v) for v in values]
        elif types <= _PLAIN_CATEGORIES:  # None → NaN; a float NaN is already missing
            plain = [np.nan if v is None else v for v in values]
        else:
            plain = [np.nan if _missing(v) else _category(name, v) for v in values]
        columns[name] = _object_column(plain)
    return columns


def columns_frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A DataFrame over checked columns; object columns stay object (pandas 3 would make text
    columns `str`, which the trained encoders were not fitted on)."""
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object, copy=False) if values.dtype == object else values
            for name, values in columns.items()
        },
        copy=False,
    )


class NumpyMLP(BaseEstimator):
    """A trained PyTorch MLP for inference without PyTorch: its weights run as a NumPy forward
    pass (Linear → ReLU → … → Linear), with softmax over `classes_` for classification and the
    target's standardisation undone for regression.

    Stored state is exactly "PyTorch weights with safetensors plus an architecture spec in
    JSON": the skops file holds the safetensors bytes of the weights (named as in
    `torch.nn.Sequential`: `0.weight`, `0.bias`, `2.weight`, …) and a JSON text of the rest, so
    loading it runs no code from the file.
    """

    def __init__(self, weights, biases, task, classes=None, y_mean=0.0, y_std=1.0) -> None:
        self.weights = [np.asarray(w, dtype=np.float32) for w in weights]
        self.biases = [np.asarray(b, dtype=np.float32) for b in biases]
        self.task = task
        self.classes = None if classes is None else list(classes)
        if classes is not None:
            self.classes_ = np.asarray(classes)
        self.y_mean, self.y_std = float(y_mean), float(y_std)

    @property
    def architecture(self) -> dict[str, Any]:
        sizes = [int(self.weights[0].shape[1])] + [int(w.shape[0]) for w in self.weights]
        return {
            "format": "modelyard-mlp/1",
            "layers": sizes,
            "activation": "relu",
            "task": self.task,
            "classes": [plain_value(c) for c in getattr(self, "classes_", [])],
            "y_mean": self.y_mean,
            "y_std": self.y_std,
            "torch": "nn.Sequential(Linear, ReLU, …, Linear); state_dict keys as in weights",
        }

    def tensors(self) -> dict[str, np.ndarray]:
        named = {}
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            named[f"{2 * i}.weight"], named[f"{2 * i}.bias"] = w, b
        return named

    def __getstate__(self) -> dict[str, Any]:
        from safetensors.numpy import save

        return {"safetensors": save(self.tensors()), "architecture": json.dumps(self.architecture)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        from safetensors.numpy import load

        spec = json.loads(state["architecture"])
        if spec.get("format") != "modelyard-mlp/1":
            raise ModelLoadError("the MLP's architecture spec is not one Modelyard wrote")
        tensors = load(state["safetensors"])
        count = len(spec["layers"]) - 1
        weights = [tensors[f"{2 * i}.weight"] for i in range(count)]
        biases = [tensors[f"{2 * i}.bias"] for i in range(count)]
        self.__init__(
            weights, biases, spec["task"], spec["classes"] or None, spec["y_mean"], spec["y_std"]
        )

    # what scikit-learn's Pipeline asks of its last step
    def fit(self, x, y=None):
        raise NotImplementedError("a NumpyMLP is trained by Modelyard's PyTorch MLP trainer")

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def _forward(self, x) -> np.ndarray:
        h = np.asarray(x, dtype=np.float32)
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w.T + b
            if i < len(self.weights) - 1:
                h = np.maximum(h, 0.0)
        return h

    def predict_proba(self, x) -> np.ndarray:
        if self.task != "classification":
            raise AttributeError("a regression MLP has no class probabilities")
        logits = self._forward(x).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x) -> np.ndarray:
        if self.task == "classification":
            return self.classes_[np.argmax(self._forward(x), axis=1)]
        return self._forward(x)[:, 0].astype(np.float64) * self.y_std + self.y_mean


NumpyMLP.__module__ = "modelyard_runtime"  # one type name in the app and in every bundle
sys.modules.setdefault("modelyard_runtime", sys.modules[__name__])


def dumps_model(model: Any) -> bytes:
    import skops.io

    return skops.io.dumps(model)


def load_model(data: bytes) -> Any:
    """Load a skops model, trusting only scikit-learn, NumPy and SciPy types."""
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(data=data)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a skops file"
        raise ModelLoadError(
            "the model file is not in the safe skops format (pickle files are refused)"
        ) from exc
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise ModelLoadError(f"the model file contains untrusted types: {', '.join(refused)}")
    sys.modules.setdefault("modelyard_runtime", sys.modules[__name__])  # NumpyMLP's home
    try:
        return skops.io.loads(data, trusted=untrusted)
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"the model file could not be loaded ({exc})") from exc


def plain_value(value: Any) -> Any:
    """A NumPy scalar as a Python one; NaN and Infinity as None (JSON has neither)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _plain_list(values: Any) -> list[Any]:
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return values.tolist()
    if values.dtype.kind == "f":
        plain = values.tolist()
        if not np.isfinite(values).all():
            plain = [v if math.isfinite(v) else None for v in plain]
        return plain
    if values.dtype.kind in "US":
        return values.tolist()
    return [v if type(v) is str else plain_value(v) for v in values.tolist()]


def predict(model: Any, features: Any, signature: dict[str, Any]) -> dict[str, Any]:
    """Predictions (and class probabilities for classifiers) as JSON-ready lists.

    `features` is a prepared DataFrame, or for an `OnnxModel` also the columns of
    `records_to_columns`; an ONNX graph runs once for both outputs."""
    wants_proba = signature.get("task") == "classification" and hasattr(model, "predict_proba")
    if wants_proba and hasattr(model, "predict_with_proba"):
        labels, proba = model.predict_with_proba(features)
    else:
        labels = model.predict(features)
        proba = model.predict_proba(features) if wants_proba else None
    result: dict[str, Any] = {"predictions": _plain_list(labels)}
    if proba is not None:
        keys = [str(plain_value(c)) for c in model.classes_]
        rows = np.round(np.asarray(proba, dtype=np.float64), 6).tolist()
        if len(keys) == 2:  # the common binary case, without a zip per row
            k0, k1 = keys
            result["probabilities"] = [{k0: a, k1: b} for a, b in rows]
        else:
            result["probabilities"] = [dict(zip(keys, row, strict=True)) for row in rows]
    return result


# ---- ONNX ------------------------------------------------------------------------------------
INPUT_NAMES_KEY = "modelyard_input_names"  # graph metadata: JSON {column: ONNX input name}


def onnx_input_names(inputs: list[dict[str, Any]]) -> dict[str, str]:
    """A safe, unique ONNX input name for each column: letters, digits and _ only, never
    starting with a digit ("mean radius" → "mean_radius", "2nd" → "c_2nd")."""
    import re

    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in inputs:
        base = re.sub(r"[^0-9A-Za-z_]", "_", column["name"]) or "c"
        if not (base[0].isalpha() or base[0] == "_"):
            base = f"c_{base}"
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        names[column["name"]] = name
    return names


def onnx_feed(
    features: Any,
    inputs: list[dict[str, Any]],
    number_type: Any = np.float32,
    names: dict[str, str] | None = None,
) -> dict[str, np.ndarray]:
    """One [n, 1] tensor per input column, keyed by its ONNX input name (`names`, column →
    input; the column's own name where absent): numbers as `number_type`, categories as
    strings. A missing category becomes "" (the graph imputes "" the way the model imputes NaN).
    """
    names = names or {}
    feed = {}
    for column in inputs:
        values = features[column["name"]]
        key = names.get(column["name"], column["name"])
        if column["kind"] in NUMERIC_KINDS:
            feed[key] = np.asarray(values, dtype=number_type).reshape(-1, 1)
        else:
            text = ["" if v is None or v != v else str(v) for v in values]
            feed[key] = np.array(text, dtype=object).reshape(-1, 1)
    return feed


class OnnxModel:
    """An ONNX graph behind the same predict/predict_proba/classes_ as the scikit-learn model."""

    def __init__(self, data: bytes, signature: dict[str, Any]) -> None:
        import onnxruntime

        self.session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
        self.inputs = signature["inputs"]
        types = {i.type for i in self.session.get_inputs()}
        self.number_type = np.float64 if "tensor(double)" in types else np.float32
        meta = self.session.get_modelmeta().custom_metadata_map
        # graphs exported before the mapping existed use the column names themselves
        self.names = json.loads(meta[INPUT_NAMES_KEY]) if INPUT_NAMES_KEY in meta else {}
        if signature.get("task") == "classification":
            self.classes_ = np.array(signature.get("classes", []), dtype=object)
            if meta.get("modelyard_probabilities") == "true":  # only if the native model has them
                self.predict_proba = self._predict_proba

    def _run(self, features: Any) -> list[Any]:
        feed = onnx_feed(features, self.inputs, self.number_type, self.names)
        return self.session.run(None, feed)

    def predict(self, features: Any) -> np.ndarray:
        out = np.asarray(self._run(features)[0])
        return out.ravel()

    def _predict_proba(self, features: Any) -> np.ndarray:
        return np.asarray(self._run(features)[1])

    def predict_with_proba(self, features: Any) -> tuple[np.ndarray, np.ndarray]:
        """Both outputs of one run of the graph."""
        labels, proba = self._run(features)[:2]
        return np.asarray(labels).ravel(), np.asarray(proba)
