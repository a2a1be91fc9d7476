"""A/B and shadow bundles: split proportions, stickiness, shadow answers logged but never returned."""

import json
import random
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from modelyard.cli.main import main as cli
from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle, verify_bundle
from modelyard.errors import InvalidInputError
from modelyard.registry.service import predict, register
from tests.conftest import train_in_process
from tests.deploy.helpers import load_serving_module

REQUESTS = 2_000


@pytest.fixture
def versions(store, churn):
    first = register(store, train_in_process(store, churn).id, "churn-model")
    forest = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 5})
    return first, register(store, forest.id, "churn-model")


@pytest.fixture
def rows(store, churn):
    frame = load_frame(store, churn).head(3).drop(columns=["churn"])
    return frame, json.loads(frame.to_json(orient="records"))


def test_the_split_holds_over_2000_seeded_requests_and_a_key_is_sticky(store, versions, tmp_path):
    first, second = versions
    bundle = export_bundle(store, first, tmp_path / "ab", challenger=second.version, split=10)
    assert bundle.routing["challenger"] == {
        "version": 2,
        "percent": 10.0,
        "metrics": second.metrics,
        "onnx": bundle.routing["challenger"]["onnx"],
    }
    assert (bundle.path / "versions" / "2" / "model.skops").is_file()
    assert "challenger v2 10%" in bundle.routing_text() and verify_bundle(bundle.path).ok
    module = load_serving_module(bundle.path)
    module.ROUTER.seed(0)
    unkeyed = Counter(module._route(None).version for _ in range(REQUESTS))
    keys = random.Random(0)
    keyed = Counter(module._route(f"user-{keys.getrandbits(64)}").version for _ in range(REQUESTS))
    for counts in (unkeyed, keyed):  # 10% ± 3 points: over 4 binomial standard deviations
        assert 0.07 * REQUESTS <= counts[2] <= 0.13 * REQUESTS, counts
        assert counts[1] + counts[2] == REQUESTS
    for n in range(50):  # the same key always reaches the same version
        assert len({module._route(f"user-{n}").version for _ in range(5)}) == 1


def test_each_answer_and_log_line_names_the_version_that_served_it(
    store, versions, rows, tmp_path, request_log
):
    first, second = versions
    frame, records = rows
    bundle = export_bundle(
        store, first, tmp_path / "ab", onnx=False, challenger=second.version, split=50
    )
    module = load_serving_module(bundle.path)
    expected = {v.version: predict(store, v, frame)["predictions"] for v in versions}
    client = TestClient(module.app)
    served = {}
    for n in range(30):
        key = f"customer-{n % 10}"
        answer = client.post("/predict", json={"records": records}, headers={"X-Request-Key": key})
        body = answer.json()
        assert body["predictions"] == expected[body["version"]]
        assert served.setdefault(key, body["version"]) == body["version"]  # sticky over HTTP
    assert set(served.values()) == {1, 2}
    module.REQUEST_LOG.flush()
    lines = [json.loads(line) for f in request_log.glob("*.jsonl") for line in f.open()]
    assert len(lines) == 30 and all(e["role"] in ("champion", "challenger") for e in lines)
    assert {(e["version"], e["role"]) for e in lines} == {(1, "champion"), (2, "challenger")}
    metrics = client.get("/metrics").text
    assert 'modelyard_version_requests_total{role="challenger",version="2"}' in metrics
    assert client.get("/ready").json()["versions"] == {"champion": 1, "challenger": 2}


def test_a_shadow_answers_every_request_into_the_log_only(
    store, versions, rows, tmp_path, request_log
):
    first, second = versions
    frame, records = rows
    bundle = export_bundle(store, first, tmp_path / "shadow", shadow=second.version)
    module = load_serving_module(bundle.path)
    client = TestClient(module.app)
    answers = [client.post("/predict", json={"records": records}).json() for _ in range(5)]
    champion = predict(store, first, frame)["predictions"]
    assert all(a["version"] == 1 and a["predictions"] == champion for a in answers)
    assert all(
        set(a) == {"predictions", "probabilities", "request_id", "ids", "version"} for a in answers
    )
    module.REQUEST_LOG.flush()
    lines = [json.loads(line) for f in request_log.glob("*.jsonl") for line in f.open()]
    shadows = [e for e in lines if e["type"] == "shadow"]
    assert len(shadows) == 5 and {e["request_id"] for e in shadows} == {
        a["request_id"] for a in answers
    }
    assert all(e["version"] == 2 and e["answered_by"] == 1 and e["status"] == 200 for e in shadows)
    assert shadows[0]["outputs"]["predictions"] == predict(store, second, frame)["predictions"]
    assert sum(e["type"] == "prediction" for e in lines) == 5


def test_bad_routing_is_refused_before_anything_is_written(store, versions, tmp_path, capsys):
    first, second = versions
    with pytest.raises(InvalidInputError, match="another version"):
        export_bundle(store, first, tmp_path / "a", challenger=1)
    with pytest.raises(InvalidInputError, match="above 0 and below 100"):
        export_bundle(store, first, tmp_path / "a", challenger=2, split=100)
    with pytest.raises(InvalidInputError, match="--split needs --challenger"):
        export_bundle(store, first, tmp_path / "a", split=5)
    assert not (tmp_path / "a").exists()
    code = cli(
        [
            "export",
            "churn-model",
            "--version",
            "1",
            "--out",
            str(tmp_path / "c"),
            "--challenger",
            "2",
            "--split",
            "10",
            "--no-onnx",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "challenger v2 10%" in out


def test_the_kubernetes_split_runs_each_version_in_its_own_deployment(
    store, versions, rows, tmp_path, monkeypatch
):
    import yaml

    from modelyard.deploy.bundle import replica_split

    first, second = versions
    bundle = export_bundle(store, first, tmp_path / "k", onnx=False, challenger=2, split=10)
    documents = list(yaml.safe_load_all((bundle.path / "kubernetes-split.yaml").read_text()))
    deployments = [d for d in documents if d["kind"] == "Deployment"]
    [service] = [d for d in documents if d["kind"] == "Service"]
    replicas = {d["metadata"]["labels"]["role"]: d["spec"]["replicas"] for d in deployments}
    assert replicas == {"champion": 9, "challenger": 1}
    for d in deployments:  # the Service selects both; each pod serves its own version only
        assert (
            service["spec"]["selector"].items()
            <= d["spec"]["template"]["metadata"]["labels"].items()
        )
        env = {
            e["name"]: e.get("value") for e in d["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["MODELYARD_SERVE_ONLY"] == d["metadata"]["labels"]["role"]
    assert (
        "9 champion : 1 challenger = 10% to the challenger"
        in (bundle.path / "kubernetes-split.yaml").read_text()
    )
    assert replica_split(25) == (3, 1) and replica_split(50) == (1, 1)
    monkeypatch.setenv("MODELYARD_SERVE_ONLY", "challenger")
    module = load_serving_module(bundle.path)
    answers = {module._route(f"k{n}").version for n in range(20)} | {module._route(None).version}
    assert answers == {2}
