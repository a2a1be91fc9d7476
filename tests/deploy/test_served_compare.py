"""Comparing an A/B or shadow bundle's versions on their served traffic; promote and roll back."""

import json

import pytest
from fastapi.testclient import TestClient

from modelyard.cli.main import main as cli
from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle, verify_bundle
from modelyard.errors import InvalidInputError
from modelyard.monitoring.served import compare_served
from modelyard.registry.service import register
from tests.conftest import train_in_process
from tests.deploy.helpers import load_serving_module


@pytest.fixture
def versions(store, churn):
    first = register(store, train_in_process(store, churn).id, "churn-model")
    forest = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 5})
    return first, register(store, forest.id, "churn-model")


def serve_and_label(module, frame, labels, keyed):
    """Send 60 rows in 20 requests, then their true labels to /feedback."""
    client = TestClient(module.app)
    records = json.loads(frame.to_json(orient="records"))
    sent = []
    for n in range(20):
        headers = {"X-Request-Key": f"k{n}"} if keyed else {}
        answer = client.post(
            "/predict", json={"records": records[3 * n : 3 * n + 3]}, headers=headers
        )
        sent.extend(answer.json()["ids"])
    back = [{"id": i, "label": labels[k]} for k, i in enumerate(sent)]
    assert client.post("/feedback", json={"records": back}).json() == {"accepted": len(back)}
    module.REQUEST_LOG.flush()


def test_a_split_and_a_shadow_are_compared_on_what_they_served(
    store, churn, versions, tmp_path, request_log, capsys, monkeypatch
):
    first, second = versions
    data = load_frame(store, churn).head(60)
    frame, labels = data.drop(columns=["churn"]), [str(v) for v in data["churn"]]
    ab = export_bundle(store, first, tmp_path / "ab", onnx=False, challenger=2, split=50)
    serve_and_label(load_serving_module(ab.path), frame, labels, keyed=True)
    split = compare_served(request_log, first, second)
    assert split.mode == "split" and split.metric == "f1_macro"
    assert split.champion_rows + split.challenger_rows == 60
    assert split.champion_rows > 0 and split.challenger_rows > 0
    assert split.low <= split.high and "labelled rows" in split.verdict

    shadow_log = tmp_path / "shadow-log"
    monkeypatch.setenv("MODELYARD_REQUEST_LOG", str(shadow_log))
    bundle = export_bundle(store, first, tmp_path / "shadow", onnx=False, shadow=2)
    serve_and_label(load_serving_module(bundle.path), frame, labels, keyed=False)
    paired = compare_served(shadow_log, first, second)
    assert paired.mode == "shadow" and paired.champion_rows == paired.challenger_rows == 60
    code = cli(
        ["monitor", "compare", "churn-model:1", "--challenger", "2", "--requests", str(shadow_log)]
    )
    out = capsys.readouterr().out
    assert code == 0 and "shadow (same rows)" in out and "95% interval" in out


def test_without_labels_the_comparison_says_what_to_do(
    store, churn, versions, tmp_path, request_log
):
    first, second = versions
    bundle = export_bundle(store, first, tmp_path / "ab", onnx=False, challenger=2, split=50)
    module = load_serving_module(bundle.path)
    records = json.loads(
        load_frame(store, churn).head(3).drop(columns=["churn"]).to_json(orient="records")
    )
    TestClient(module.app).post("/predict", json={"records": records})
    module.REQUEST_LOG.flush()
    with pytest.raises(InvalidInputError, match="send labels to /feedback"):
        compare_served(request_log, first, second)


@pytest.mark.parametrize("action,kept", [("promote", 2), ("rollback", 1)])
def test_promote_and_rollback_write_a_single_version_bundle(
    store, versions, tmp_path, action, kept, capsys
):
    first, _second = versions
    ab = export_bundle(store, first, tmp_path / "ab", onnx=False, challenger=2, split=10)
    out = tmp_path / action
    assert cli(["bundle", action, str(ab.path), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"]["version"] == kept and "routing" not in manifest
    assert not (out / "versions").exists() and verify_bundle(out).ok
    assert f"v{kept}: wrote {out}" in capsys.readouterr().out
    assert cli(["bundle", action, str(out), "--out", str(tmp_path / "again")]) != 0
    assert "serves one version only" in capsys.readouterr().err
