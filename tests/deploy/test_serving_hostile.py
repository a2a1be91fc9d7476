"""A served bundle under large and hostile requests: probes answer, limits hold, 422 not 500."""

import asyncio
import json
import os
import stat
import threading

import pytest
from fastapi.testclient import TestClient

from modelyard.datasets.service import load_frame
from tests.deploy.helpers import load_serving_module

ROWS = 100_000


@pytest.fixture
def module(bundle):
    return load_serving_module(bundle.path)


@pytest.fixture
def records(store, churn):
    frame = load_frame(store, churn).head(20).drop(columns=["churn"])
    return json.loads(frame.to_json(orient="records"))


class Gate:
    """Wraps a callable: signals when it is entered, then waits for the test to let it go."""

    def __init__(self, wrapped):
        self.wrapped, self.entered, self.release = wrapped, threading.Event(), threading.Event()
        self.timed_out = False

    def __call__(self, *args, **kwargs):
        self.entered.set()
        self.timed_out = not self.release.wait(20)  # an event loop blocked here cannot answer
        return self.wrapped(*args, **kwargs)


@pytest.mark.parametrize("stage", ["parsing", "prediction"])
def test_health_answers_while_a_100k_row_request_is_in_progress(
    module, records, stage, monkeypatch
):
    if stage == "parsing":
        gate = Gate(module.runtime.records_to_columns)
        monkeypatch.setattr(module.runtime, "records_to_columns", gate)
    else:
        model = module.State.model
        gate = Gate(model.predict)
        monkeypatch.setattr(model, "predict", gate, raising=False)
    body = json.dumps({"records": (records * (ROWS // len(records) + 1))[:ROWS]})
    answers = {}
    with TestClient(module.app) as client:

        def post():
            answers["predict"] = client.post(
                "/predict", content=body, headers={"Content-Type": "application/json"}
            )

        worker = threading.Thread(target=post)
        worker.start()
        assert gate.entered.wait(60)
        health = client.get("/health")  # the predict request is provably still in progress
        gate.release.set()
        worker.join(60)
    assert health.status_code == 200 and not gate.timed_out
    assert answers["predict"].status_code == 200
    assert len(answers["predict"].json()["predictions"]) == ROWS


def test_a_body_over_the_limit_is_refused_with_413_and_logged(
    module, records, request_log, monkeypatch
):
    monkeypatch.setenv("MODELYARD_MAX_BODY_BYTES", "2000")
    client = TestClient(module.app)
    response = client.post("/predict", json={"records": records})
    assert response.status_code == 413 and "at most 2,000" in response.json()["detail"]
    module.REQUEST_LOG.flush()
    [entry] = [json.loads(line) for f in request_log.glob("*.jsonl") for line in f.open()]
    assert entry["status"] == 413 and "inputs" not in entry
    assert entry["body"] == ""  # refused on its Content-Length, before a byte was read


def test_the_body_limit_stops_reading_a_stream_early(module):
    """Without a Content-Length the body is refused as soon as it passes the limit."""
    consumed = []

    class Streamed:
        headers = {}

        async def stream(self):
            for i in range(100):
                consumed.append(i)
                yield b"x" * 1000

    with pytest.raises(module.serving.TooLarge, match="over 4,500 bytes"):
        asyncio.run(module.serving.read_body(Streamed(), 4500, bytearray()))
    assert len(consumed) == 5


def test_more_rows_than_the_limit_is_a_413(module, records, monkeypatch):
    monkeypatch.setenv("MODELYARD_MAX_ROWS", "10")
    client = TestClient(module.app)
    response = client.post("/predict", json={"records": records})
    assert response.status_code == 413 and "at most 10 per request" in response.json()["detail"]
    header = ",".join(records[0])
    csv = header + "\n" + "\n".join(",".join(str(v) for v in r.values()) for r in records)
    response = client.post("/predict", content=csv, headers={"Content-Type": "text/csv"})
    assert response.status_code == 413


def columns(module, kinds):
    return [c["name"] for c in module.SIGNATURE["inputs"] if c["kind"] in kinds]


def hostile_bodies(record, numeric, text):
    yield "401-digit integer", {"records": [{**record, numeric: int("9" * 401)}]}
    yield "5000-digit integer", '{"records": [{"x": ' + "9" * 5000 + "}]}"
    yield "deeply nested JSON", '{"records": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    yield "deeply nested value", '{"records": [{"a": ' + "[" * 50_000 + "]" * 50_000 + "}]}"
    yield "nested top level", "[" * 100_000 + "]" * 100_000
    yield "object for a number", {"records": [{**record, numeric: {"a": 1}}]}
    yield "list for a category", {"records": [{**record, text: [1, 2]}]}
    yield "string for a number", {"records": [{**record, numeric: "many"}]}
    yield "records is a string", {"records": "abc"}
    yield "records is an object", {"records": {"a": 1}}
    yield "top level is a list", [record]
    yield "top level is a number", "1e999"
    yield "NaN literal", '{"records": [{"x": NaN}]}'
    yield "invalid UTF-8", b'{"records": [{"a": "\xff\xfe"}]}'
    yield "trailing garbage", '{"records": []} []'
    yield "empty body", ""


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
def test_every_malformed_input_is_a_422_never_a_500(module, records, content_type, request_log):
    client = TestClient(module.app, raise_server_exceptions=False)
    numeric, text = columns(module, ("integer", "float"))[0], columns(module, ("categorical",))[0]
    for name, body in hostile_bodies(records[0], numeric, text):
        content = body if isinstance(body, str | bytes) else json.dumps(body)
        response = client.post("/predict", content=content, headers={"Content-Type": content_type})
        assert response.status_code == 422, (name, response.status_code, response.text[:200])
        assert response.json()["detail"], name
    module.REQUEST_LOG.flush()
    entries = [json.loads(line) for f in request_log.glob("*.jsonl") for line in f.open()]
    assert entries and all(e["status"] == 422 and e["error"] for e in entries)
    assert all(isinstance(e["body"], str) and len(e["body"]) <= 10_000 for e in entries)


def test_odd_values_for_a_category_are_answered_and_logged(module, records, request_log):
    """A number (even a 401-digit one) where a category is expected is an unseen category."""
    client = TestClient(module.app, raise_server_exceptions=False)
    text = columns(module, ("categorical",))
    for value in (int("9" * 401), 3.5, True, None):
        body = {"records": [{**records[0], **dict.fromkeys(text, value)}]}
        response = client.post("/predict", json=body)
        assert response.status_code in (200, 422), (value, response.text[:200])
    module.REQUEST_LOG.flush()
    entries = [json.loads(line) for f in request_log.glob("*.jsonl") for line in f.open()]
    assert len(entries) == 4 and all(e["status"] in (200, 422) for e in entries)


def test_docs_and_openapi_need_the_token_when_one_is_set(module, monkeypatch):
    client = TestClient(module.app)
    assert client.get("/openapi.json").status_code == 200
    monkeypatch.setenv("MODELYARD_API_TOKEN", "s3cret")
    for path in ("/docs", "/openapi.json", "/redoc"):
        assert client.get(path).status_code == 401, path
    auth = {"Authorization": "Bearer s3cret"}
    assert client.get("/openapi.json", headers=auth).status_code == 200
    assert client.get("/health").status_code == 200 and client.get("/ready").status_code == 200


def test_the_openapi_schema_describes_the_predict_body(module):
    schema = TestClient(module.app).get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]
    components = schema["components"]["schemas"]
    request = components[body["application/json"]["schema"]["$ref"].rpartition("/")[2]]
    item = components[request["properties"]["records"]["items"]["$ref"].rpartition("/")[2]]
    inputs = module.SIGNATURE["inputs"]
    assert set(item["required"]) == {c["name"] for c in inputs}
    types = {name: {t.get("type") for t in p["anyOf"]} for name, p in item["properties"].items()}
    for column in inputs:  # each column's real type, a missing value as null
        expected = {"integer": "number", "float": "number", "boolean": "boolean"}
        if column["kind"] in expected:
            assert types[column["name"]] == {expected[column["kind"]], "null"}, column
        else:
            assert "string" in types[column["name"]], column
    answer = schema["paths"]["/predict"]["post"]["responses"]["200"]["content"]
    assert answer["application/json"]["schema"]["$ref"].endswith("/PredictResponse")
    assert "text/csv" in body and "/feedback" in schema["paths"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_the_request_log_is_private(module, records, request_log):
    request_log.mkdir(mode=0o755)
    os.chmod(request_log, 0o755)  # as an older version left it
    TestClient(module.app).post("/predict", json={"records": records})
    module.REQUEST_LOG.flush()
    [log] = list(request_log.glob("*.jsonl"))
    assert stat.S_IMODE(request_log.stat().st_mode) == 0o700
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_get_a_sentence(module, records, literal):
    numeric = columns(module, ("integer", "float"))[0]
    body = json.dumps({"records": [records[0]]}).replace(
        f'"{numeric}": {json.dumps(records[0][numeric])}', f'"{numeric}": {literal}'
    )
    assert literal in body
    response = TestClient(module.app).post(
        "/predict", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert (
        f"{literal.lstrip('-')} is not JSON; send null for a missing value"
        in response.json()["detail"]
    )


def test_a_prediction_past_the_timeout_is_a_504(module, records, monkeypatch):
    monkeypatch.setenv("MODELYARD_PREDICT_TIMEOUT", "1")
    model = module.State.model
    gate = Gate(model.predict)
    monkeypatch.setattr(model, "predict", gate, raising=False)
    body = json.dumps({"records": records * 40})  # over 16 KiB: predicted off the event loop
    assert len(body) > module.INLINE_BYTES
    try:
        response = TestClient(module.app).post(
            "/predict", content=body, headers={"Content-Type": "application/json"}
        )
    finally:
        gate.release.set()  # the abandoned prediction finishes on its own
    assert response.status_code == 504
    assert "longer than 1 second (MODELYARD_PREDICT_TIMEOUT)" in response.json()["detail"]
