"""The feedback contract read by monitoring: row ids in answers, the request log, POST /feedback."""

import json

import pytest
from fastapi.testclient import TestClient

from modelyard.datasets.service import load_frame
from tests.deploy.helpers import load_serving_module


@pytest.fixture
def module(bundle):
    return load_serving_module(bundle.path)


@pytest.fixture
def records(store, churn):
    frame = load_frame(store, churn).head(5).drop(columns=["churn"])
    return json.loads(frame.to_json(orient="records"))


def log_lines(module, folder):
    module.REQUEST_LOG.flush()
    [log] = list(folder.glob("requests-*.jsonl"))
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_every_answer_names_its_request_and_rows(module, records):
    answer = TestClient(module.app).post("/predict", json={"records": records}).json()
    rid = answer["request_id"]
    assert len(rid) == 32 and int(rid, 16) >= 0
    assert answer["ids"] == [f"{rid}-{i}" for i in range(len(records))]
    assert len(answer["predictions"]) == len(answer["probabilities"]) == len(records)


def test_prediction_lines_follow_the_contract(module, records, request_log):
    client = TestClient(module.app)
    answer = client.post("/predict", json={"records": records}).json()
    client.post("/predict", content="{broken", headers={"Content-Type": "application/json"})
    good, bad = log_lines(module, request_log)
    assert list(good) == [
        "type", "time", "request_id", "model", "version", "role", "ids", "inputs", "outputs",
        "status", "latency_ms",
    ]  # fmt: skip
    assert good["version"] == answer["version"] == 1 and good["role"] == "champion"
    assert good["type"] == "prediction" and good["status"] == 200
    assert good["request_id"] == answer["request_id"] and good["ids"] == answer["ids"]
    assert good["outputs"] == {k: answer[k] for k in ("predictions", "probabilities")}
    assert [r.keys() for r in good["inputs"]] == [good["inputs"][0].keys()] * len(records)
    assert list(bad) == [
        "type", "time", "request_id", "model", "version", "role", "status", "error", "body",
        "latency_ms",
    ]  # fmt: skip
    assert bad["status"] == 422 and bad["body"] == "{broken" and bad["model"] == "churn-model"


def test_feedback_as_json_and_csv_is_appended_to_the_request_log(module, records, request_log):
    client = TestClient(module.app)
    ids = client.post("/predict", json={"records": records}).json()["ids"]
    body = {"records": [{"id": ids[0], "label": "yes"}, {"id": ids[1], "label": "no"}]}
    assert client.post("/feedback", json=body).json() == {"accepted": 2}
    csv = f"id,label\n{ids[2]},yes\n{ids[3]},no\n{ids[4]},yes\n"
    response = client.post("/feedback", content=csv, headers={"Content-Type": "text/csv"})
    assert response.json() == {"accepted": 3}
    _, first, second = log_lines(module, request_log)
    assert list(first) == ["type", "time", "model", "version", "records"]
    assert first["type"] == "feedback" and first["version"] == 1
    assert first["records"] == body["records"]
    assert second["records"] == [
        {"id": ids[2], "label": "yes"},
        {"id": ids[3], "label": "no"},
        {"id": ids[4], "label": "yes"},
    ]
    text = client.get("/metrics").text
    assert 'modelyard_requests_total{method="POST",path="/feedback",status="200"} 2' in text
    assert "modelyard_feedback_records_total 5" in text


@pytest.mark.parametrize(
    "content,content_type,message",
    [
        ('{"records": []}', "application/json", "non-empty list"),
        ("{}", "application/json", '{"records"'),
        ('{"records": [{"label": 1}]}', "application/json", "record 1 needs an 'id'"),
        ('{"records": [{"id": 7, "label": 1}]}', "application/json", "record 1 needs an 'id'"),
        ('{"records": [{"id": "a"}]}', "application/json", "record 1 needs a 'label'"),
        ('{"records": [{"id": "a", "label": [1]}]}', "application/json", "needs a 'label'"),
        ('{"records": ["a"]}', "application/json", "record 1 must be an object"),
        ("id\nabc\n", "text/csv", "missing: label"),
        ("id,label\nabc,\n", "text/csv", "record 1 needs a 'label'"),
        ("id,label\n", "text/csv", "no rows"),
    ],
)
def test_malformed_feedback_gets_a_422_with_a_sentence(module, content, content_type, message):
    response = TestClient(module.app).post(
        "/feedback", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 422 and message in response.json()["detail"]


def test_feedback_has_the_same_limits_and_token_as_predict(module, monkeypatch):
    client = TestClient(module.app)
    monkeypatch.setenv("MODELYARD_MAX_ROWS", "2")
    body = {"records": [{"id": f"r-{i}", "label": 1} for i in range(3)]}
    assert client.post("/feedback", json=body).status_code == 413
    monkeypatch.setenv("MODELYARD_API_TOKEN", "s3cret")
    assert client.post("/feedback", json=body).status_code == 401


def test_a_clean_stop_writes_every_queued_line(bundle, records, request_log):
    module = load_serving_module(bundle.path)
    with TestClient(module.app) as client:  # the lifespan: its shutdown closes the log
        for _ in range(50):
            client.post("/predict", json={"records": records})
    assert module.REQUEST_LOG.thread is None
    [log] = list(request_log.glob("requests-*.jsonl"))
    assert len(log.read_text().splitlines()) == 50
