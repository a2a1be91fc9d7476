"""ONNX export where skl2onnx supports the model, checked against the native predictions.

ONNX is optional (`pip install modelyard[onnx]`): without skl2onnx and onnxruntime, or for a
model the converter does not handle, the answer is "not supported" with the reason, never an
error. The graph is converted from a copy of the fitted pipeline whose categorical steps speak
strings (ONNX has no object tensors); the parity check proves the copy predicts the same.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from modelyard.registry.runtime import CATEGORICAL_KINDS, NUMERIC_KINDS, OnnxModel

MAX_ABS_DIFF = 1e-4
CHECK_ROWS = 500


@dataclass(frozen=True)
class OnnxResult:
    data: bytes | None
    reason: str = ""
    max_abs_diff: float | None = None
    rows_checked: int = 0

    @property
    def supported(self) -> bool:
        return self.data is not None

    def describe(self) -> str:
        if self.supported:
            return (
                f"ONNX: exported; max absolute difference from the native model "
                f"{self.max_abs_diff:.2g} on {self.rows_checked} rows."
            )
        return f"ONNX: not supported ({self.reason})."

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "exported" if self.supported else "not supported",
            "reason": self.reason or None,
            "max_abs_diff": self.max_abs_diff,
            "rows_checked": self.rows_checked,
        }


def _string_categories(model) -> Any:
    """A copy whose categorical imputer and one-hot encoder work on strings."""
    import numpy as np

    model = copy.deepcopy(model)
    prepare = getattr(model, "named_steps", {}).get("prepare")
    for name, transformer, _columns in getattr(prepare, "transformers_", []):
        if name != "categorical":
            continue
        imputer = transformer.named_steps["impute"]
        imputer.missing_values = ""
        imputer.statistics_ = np.array([str(v) for v in imputer.statistics_], dtype=object)
        encoder = transformer.named_steps["onehot"]
        encoder.categories_ = [
            np.array([str(v) for v in c], dtype=object) for c in encoder.categories_
        ]
    return model


def _convert(model, signature: dict[str, Any], double: bool) -> bytes:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        StringTensorType,
    )

    number = DoubleTensorType if double else FloatTensorType
    types = []
    for column in signature["inputs"]:
        if column["kind"] in NUMERIC_KINDS:
            types.append((column["name"], number([None, 1])))
        elif column["kind"] in CATEGORICAL_KINDS:
            types.append((column["name"], StringTensorType([None, 1])))
    converted = _string_categories(model)
    options = (
        {id(converted): {"zipmap": False}} if signature.get("task") == "classification" else None
    )
    graph = convert_sklearn(converted, initial_types=types, options=options)
    entry = graph.metadata_props.add()
    entry.key = "modelyard_probabilities"
    entry.value = "true" if hasattr(model, "predict_proba") else "false"
    return graph.SerializeToString()


def _difference(model, onnx: OnnxModel, features, task: str) -> float:
    import numpy as np

    if task == "classification":
        if list(model.predict(features)) != list(onnx.predict(features)):
            raise ValueError("ONNX predicts different classes")
        if not hasattr(model, "predict_proba"):
            return 0.0
        return float(np.max(np.abs(model.predict_proba(features) - onnx.predict_proba(features))))
    return float(np.max(np.abs(model.predict(features) - onnx.predict(features))))


def export_onnx(model, signature: dict[str, Any], features) -> OnnxResult:
    """Convert and check on `features` (prepared rows). Never raises for an unsupported model."""
    try:
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError:
        return OnnxResult(None, "install modelyard[onnx] for skl2onnx and onnxruntime")
    rows = features.head(CHECK_ROWS)
    last = model[-1] if hasattr(model, "steps") else model
    if type(last).__name__ == "NumpyMLP":
        return OnnxResult(
            None, "no ONNX converter for the PyTorch MLP yet; its weights ship as model.safetensors"
        )
    # float32 inputs: onnxruntime has no float64 Imputer kernel, and every Modelyard pipeline
    # imputes. Trees may flip a split on a value right at a threshold; the check catches it.
    try:
        data = _convert(model, signature, double=False)
        diff = _difference(model, OnnxModel(data, signature), rows, signature.get("task", ""))
    except Exception as exc:  # noqa: BLE001 - any converter failure means "not supported"
        name = type(model[-1] if hasattr(model, "steps") else model).__name__
        first_line = (str(exc).splitlines() or [""])[0][:200] or type(exc).__name__
        return OnnxResult(None, f"float32: {name}: {first_line}")
    if diff <= MAX_ABS_DIFF:
        return OnnxResult(data, max_abs_diff=diff, rows_checked=len(rows))
    return OnnxResult(None, f"float32: predictions differ from the native model by {diff:.2g}")


def export_version_onnx(store, version) -> OnnxResult:
    from modelyard.datasets.service import load_frame
    from modelyard.registry import runtime
    from modelyard.registry.service import load_model

    frame = load_frame(store, version.dataset).head(CHECK_ROWS)
    features = runtime.prepare_features(frame, version.signature["inputs"])
    return export_onnx(load_model(store, version), version.signature, features)
