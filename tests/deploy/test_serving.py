"""The bundle's serving app: token, CSV bodies, 422s, readiness, Prometheus metrics, request log."""

import json

import pytest
from fastapi.testclient import TestClient

from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle, verify_bundle
from modelyard.registry.service import predict
from tests.deploy.helpers import load_serving_module


@pytest.fixture
def rows(store, churn):
    return load_frame(store, churn).head(12).drop(columns=["churn"])


@pytest.fixture
def served(bundle):
    return load_serving_module(bundle.path)


@pytest.fixture
def client(served):
    return TestClient(served.app)


def records(frame):
    return json.loads(frame.to_json(orient="records"))


def test_token_is_required_when_set_and_probes_stay_open(client, rows, monkeypatch):
    monkeypatch.setenv("MODELYARD_API_TOKEN", "s3cret-token")
    body = {"records": records(rows)}
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 200
    missing = client.post("/predict", json=body)
    assert missing.status_code == 401 and "Bearer" in missing.json()["detail"]
    wrong = client.post("/predict", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.get("/metadata").status_code == 401
    assert client.get("/metrics").status_code == 401
    ok = client.post("/predict", json=body, headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and len(ok.json()["predictions"]) == len(rows)


def test_csv_body_predicts_like_the_registry(store, version, client, rows):
    expected = predict(store, version, rows)
    response = client.post(
        "/predict", content=rows.to_csv(index=False), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == expected["predictions"]
    assert len(response.json()["probabilities"]) == len(rows)


@pytest.mark.parametrize(
    "content,content_type,message",
    [
        ("{not json", "application/json", "not valid JSON"),
        ('{"rows": []}', "application/json", '{"records"'),
        ('{"records": []}', "application/json", "non-empty list"),
        ('{"records": [1, 2]}', "application/json", "every record must be an object"),
        ('{"records": [{"plan": "basic"}]}', "application/json", "missing column"),
        ("", "text/csv", "not readable CSV"),
    ],
)
def test_malformed_bodies_get_a_clear_422(client, content, content_type, message):
    response = client.post("/predict", content=content, headers={"Content-Type": content_type})
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_a_text_value_in_a_numeric_column_is_a_422(client, rows):
    bad = rows.copy()
    numeric = [c for c in bad.columns if bad[c].dtype.kind in "if"][0]
    bad[numeric] = bad[numeric].astype(object)
    bad.loc[bad.index[0], numeric] = "lots"
    for response in (
        client.post("/predict", json={"records": records(bad)}),
        client.post(
            "/predict", content=bad.to_csv(index=False), headers={"Content-Type": "text/csv"}
        ),
    ):
        assert response.status_code == 422
        assert f"column '{numeric}' must be numeric" in response.json()["detail"]


def samples(text):
    """{(name, sorted labels): value} of a Prometheus text page, read by prometheus_client."""
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_requests_errors_rows_and_latency(client, rows):
    client.post("/predict", json={"records": records(rows)})
    client.post("/predict", json={"records": []})
    client.get("/health")
    found = samples(client.get("/metrics").text)
    post = (("method", "POST"), ("path", "/predict"))
    assert found["modelyard_requests_total", (*post, ("status", "200"))] == 1
    assert found["modelyard_requests_total", (*post, ("status", "422"))] == 1
    assert found["modelyard_request_errors_total", (("kind", "client"),)] == 1
    assert found["modelyard_request_errors_total", (("kind", "server"),)] == 0
    assert found["modelyard_predicted_rows_total", (("version", "1"),)] == len(rows)
    assert found["modelyard_version_requests_total", (("role", "champion"), ("version", "1"))] == 1
    assert found["modelyard_request_duration_seconds_count", (("path", "/predict"),)] == 2
    assert (
        found["modelyard_request_duration_seconds_bucket", (("le", "+Inf"), ("path", "/predict"))]
        == 2
    )


def test_every_prediction_request_is_logged_outside_the_bundle(
    store, version, bundle, served, client, rows, request_log
):
    expected = predict(store, version, rows)
    client.post("/predict", json={"records": records(rows)})
    client.post("/predict", json={"records": [{"x": 1}]})
    served.REQUEST_LOG.flush()
    [log] = list(request_log.glob("requests-*.jsonl"))
    good, bad = (json.loads(line) for line in log.read_text().splitlines())
    assert good["status"] == 200 and good["model"] == "churn-model" and good["version"] == 1
    assert len(good["inputs"]) == len(rows)
    assert good["inputs"][0].keys() == {c["name"] for c in version.signature["inputs"]}
    assert good["outputs"]["predictions"] == expected["predictions"]
    assert good["latency_ms"] >= 0
    assert bad["status"] == 422 and "missing column" in bad["error"]
    assert "inputs" not in bad and json.loads(bad["body"]) == {"records": [{"x": 1}]}
    assert verify_bundle(bundle.path).ok


def test_default_request_log_is_not_inside_the_bundle(bundle, monkeypatch):
    monkeypatch.delenv("MODELYARD_REQUEST_LOG")
    module = load_serving_module(bundle.path)
    assert not module.REQUEST_LOG.folder.resolve().is_relative_to(bundle.path.resolve())
    monkeypatch.setenv("MODELYARD_REQUEST_LOG", "off")
    assert load_serving_module(bundle.path).REQUEST_LOG.folder is None


def test_a_log_placed_inside_the_bundle_is_caught_by_verify(bundle, rows, monkeypatch):
    monkeypatch.setenv("MODELYARD_REQUEST_LOG", str(bundle.path / "logs"))
    module = load_serving_module(bundle.path)
    assert (
        TestClient(module.app).post("/predict", json={"records": records(rows)}).status_code == 200
    )
    module.REQUEST_LOG.flush()
    result = verify_bundle(bundle.path)
    assert not result.ok and result.added[0].startswith("logs/requests-")


def test_a_model_that_does_not_load_is_live_but_not_ready(store, version, tmp_path, rows):
    bundle = export_bundle(store, version, tmp_path / "broken")
    (bundle.path / "model.skops").write_bytes(b"\x80\x04not a model")
    client = TestClient(load_serving_module(bundle.path).app)
    assert client.get("/health").status_code == 200
    ready = client.get("/ready")
    assert ready.status_code == 503 and "skops" in ready.json()["reason"]
    assert client.post("/predict", json={"records": records(rows)}).status_code == 503
