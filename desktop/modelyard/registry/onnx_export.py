"""ONNX export where skl2onnx supports the model, checked against the native predictions.

ONNX is optional (`pip install modelyard[onnx]`): without skl2onnx and onnxruntime, or for a
model the converter does not handle, the answer is "not supported" with the reason, never an
error. The graph is converted from a copy of the fitted pipeline whose categorical steps speak
strings (ONNX has no object tensors); the parity check proves the copy predicts the same.
"""

from __future__ import annotations

import contextlib
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
# ai.onnx.ml 3 keeps tree thresholds as float64 tensors (nodes_values_as_tensor) for double inputs
TARGET_OPSET = {"": 21, "ai.onnx.ml": 3}


@dataclass(frozen=True)
class OnnxResult:
    data: bytes | None
    reason: str = ""
    max_abs_diff: float | None = None
    rows_checked: int = 0
    input_names: dict[str, str] | None = None  # column → ONNX input, where they differ
    precision: str = ""  # the graph's number type: float32 or float64

    @property
    def supported(self) -> bool:
        return self.data is not None

    def describe(self) -> str:
        if self.supported:
            return (
                f"ONNX: exported ({self.precision}); max absolute difference from the native "
                f"model {self.max_abs_diff:.2g} on {self.rows_checked} rows."
            )
        return f"ONNX: not supported ({self.reason})."

    def to_json(self) -> dict[str, Any]:
        return {
            "status": "exported" if self.supported else "not supported",
            "reason": self.reason or None,
            "max_abs_diff": self.max_abs_diff,
            "rows_checked": self.rows_checked,
            **({"precision": self.precision} if self.precision else {}),
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


def _double_imputers(graph_model) -> None:
    """Replace each `ai.onnx.ml.Imputer` (onnxruntime runs it on float32 only) with IsNaN + Where
    over float64 values, so that a whole pipeline can run in double precision."""
    import math

    import numpy as np
    from onnx import helper, numpy_helper

    graph = graph_model.graph
    nodes = list(graph.node)
    del graph.node[:]
    for n, node in enumerate(nodes):
        if node.op_type != "Imputer" or node.domain != "ai.onnx.ml":
            graph.node.append(node)
            continue
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        values = np.array(attributes.get("imputed_value_floats", []), dtype=np.float64)
        replaced = attributes.get("replaced_value_float", float("nan"))
        if values.size == 0 or not math.isnan(replaced):
            raise ValueError("an imputer that replaces something other than NaN")
        prefix = f"double_imputer_{n}"
        graph.initializer.append(numpy_helper.from_array(values, f"{prefix}_values"))
        graph.node.extend(
            [
                helper.make_node("IsNaN", [node.input[0]], [f"{prefix}_missing"]),
                helper.make_node(
                    "Where",
                    [f"{prefix}_missing", f"{prefix}_values", node.input[0]],
                    [node.output[0]],
                ),
            ]
        )


class _HistTree:
    """A HistGradientBoosting predictor's nodes with the `threshold` a `Tree` has."""

    def __init__(self, predictor) -> None:
        self.threshold = predictor.nodes["num_threshold"]


def _sklearn_trees(estimator) -> list:
    """The fitted trees of an ensemble, in skl2onnx's tree-id order (iteration by iteration,
    then class, for gradient boosting)."""
    import numpy as np

    if hasattr(estimator, "_predictors"):  # HistGradientBoosting
        return [_HistTree(p) for iteration in estimator._predictors for p in iteration]
    if hasattr(estimator, "tree_"):
        return [estimator.tree_]
    estimators = np.asarray(getattr(estimator, "estimators_", []), dtype=object)
    return [e.tree_ for e in estimators.ravel()]


def _double_thresholds(graph_model, estimator) -> None:
    """Give each tree-ensemble node its split thresholds as float64 tensors (ai.onnx.ml 3's
    `nodes_values_as_tensor`), read from the fitted trees: float32 thresholds send a value right
    at a split down the other branch. The parity check afterwards proves the result."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    trees = _sklearn_trees(estimator)
    changed = False
    for node in graph_model.graph.node:
        if node.domain != "ai.onnx.ml" or not node.op_type.startswith("TreeEnsemble"):
            continue
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        tree_ids, node_ids = attributes["nodes_treeids"], attributes["nodes_nodeids"]
        if not trees or max(tree_ids) >= len(trees):
            raise ValueError("the ONNX trees do not match the model's trees")
        modes = [m.decode() if isinstance(m, bytes) else m for m in attributes["nodes_modes"]]
        values = np.array(
            [
                0.0 if mode == "LEAF" else float(trees[t].threshold[n])
                for t, n, mode in zip(tree_ids, node_ids, modes, strict=True)
            ],
            dtype=np.float64,
        )
        kept = [a for a in node.attribute if a.name != "nodes_values"]
        del node.attribute[:]
        node.attribute.extend(kept)
        node.attribute.append(
            helper.make_attribute(
                "nodes_values_as_tensor", numpy_helper.from_array(values, "nodes_values")
            )
        )
        changed = True
        for output in graph_model.graph.output:  # the node's own outputs are float32
            if (
                output.name in node.output
                and output.type.tensor_type.elem_type == TensorProto.DOUBLE
            ):
                output.type.tensor_type.elem_type = TensorProto.FLOAT
    if changed:
        for opset in graph_model.opset_import:
            if opset.domain == "ai.onnx.ml":
                opset.version = max(opset.version, 3)


def _float32_features(graph_model) -> None:
    """Round a tree ensemble's float64 features to float32 and back, as scikit-learn's trees do
    before comparing them with their float64 thresholds (`DTYPE = np.float32`)."""
    from onnx import TensorProto, helper

    graph = graph_model.graph
    nodes = list(graph.node)
    del graph.node[:]
    for n, node in enumerate(nodes):
        if node.domain == "ai.onnx.ml" and node.op_type.startswith("TreeEnsemble"):
            rounded, back = f"tree_input_{n}_float32", f"tree_input_{n}_float64"
            graph.node.extend(
                [
                    helper.make_node("Cast", [node.input[0]], [rounded], to=TensorProto.FLOAT),
                    helper.make_node("Cast", [rounded], [back], to=TensorProto.DOUBLE),
                ]
            )
            node.input[0] = back
        graph.node.append(node)


def _forest_classifier_in_double(graph_model, estimator) -> None:
    """Swap a forest's TreeEnsembleClassifier (onnxruntime compares its splits in float32) for
    a TreeEnsembleRegressor over float64 splits and leaf probabilities read from the fitted trees,
    then ArgMax → class label: the forest's own mean of leaf probabilities (summed in float32,
    the regressor's output type)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = graph_model.graph
    trees = _sklearn_trees(estimator)
    found = [
        n
        for n, node in enumerate(graph.node)
        if node.domain == "ai.onnx.ml" and node.op_type == "TreeEnsembleClassifier"
    ]
    if not found:
        return
    i = found[0]
    node = graph.node[i]
    at = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    labels = at.get("classlabels_strings") or at.get("classlabels_int64s")
    binary = len(labels) == 2 and set(at["class_ids"]) == {0}
    targets = 1 if binary else len(labels)
    leaf_ids, leaf_trees = at["class_nodeids"], at["class_treeids"]
    target_ids = [0] * len(leaf_ids) if binary else at["class_ids"]
    weights = []
    for t, n, k in zip(leaf_trees, leaf_ids, target_ids, strict=True):
        value = np.asarray(trees[t].value[n][0], dtype=np.float64)
        weights.append(value[1 if binary else k] / value.sum() / len(trees))
    modes = [m.decode() if isinstance(m, bytes) else m for m in at["nodes_modes"]]
    splits = [
        0.0 if mode == "LEAF" else float(trees[t].threshold[n])
        for t, n, mode in zip(at["nodes_treeids"], at["nodes_nodeids"], modes, strict=True)
    ]
    score = f"{node.name}_score"
    regressor = helper.make_node(
        "TreeEnsembleRegressor",
        [node.input[0]],
        [score],
        domain="ai.onnx.ml",
        n_targets=targets,
        aggregate_function="SUM",
        post_transform="NONE",
        nodes_treeids=at["nodes_treeids"],
        nodes_nodeids=at["nodes_nodeids"],
        nodes_featureids=at["nodes_featureids"],
        nodes_modes=modes,
        nodes_truenodeids=at["nodes_truenodeids"],
        nodes_falsenodeids=at["nodes_falsenodeids"],
        nodes_missing_value_tracks_true=at.get("nodes_missing_value_tracks_true", []),
        nodes_values_as_tensor=numpy_helper.from_array(np.array(splits), "splits"),
        target_ids=target_ids,
        target_nodeids=leaf_ids,
        target_treeids=leaf_trees,
        target_weights_as_tensor=numpy_helper.from_array(np.array(weights), "weights"),
    )
    label_out, proba_out = node.output[0], node.output[1]
    added = [regressor]
    if binary:
        one = np.array([1.0], dtype=np.float32)  # the regressor's output is float32
        graph.initializer.append(numpy_helper.from_array(one, f"{node.name}_one"))
        added += [
            helper.make_node("Sub", [f"{node.name}_one", score], [f"{node.name}_first"]),
            helper.make_node("Concat", [f"{node.name}_first", score], [proba_out], axis=1),
        ]
    else:
        added.append(helper.make_node("Identity", [score], [proba_out]))
    if at.get("classlabels_strings"):
        classes = np.array([c.decode() for c in labels], dtype=object)
    else:
        classes = np.array(labels, dtype=np.int64)
    graph.initializer.append(numpy_helper.from_array(classes, f"{node.name}_classes"))
    added += [
        helper.make_node("ArgMax", [proba_out], [f"{node.name}_index"], axis=1, keepdims=0),
        helper.make_node("Gather", [f"{node.name}_classes", f"{node.name}_index"], [label_out]),
    ]
    graph.node.remove(node)
    for offset, new in enumerate(added):
        graph.node.insert(i + offset, new)
    for output in graph.output:
        if output.name == proba_out:
            output.type.tensor_type.elem_type = TensorProto.FLOAT
    for opset in graph_model.opset_import:
        if opset.domain == "ai.onnx.ml":
            opset.version = max(opset.version, 3)


@contextlib.contextmanager
def _int_flags():
    """skl2onnx 1.20 passes lists of NumPy integers and booleans (HistGradientBoosting's node ids
    and missing-value flags) as integer attributes, which protobuf 7 refuses ("Expected an int,
    got a boolean"); for the length of one conversion its node factory gets plain ints."""
    import numpy as np
    from skl2onnx.common import _container

    original = _container.make_node

    def make_node(*args, **attributes):
        for key, value in attributes.items():
            if isinstance(value, np.ndarray) and value.dtype == bool:
                attributes[key] = value.astype(np.int64).tolist()
            elif (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, bool | np.bool_ | np.integer) for v in value)
            ):  # NumPy integers and booleans as plain ints
                attributes[key] = [int(v) for v in value]
        return original(*args, **attributes)

    _container.make_node = make_node
    try:
        yield
    finally:
        _container.make_node = original


def _convert(model, signature: dict[str, Any], double: bool) -> bytes:
    from skl2onnx import convert_sklearn

    types = _input_types(signature, double)
    converted = _string_categories(model, onnx_input_names(signature["inputs"]))
    options = (
        {id(converted): {"zipmap": False}} if signature.get("task") == "classification" else None
    )
    with _int_flags():
        graph = convert_sklearn(
            converted,
            initial_types=types,
            options=options,
            target_opset=TARGET_OPSET if double else None,
        )
    _unknown_categories_as_zeros(graph, converted)
    if double:
        _double_imputers(graph)
        estimator = model[-1] if hasattr(model, "steps") else model
        if (
            hasattr(estimator, "classes_")
            and hasattr(estimator, "estimators_")
            and all(hasattr(e, "tree_") for e in estimator.estimators_)
        ):
            _forest_classifier_in_double(graph, estimator)
        else:
            _double_thresholds(graph, estimator)
        if not hasattr(estimator, "_predictors"):  # HistGradientBoosting compares in float64
            _float32_features(graph)
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


def _is_tree_ensemble(model) -> bool:
    last = model[-1] if hasattr(model, "steps") else model
    return (
        hasattr(last, "_predictors")
        or hasattr(last, "tree_")
        or (
            hasattr(last, "estimators_")
            and all(
                hasattr(e, "tree_") for e in getattr(last.estimators_, "flat", last.estimators_)
            )
        )
    )


def export_onnx(model, signature: dict[str, Any], features) -> OnnxResult:
    """Convert and check on `features` (prepared rows). Never raises for an unsupported model.

    Trees are converted in float64 first (float32 sends a value right at a split down the other
    branch), everything else in float32 first; the other precision is the fallback. The first
    graph whose predictions match the native model's on the rows is kept; otherwise every
    attempt's reason is."""
    try:
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError:
        return OnnxResult(None, "install modelyard[onnx] for skl2onnx and onnxruntime")
    rows = features.head(CHECK_ROWS)
    last = model[-1] if hasattr(model, "steps") else model
    name = type(last).__name__
    if name == "NumpyMLP":
        attempts = [("float32", lambda: _convert_mlp(model, signature))]
    else:
        attempts = [
            ("float64", lambda: _convert(model, signature, double=True)),
            ("float32", lambda: _convert(model, signature, double=False)),
        ]
        if not _is_tree_ensemble(model):
            attempts.reverse()
    reasons = []
    for precision, convert in attempts:
        try:
            data = convert()
            diff = _difference(model, OnnxModel(data, signature), rows, signature.get("task", ""))
        except Exception as exc:  # noqa: BLE001 - any converter failure means "not supported"
            reasons.append(f"{precision}: {name}: {_short(exc)}")
            continue
        if diff <= MAX_ABS_DIFF:
            names = onnx_input_names(signature["inputs"])
            renamed = {c: n for c, n in names.items() if c != n}
            return OnnxResult(
                data,
                max_abs_diff=diff,
                rows_checked=len(rows),
                input_names=renamed,
                precision=precision,
            )
        reasons.append(f"{precision}: predictions differ from the native model by {diff:.2g}")
    return OnnxResult(None, "; ".join(reasons))


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
