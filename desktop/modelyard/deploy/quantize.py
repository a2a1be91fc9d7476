"""Quantizing a bundle's ONNX model with onnxruntime's own tools, judged on the holdout.

`int8`: dynamic quantization (`onnxruntime.quantization.quantize_dynamic`: weights of MatMul and
Gemm nodes stored as int8, activations quantized on the fly). `float16`: the same weights stored
as float16 and cast back to float32 when the model loads. Only neural networks have such
weights; for other models the file would not shrink, and the export says so. Both models are evaluated on the
version's holdout; a quantized model whose metric drops by more than the tolerance is refused
with the figures, so that nobody ships a silently worse model.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from modelyard.errors import ModelyardError

MODES = ("int8", "float16")
DEFAULT_TOLERANCE = 0.01  # accuracy points for classifiers; relative RMSE increase for regressors
LATENCY_CALLS = 100


class QuantizationRefused(ModelyardError):
    """The quantized model is worse than the tolerance allows, or cannot be made."""


@dataclass(frozen=True)
class Quantized:
    mode: str
    data: bytes
    size_before: int
    size_after: int
    latency_before_ms: float  # single-row p50 with onnxruntime
    latency_after_ms: float
    metric: str
    before: float
    after: float
    drop: float  # how much worse: accuracy points, or RMSE increase as a fraction
    tolerance: float
    rows: int

    def to_json(self) -> dict[str, Any]:
        fields = asdict(self)
        del fields["data"]
        return fields

    def describe(self) -> str:
        return (
            f"Quantized ({self.mode}): model.onnx {self.size_before:,} → {self.size_after:,} bytes "
            f"({_percent(self.size_after, self.size_before)}), single-row latency "
            f"{self.latency_before_ms:.3f} → {self.latency_after_ms:.3f} ms, {self.metric} "
            f"{self.before:.4f} → {self.after:.4f} on {self.rows:,} holdout rows "
            f"(within the tolerance of {self.tolerance:g})."
        )


def _percent(after: int, before: int) -> str:
    return f"{(after - before) / before:+.0%}" if before else "n/a"


def _float16_weights(model: Any) -> Any:
    """The float32 weights of MatMul/Gemm nodes stored as float16, each cast back to float32 by
    a Cast node that onnxruntime folds when it loads the model: half the bytes, float32
    arithmetic. (onnxruntime's own float16 converter turns scikit-learn's preprocessing ops,
    which have float32 kernels only, into invalid float16 nodes.)"""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    weights = {
        name
        for node in graph.node
        if node.domain in ("", "ai.onnx") and node.op_type in ("MatMul", "Gemm")
        for name in node.input
    }
    casts = []
    for i, tensor in enumerate(graph.initializer):
        if tensor.name in weights and tensor.data_type == TensorProto.FLOAT:
            half = numpy_helper.from_array(
                numpy_helper.to_array(tensor).astype(np.float16), f"{tensor.name}_float16"
            )
            casts.append(helper.make_node("Cast", [half.name], [tensor.name], to=TensorProto.FLOAT))
            graph.initializer[i].CopyFrom(half)
    for offset, cast in enumerate(casts):
        graph.node.insert(offset, cast)
    return model


def _convert(data: bytes, mode: str) -> bytes:
    import onnx

    if mode == "float16":
        return _float16_weights(onnx.load_from_string(data)).SerializeToString()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="modelyard-quantize-") as tmp:
        source, target = Path(tmp) / "model.onnx", Path(tmp) / "model.int8.onnx"
        source.write_bytes(data)
        quantize_dynamic(
            source,
            target,
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        return target.read_bytes()


def _p50_ms(model: Any, row: Any) -> float:
    times = []
    for _ in range(LATENCY_CALLS):
        t0 = time.perf_counter()
        model.predict(row)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _score(task: str, model: Any, x: Any, y: Any) -> tuple[str, float]:
    import numpy as np

    predicted = model.predict(x)
    if task == "classification":
        truth = np.asarray(y, dtype=object).astype(str)
        return "accuracy", float(np.mean(np.asarray(predicted, dtype=object).astype(str) == truth))
    errors = np.asarray(predicted, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return "rmse", float(np.sqrt(np.mean(errors**2)))


def judge(metric: str, before: float, after: float, tolerance: float) -> float:
    """How much worse `after` is than `before` (accuracy points, or RMSE as a fraction)."""
    if metric == "rmse":
        return (after - before) / before if before else (after - before)
    return before - after


def quantize_version_onnx(
    store: Any,
    version: Any,
    data: bytes,
    mode: str,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Quantized:
    """The quantized graph of `data` (the version's checked ONNX model), or QuantizationRefused."""
    from modelyard.registry import runtime
    from modelyard.registry.evaluation import holdout_rows

    if mode not in MODES:
        raise QuantizationRefused(f"Quantization must be one of {', '.join(MODES)}, not '{mode}'.")
    if tolerance < 0:
        raise QuantizationRefused("The quantization tolerance cannot be negative.")
    try:
        quantized = _convert(data, mode)
        native, small = (runtime.OnnxModel(d, version.signature) for d in (data, quantized))
    except Exception as exc:  # noqa: BLE001 - the tool's failure, told in one sentence
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
        raise QuantizationRefused(
            f"{mode} quantization of {version.label} failed in onnxruntime's tools ({first})."
        ) from exc
    try:
        frame, y, _label = holdout_rows(store, version)
    except ModelyardError as exc:
        raise QuantizationRefused(
            f"{version.label} cannot be quantized: there is no holdout to check it on ({exc})"
        ) from exc
    x = runtime.prepare_features(frame, version.signature["inputs"])
    metric, before = _score(version.task, native, x, y)
    _, after = _score(version.task, small, x, y)
    drop = judge(metric, before, after, tolerance)
    result = Quantized(
        mode=mode,
        data=quantized,
        size_before=len(data),
        size_after=len(quantized),
        latency_before_ms=_p50_ms(native, x.head(1)),
        latency_after_ms=_p50_ms(small, x.head(1)),
        metric=metric,
        before=before,
        after=after,
        drop=drop,
        tolerance=tolerance,
        rows=len(x),
    )
    if len(quantized) >= len(data):
        raise QuantizationRefused(
            f"{mode} quantization would not make {version.label}'s model.onnx smaller "
            f"({len(data):,} → {len(quantized):,} bytes): it has no weights that {mode} "
            "compresses (only neural networks' MatMul/Gemm weights do). Export without --quantize."
        )
    if drop > tolerance:
        worse = f"{drop:.4f} points" if metric == "accuracy" else f"{drop:.4%}"
        raise QuantizationRefused(
            f"{mode} quantization of {version.label} was refused: {metric} goes from "
            f"{before:.4f} to {after:.4f} on {len(x):,} holdout rows ({worse} worse, past the "
            f"tolerance of {tolerance:g}); model.onnx would go from {len(data):,} to "
            f"{len(quantized):,} bytes. Export without --quantize, or allow more with "
            "--quantize-tolerance."
        )
    return result
