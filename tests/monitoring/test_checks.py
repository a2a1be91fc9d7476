"""Checks of a registered model on files, dataset versions and request logs."""

import json

import pytest

from modelyard.errors import InvalidInputError
from modelyard.monitoring.checks import check, history
from modelyard.monitoring.rules import add_rule, list_alerts
from tests.conftest import store_snapshot
from tests.monitoring.conftest import shifted, write_log


def test_shifted_data_drifts_and_the_model_degrades(store, version, churn_frame, tmp_path):
    path = tmp_path / "shifted.csv"
    shifted(churn_frame).to_csv(path, index=False)
    result = check(store, version, data=str(path))
    report = result.report
    drifted = {c["column"] for c in report["columns"] if c["drifted"]}
    assert {"monthly_charges", "total_charges", "tenure_months", "contract"} <= drifted
    assert "internet" not in drifted and "senior" not in drifted
    assert report["dataset_drift"] and report["drift_share"] == pytest.approx(0.5)
    tests = {c["column"]: c["test"] for c in report["columns"]}
    assert tests["monthly_charges"] == "wasserstein" and tests["contract"] == "jensenshannon"
    assert report["new_columns"] == [] and report["missing_columns"] == []
    assert report["performance"]["source"] == "target column"
    assert report["performance"]["degraded"]
    assert report["estimated"]["calibrated"] and 0 < report["estimated"]["metrics"]["accuracy"] <= 1
    assert [c.id for c in history(store, version)] == [result.id]


def test_training_data_itself_does_not_drift(store, version, churn):
    report = check(store, version, data=churn.label).report
    assert not report["dataset_drift"] and report["drift_share"] == 0
    assert not report["performance"]["degraded"]


def test_small_reference_uses_ks_and_chi_squared(store, version, churn_frame, tmp_path):
    path = tmp_path / "few.csv"
    churn_frame.head(300).to_csv(path, index=False)
    from modelyard.monitoring.settings import MonitorSettings

    report = check(store, version, data=str(path), settings=MonitorSettings(method="ks")).report
    tests = {c["column"]: c["test"] for c in report["columns"]}
    assert tests["monthly_charges"] == "ks" and tests["contract"] == "chisquare"
    assert tests["senior"] == "z"


def test_missing_retyped_all_missing_and_unseen_are_named(store, version, churn_frame, tmp_path):
    frame = churn_frame.drop(columns=["support_calls"]).copy()
    frame["monthly_charges"] = "lots"
    frame["total_charges"] = float("nan")
    frame.loc[:10, "internet"] = "satellite"
    frame["coupon"] = "x"
    path = tmp_path / "odd.csv"
    frame.to_csv(path, index=False)
    report = check(store, version, data=str(path)).report
    by_name = {c["column"]: c for c in report["columns"]}
    assert report["missing_columns"] == ["support_calls"]
    assert report["new_columns"] == ["coupon"]
    assert report["retyped_columns"][0]["column"] == "monthly_charges"
    assert by_name["monthly_charges"]["test"] == "retyped" and by_name["monthly_charges"]["drifted"]
    assert by_name["total_charges"]["test"] == "all missing" and by_name["total_charges"]["drifted"]
    assert "satellite" in by_name["internet"]["note"]
    assert report["performance"] is None  # the model cannot predict without support_calls
    assert any("could not predict" in n for n in report["notes"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n3,4\n", "none of the model's input columns"),
        ("", "is empty"),
    ],
)
def test_bad_current_data_is_refused_and_nothing_is_stored(
    store, version, tmp_path, content, message
):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    before = store_snapshot(store)
    with pytest.raises(InvalidInputError, match=message):
        check(store, version, data=str(path))
    assert store_snapshot(store) == before


def _served(store, version, frame):
    from modelyard.registry.service import predict

    outputs = predict(store, version, frame)
    rows = json.loads(frame.drop(columns=["churn", "customer_id"]).to_json(orient="records"))
    per_row = [
        {"predictions": [p], "probabilities": [q]}
        for p, q in zip(outputs["predictions"], outputs["probabilities"], strict=True)
    ]
    return rows, per_row


def test_request_log_with_late_labels_gives_real_accuracy(store, version, churn_frame, tmp_path):
    frame = churn_frame.head(400)
    rows, outputs = _served(store, version, frame)
    feedback = [(f"r{i}-0", label) for i, label in enumerate(frame["churn"].head(300))]
    folder = write_log(tmp_path / "log", version, rows, outputs, feedback=feedback[:200], torn=True)
    from modelyard.monitoring.feedback import add_feedback

    add_feedback(store, version, feedback[200:])  # the rest arrives as a dropped file
    report = check(store, version, requests=str(folder)).report
    measured = report["performance"]
    assert measured["source"] == "feedback" and measured["labelled_rows"] == 300
    from sklearn.metrics import accuracy_score

    truth = frame["churn"].head(300).astype(str)
    predicted = [str(o["predictions"][0]) for o in outputs[:300]]
    assert measured["values"]["accuracy"] == pytest.approx(accuracy_score(truth, predicted))
    assert [d["day"] for d in measured["over_time"]] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert sum(d["rows"] for d in measured["over_time"]) == 300
    assert report["estimated"]["rows"] == 400
    assert any("cut off" in n for n in report["notes"])
    assert report["current_rows"] == 400 and not report["dataset_drift"]


def test_request_log_of_another_model_is_refused(store, version, churn_frame, tmp_path):
    rows, outputs = _served(store, version, churn_frame.head(5))
    folder = write_log(tmp_path / "log", version, rows, outputs)
    other = type(version)(**{**version.__dict__, "version": 7})
    with pytest.raises(InvalidInputError, match="not of churn-model v7"):
        check(store, other, requests=str(folder))


def test_request_log_with_damaged_lines_is_read_line_by_line(store, version, churn_frame, tmp_path):
    rows, outputs = _served(store, version, churn_frame.head(50))
    folder = write_log(tmp_path / "log", version, rows, outputs)
    with (folder / "requests-2026-12-01.jsonl").open("a") as f:
        f.write("not json at all\n")
        f.write(json.dumps({"type": "prediction", "status": 500, "inputs": "a raw body"}) + "\n")
    report = check(store, version, requests=str(folder)).report
    assert report["current_rows"] == 50
    assert any("could not be read" in n for n in report["notes"])


def test_rules_raise_alerts_on_checks(store, version, churn_frame, tmp_path):
    add_rule(store, "churn-model", "drift_share>=0.3")
    add_rule(store, "churn-model", "column=internet")
    add_rule(store, "churn-model", "drop:accuracy>=0.1")
    path = tmp_path / "shifted.csv"
    shifted(churn_frame).to_csv(path, index=False)
    result = check(store, version, data=str(path))
    alerts = list_alerts(store, "churn-model")
    assert len(result.alert_ids) == 2 and {a.id for a in alerts} == set(result.alert_ids)
    messages = " ".join(a.message for a in alerts)
    assert "50% of the input columns drift" in messages and "accuracy is" in messages


def test_rule_specs_are_checked():
    from modelyard.monitoring.rules import parse_spec

    assert parse_spec("drop>=0.05,action=promote,data=merge") == {
        "kind": "drop", "column": None, "threshold": 0.05, "action": "promote", "merge": True,
    }  # fmt: skip
    assert parse_spec("estimated:f1_macro<0.7")["column"] == "f1_macro"
    for bad in (
        "drift_share>=2",
        "drift_share<0.3",
        "estimated<0.8",
        "column=x,action=explode",
        "nonsense",
    ):
        with pytest.raises(InvalidInputError):
            parse_spec(bad)


def test_html_report_is_self_contained(store, version, churn_frame, tmp_path):
    from modelyard.monitoring.report_html import write_report

    path = tmp_path / "shifted.csv"
    shifted(churn_frame).to_csv(path, index=False)
    report = check(store, version, data=str(path), save=False).report
    write_report(report, tmp_path / "r.html", "html")
    text = (tmp_path / "r.html").read_text()
    assert "<svg" in text and "monthly_charges" in text and "the data drifts" in text
    assert "http" not in text.replace("http-equiv", "")  # nothing to fetch
    assert history(store, version) == []  # save=False keeps nothing


def test_reference_needs_a_dataset(store, version, sample_csv):
    plain = type(version)(**{**version.__dict__, "dataset": None})
    with pytest.raises(InvalidInputError, match="without a dataset"):
        check(store, plain, data=str(sample_csv))


def test_a_served_bundle_feeds_its_own_monitoring(store, version, churn_frame, tmp_path, monkeypatch):
    """predict → row ids → POST /feedback → the request log checked with real accuracy."""
    from fastapi.testclient import TestClient

    from modelyard.deploy.bundle import export_bundle
    from tests.deploy.helpers import load_serving_module

    log = tmp_path / "log"
    monkeypatch.setenv("MODELYARD_REQUEST_LOG", str(log))
    monkeypatch.setenv("MODELYARD_RUNTIME", "skops")
    monkeypatch.delenv("MODELYARD_API_TOKEN", raising=False)
    bundle = export_bundle(store, version, tmp_path / "bundle", onnx=False)
    frame = churn_frame.head(60)
    rows = json.loads(frame.drop(columns=["churn"]).to_json(orient="records"))
    with TestClient(load_serving_module(bundle.path).app) as client:
        ids = []
        for start in range(0, 60, 20):
            answer = client.post("/predict", json={"records": rows[start : start + 20]}).json()
            ids += answer["ids"]
        labels = [{"id": i, "label": label} for i, label in zip(ids[:40], frame["churn"], strict=False)]
        assert client.post("/feedback", json={"records": labels}).json() == {"accepted": 40}
    report = check(store, version, requests=str(log)).report
    assert report["current_rows"] == 60
    assert report["performance"]["labelled_rows"] == 40
    assert report["estimated"]["rows"] == 60
