"""A PyTorch MLP's bundle serves without PyTorch and answers like the registry."""

import json

import pytest
from fastapi.testclient import TestClient

from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle, verify_bundle
from modelyard.registry.service import predict, register
from tests.conftest import train_in_process
from tests.deploy.helpers import load_serving_module


@pytest.mark.parametrize("target", ["churn", "monthly_charges"])
def test_an_mlp_bundle_serves_the_registry_predictions(store, churn, tmp_path, target):
    run = train_in_process(store, churn, target=target, kind="mlp", params={"epochs": 2})
    version = register(store, run.id, f"mlp-{target}")
    bundle = export_bundle(store, version, tmp_path / "bundle")
    names = {p.name for p in bundle.path.iterdir()}
    assert {"model.safetensors", "model_architecture.json", "model.onnx"} <= names
    assert bundle.onnx["status"] == "exported" and bundle.onnx["max_abs_diff"] < 1e-4
    assert "safetensors==" in (bundle.path / "requirements.txt").read_text()
    assert "torch" not in (bundle.path / "requirements.txt").read_text()
    rows = load_frame(store, churn).head(10)
    expected = predict(store, version, rows)
    client = TestClient(load_serving_module(bundle.path).app)
    records = json.loads(rows.drop(columns=[target]).to_json(orient="records"))
    answer = client.post("/predict", json={"records": records}).json()
    assert answer["predictions"] == pytest.approx(expected["predictions"])
    assert verify_bundle(bundle.path).ok
