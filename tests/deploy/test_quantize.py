"""Quantized bundles: figures in the manifest, the refusal past the tolerance, a clear CLI error."""

import json

import pytest
from fastapi.testclient import TestClient

from modelyard.cli.main import main as cli
from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle, verify_bundle
from modelyard.deploy.quantize import QuantizationRefused
from modelyard.registry.service import register
from tests.conftest import train_in_process
from tests.deploy.helpers import load_serving_module

pytest.importorskip("onnxruntime")
MLP = {"epochs": 3}  # the default layers have enough weights for int8 to shrink them


@pytest.fixture
def mlp(store, churn):
    return register(store, train_in_process(store, churn, kind="mlp", params=MLP).id, "net")


@pytest.mark.parametrize("mode", ["int8", "float16"])
def test_a_quantized_bundle_records_its_figures_and_serves(
    store, churn, mlp, mode, tmp_path, monkeypatch
):
    plain = export_bundle(store, mlp, tmp_path / "plain")
    bundle = export_bundle(store, mlp, tmp_path / mode, quantize=mode, quantize_tolerance=0.05)
    figures = bundle.onnx["quantization"]
    assert figures["mode"] == mode and figures["metric"] == "accuracy" and figures["rows"] > 0
    assert figures["size_before"] == (plain.path / "model.onnx").stat().st_size
    assert figures["size_after"] == (bundle.path / "model.onnx").stat().st_size
    assert figures["size_after"] < figures["size_before"]
    assert figures["drop"] <= 0.05 and figures["latency_after_ms"] > 0
    manifest = json.loads((bundle.path / "manifest.json").read_text())
    assert manifest["onnx"]["quantization"] == figures
    assert f"Quantized ({mode})" in bundle.quantization_text() and verify_bundle(bundle.path).ok
    monkeypatch.setenv("MODELYARD_RUNTIME", "onnx")
    rows = load_frame(store, churn).head(5).drop(columns=["churn"])
    client = TestClient(load_serving_module(bundle.path).app)
    answer = client.post("/predict", json={"records": json.loads(rows.to_json(orient="records"))})
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 5


def test_a_quantized_model_past_the_tolerance_is_refused_with_the_figures(store, churn, tmp_path):
    run = train_in_process(store, churn, target="monthly_charges", kind="mlp", params=MLP)
    version = register(store, run.id, "net-rmse")
    out = tmp_path / "refused"
    with pytest.raises(QuantizationRefused) as refused:
        export_bundle(store, version, out, quantize="int8", quantize_tolerance=0.0)
    text = str(refused.value)
    assert "was refused: rmse goes from" in text and "holdout rows" in text
    assert "past the tolerance of 0" in text and "bytes" in text
    assert not out.exists() and not list(tmp_path.glob(".refused*"))  # nothing half-written


def test_a_model_that_quantization_cannot_shrink_is_refused(store, version, tmp_path):
    with pytest.raises(QuantizationRefused, match="would not make .* smaller"):
        export_bundle(store, version, tmp_path / "b", quantize="int8")


def test_the_cli_refusal_is_one_sentence_and_a_non_zero_exit(store, version, tmp_path, capsys):
    code = cli(["export", "churn-model", "--out", str(tmp_path / "b"), "--quantize", "float16"])
    err = capsys.readouterr().err
    assert code != 0 and "would not make" in err and "Traceback" not in err
    assert not (tmp_path / "b").exists()
