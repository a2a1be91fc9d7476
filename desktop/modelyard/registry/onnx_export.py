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

from modelyard.registry.runtime import (
    CATEGORICAL_KINDS,
    INPUT_NAMES_KEY,
    NUMERIC_KINDS,
    OnnxModel,
    onnx_input_names,
)

MAX_ABS_DIFF = 1e-4
CHECK_ROWS = 500


@dataclass(frozen=True)
class OnnxResult:
    data: bytes | None
    reason: str = ""
    max_abs_diff: float | None = None
    rows_checked: int = 0
    input_names: dict[str, str] | None = None  # column → ONNX input, where they differ

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
            **({"input_names": self.input_names} if self.input_names else {}),
        }


def _string_categories(model, names: dict[str, str]) -> Any:
    """A copy whose categorical imputer and one-hot encoder work on strings, and whose column
    selection uses the ONNX input `names` (a graph input cannot be called "mean radius")."""
    import numpy as np

    model = copy.deepcopy(model)
    prepare = getattr(model, "named_steps", {}).get("prepare")
    if prepare is not None and names:
        rename = lambda cols: [names.get(c, c) if isinstance(c, str) else c for c in cols]  # noqa: E731
        prepare.transformers_ = [
            (n, t, rename(cols) if isinstance(cols, list | tuple) else cols)
            for n, t, cols in prepare.transformers_
        ]
        prepare.transformers = [
            (n, t, rename(cols) if isinstance(cols, list | tuple) else cols)
            for n, t, cols in prepare.transformers
        ]
        if hasattr(prepare, "feature_names_in_"):  # the pipeline's own is read from here
            prepare.feature_names_in_ = np.array(rename(prepare.feature_names_in_), dtype=object)
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


def _unknown_categories_as_zeros(graph_model, model) -> None:
    """A category the encoder never saw becomes all zeros, as in scikit-learn.

    skl2onnx writes OneHotEncoder nodes with zeros=0 (an unknown category is an error) unless
    the encoder says handle_unknown="ignore"; ours say "infrequent_if_exist", which for an
    encoder without infrequent categories also gives zeros — so every served request with a
    new category was a 500. With infrequent categories scikit-learn maps an unknown one to
    them, which the graph cannot: those are left as converted.
    """
    encoders = [
        step
        for step in _steps(model)
        if type(step).__name__ == "OneHotEncoder"
        and all(c is None for c in getattr(step, "infrequent_categories_", None) or [None])
    ]
    if not encoders:
        return
    for node in graph_model.graph.node:
        if node.op_type == "OneHotEncoder":
            for attribute in node.attribute:
                if attribute.name == "zeros":
                    attribute.i = 1


def _steps(model):
    """Every estimator inside pipelines and column transformers."""
    yield model
    for _name, step in getattr(model, "steps", []):
        yield from _steps(step)
    for _name, step, _columns in getattr(model, "transformers_", []):
        yield from _steps(step)


def _input_types(signature: dict[str, Any], double: bool) -> list:
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        StringTensorType,
    )

    number = DoubleTensorType if double else FloatTensorType
    names = onnx_input_names(signature["inputs"])
    types = []
    for column in signature["inputs"]:
        if column["kind"] in NUMERIC_KINDS:
            types.append((names[column["name"]], number([None, 1])))
        elif column["kind"] in CATEGORICAL_KINDS:
            types.append((names[column["name"]], StringTensorType([None, 1])))
    return types


def _record_names(graph_model, signature: dict[str, Any]) -> None:
    """The column → input mapping travels inside the graph, so any runtime can feed it."""
    import json

    entry = graph_model.metadata_props.add()
    entry.key = INPUT_NAMES_KEY
    entry.value = json.dumps(onnx_input_names(signature["inputs"]))


def _convert_mlp(model, signature: dict[str, Any]) -> bytes:
    """The preprocessing converted by skl2onnx, then the MLP's layers appended as plain ONNX
    nodes (MatMul, Add, Relu; Softmax and ArgMax → class for classifiers)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper
    from skl2onnx import convert_sklearn

    network = model[-1]
    prepared = _string_categories(model[:-1], onnx_input_names(signature["inputs"]))
    graph_model = convert_sklearn(prepared, initial_types=_input_types(signature, double=False))
    _unknown_categories_as_zeros(graph_model, prepared)
    graph = graph_model.graph
    features = graph.output[0].name
    del graph.output[:]
    h = features
    for i, (w, b) in enumerate(zip(network.weights, network.biases, strict=True)):
        graph.initializer.extend(
            [
                numpy_helper.from_array(np.ascontiguousarray(w.T), f"mlp_w{i}"),
                numpy_helper.from_array(b, f"mlp_b{i}"),
            ]
        )
        graph.node.extend(
            [
                helper.make_node("MatMul", [h, f"mlp_w{i}"], [f"mlp_mm{i}"]),
                helper.make_node("Add", [f"mlp_mm{i}", f"mlp_b{i}"], [f"mlp_h{i}"]),
            ]
        )
        h = f"mlp_h{i}"
        if i < len(network.weights) - 1:
            graph.node.append(helper.make_node("Relu", [h], [f"mlp_r{i}"]))
            h = f"mlp_r{i}"
    if signature.get("task") == "classification":
        classes = np.asarray(network.classes_)
        if classes.dtype.kind in "iub":
            values, kind = classes.astype(np.int64), TensorProto.INT64
        else:
            values, kind = classes.astype(str).astype(object), TensorProto.STRING
        graph.initializer.append(numpy_helper.from_array(values, "mlp_classes"))
        graph.node.extend(
            [
                helper.make_node("Softmax", [h], ["probabilities"], axis=1),
                helper.make_node("ArgMax", [h], ["mlp_index"], axis=1, keepdims=0),
                helper.make_node("Gather", ["mlp_classes", "mlp_index"], ["label"], axis=0),
            ]
        )
        graph.output.extend(
            [
                helper.make_tensor_value_info("label", kind, [None]),
                helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, None]),
            ]
        )
    else:
        graph.initializer.extend(
            [
                numpy_helper.from_array(np.array([network.y_std], np.float32), "mlp_std"),
                numpy_helper.from_array(np.array([network.y_mean], np.float32), "mlp_mean"),
            ]
        )
        graph.node.extend(
            [
                helper.make_node("Mul", [h, "mlp_std"], ["mlp_scaled"]),
                helper.make_node("Add", ["mlp_scaled", "mlp_mean"], ["mlp_prediction"]),
            ]
        )
        graph.output.append(
            helper.make_tensor_value_info("mlp_prediction", TensorProto.FLOAT, [None, 1])
        )
    entry = graph_model.metadata_props.add()
    entry.key = "modelyard_probabilities"
    entry.value = "true" if signature.get("task") == "classification" else "false"
    _record_names(graph_model, signature)
    return graph_model.SerializeToString()


def _convert(model, signature: dict[str, Any], double: bool) -> bytes:
    from skl2onnx import convert_sklearn

    types = _input_types(signature, double)
    converted = _string_categories(model, onnx_input_names(signature["inputs"]))
    options = (
        {id(converted): {"zipmap": False}} if signature.get("task") == "classification" else None
    )
    graph = convert_sklearn(converted, initial_types=types, options=options)
    _unknown_categories_as_zeros(graph, converted)
    entry = graph.metadata_props.add()
    entry.key = "modelyard_probabilities"
    entry.value = "true" if hasattr(model, "predict_proba") else "false"
    _record_names(graph, signature)
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


def _short(exc: Exception, limit: int = 300) -> str:
    """The converter's first line, shortened at a word with "…" rather than mid-name."""
    text = (str(exc).splitlines() or [""])[0].strip() or type(exc).__name__
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,([") + " …"


def export_onnx(model, signature: dict[str, Any], features) -> OnnxResult:
    """Convert and check on `features` (prepared rows). Never raises for an unsupported model."""
    try:
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError:
        return OnnxResult(None, "install modelyard[onnx] for skl2onnx and onnxruntime")
    rows = features.head(CHECK_ROWS)
    last = model[-1] if hasattr(model, "steps") else model
    convert = _convert_mlp if type(last).__name__ == "NumpyMLP" else None
    # float32 inputs: onnxruntime has no float64 Imputer kernel, and every Modelyard pipeline
    # imputes. Trees may flip a split on a value right at a threshold; the check catches it.
    try:
        data = convert(model, signature) if convert else _convert(model, signature, double=False)
        diff = _difference(model, OnnxModel(data, signature), rows, signature.get("task", ""))
    except Exception as exc:  # noqa: BLE001 - any converter failure means "not supported"
        name = type(model[-1] if hasattr(model, "steps") else model).__name__
        return OnnxResult(None, f"float32: {name}: {_short(exc)}")
    if diff <= MAX_ABS_DIFF:
        names = onnx_input_names(signature["inputs"])
        renamed = {c: n for c, n in names.items() if c != n}
        return OnnxResult(data, max_abs_diff=diff, rows_checked=len(rows), input_names=renamed)
    return OnnxResult(None, f"float32: predictions differ from the native model by {diff:.2g}")


def export_version_onnx(store, version) -> OnnxResult:
    from modelyard.registry import runtime
    from modelyard.registry.service import load_model, sample_rows

    frame = sample_rows(store, version, CHECK_ROWS)
    if frame.empty:
        return OnnxResult(None, "no rows to check it against (log the model with input_example=)")
    try:
        features = runtime.prepare_features(frame, version.signature["inputs"])
    except runtime.InputError as exc:
        return OnnxResult(None, f"no rows with the model's columns to check it against ({exc})")
    return export_onnx(load_model(store, version), version.signature, features)
