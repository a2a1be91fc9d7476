"""ONNX export for every built-in trainer: equivalent to the native model, or "not supported"."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle, verify_bundle
from modelyard.registry import runtime
from modelyard.registry.onnx_export import MAX_ABS_DIFF, export_onnx, export_version_onnx
from modelyard.registry.service import load_model, predict, register
from modelyard.training.trainers import TRAINERS
from tests.conftest import train_in_process
from tests.deploy.helpers import load_serving_module

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

TREES = ("random_forest", "extra_trees", "hist_gradient_boosting")
CASES = [(kind, task) for kind, trainer in sorted(TRAINERS.items()) for task in trainer.tasks]
SMALL = {
    "random_forest": {"n_estimators": 5},
    "extra_trees": {"n_estimators": 5},
    "hist_gradient_boosting": {"max_iter": 20},
    "mlp": {"epochs": 3},
}


@pytest.mark.parametrize("kind,task", CASES)
def test_onnx_matches_the_native_model_or_says_why_not(store, churn, kind, task):
    target = "churn" if task == "classification" else "monthly_charges"
    run = train_in_process(store, churn, target=target, kind=kind, params=SMALL.get(kind, {}))
    version = register(store, run.id, f"{kind}-{task}")
    result = export_version_onnx(store, version)
    assert result.supported, result.reason  # every built-in trainer converts faithfully
    assert result.max_abs_diff <= MAX_ABS_DIFF and result.rows_checked == 500
    if kind in TREES:  # float32 splits would flip at thresholds: trees run in double precision
        assert result.precision == "float64" and "(float64)" in result.describe()
    onnx = runtime.OnnxModel(result.data, version.signature)
    frame = load_frame(store, churn).tail(100)
    features = runtime.prepare_features(frame, version.signature["inputs"])
    native = load_model(store, version)
    if task == "classification":
        assert list(onnx.predict(features)) == list(native.predict(features))
        assert hasattr(onnx, "predict_proba") == hasattr(native, "predict_proba")
        if hasattr(native, "predict_proba"):
            assert (
                np.abs(onnx.predict_proba(features) - native.predict_proba(features)).max() < 1e-4
            )
    else:
        assert np.abs(onnx.predict(features) - native.predict(features)).max() < 1e-3


def test_an_unconvertible_model_is_not_supported_not_an_error(store, finished_run, churn):
    class Opaque:
        def predict(self, x):
            return np.zeros(len(x))

    features = runtime.prepare_features(load_frame(store, churn).head(5), [])
    result = export_onnx(Opaque(), {"inputs": [], "task": "regression"}, features)
    assert not result.supported and result.reason.startswith("float32: Opaque")


def test_bundle_ships_onnx_and_serves_with_onnxruntime(
    store, finished_run, churn, tmp_path, monkeypatch
):
    version = register(store, finished_run.id, "churn")
    bundle = export_bundle(store, version, tmp_path / "b")
    assert (bundle.path / "model.onnx").is_file() and bundle.onnx["status"] == "exported"
    assert "onnxruntime==" in (bundle.path / "requirements.txt").read_text()
    assert "max absolute difference" in bundle.onnx_text()
    monkeypatch.setenv("MODELYARD_REQUEST_LOG", "off")
    rows = load_frame(store, churn).head(40)
    expected = predict(store, version, rows)
    body = {"records": rows.drop(columns=["churn"]).to_dict(orient="records")}
    for choice in ("onnx", "skops", "auto"):
        monkeypatch.setenv("MODELYARD_RUNTIME", choice)
        client = TestClient(load_serving_module(bundle.path).app)
        assert client.get("/ready").json()["runtime"] == ("skops" if choice == "skops" else "onnx")
        answer = client.post("/predict", json=body).json()
        assert answer["predictions"] == expected["predictions"]
        for got, want in zip(answer["probabilities"], expected["probabilities"], strict=True):
            assert got == pytest.approx(want, abs=1e-4)
    assert verify_bundle(bundle.path).ok


def test_export_without_onnx(store, finished_run, tmp_path, monkeypatch):
    version = register(store, finished_run.id, "churn")
    bundle = export_bundle(store, version, tmp_path / "b", onnx=False)
    assert not (bundle.path / "model.onnx").exists()
    assert "onnxruntime" not in (bundle.path / "requirements.txt").read_text()
    monkeypatch.setenv("MODELYARD_RUNTIME", "onnx")
    ready = TestClient(load_serving_module(bundle.path).app).get("/ready")
    assert ready.status_code == 503 and "model.onnx" in ready.json()["reason"]


@pytest.mark.parametrize("kind", ["logistic_regression", "mlp"])
def test_a_category_never_seen_predicts_as_the_native_model_does(store, churn, kind):
    # skl2onnx made unknown categories an error in the graph: every served request with a new
    # contract type was a 500 (found by schemathesis against a bundle)
    run = train_in_process(store, churn, kind=kind, params=SMALL.get(kind, {}))
    version = register(store, run.id, f"{kind}-unknown")
    result = export_version_onnx(store, version)
    assert result.supported, result.reason
    onnx = runtime.OnnxModel(result.data, version.signature)
    frame = load_frame(store, churn).head(20).copy()
    frame["contract"] = "a contract nobody has"
    features = runtime.prepare_features(frame, version.signature["inputs"])
    native = load_model(store, version)
    assert list(onnx.predict(features)) == list(native.predict(features))
    assert np.abs(onnx.predict_proba(features) - native.predict_proba(features)).max() < 1e-4
