"""Date and datetime columns are expanded into features, the same way in training, the
registry and a served bundle; every column a run does not use is listed with its reason."""

import pandas as pd
import pytest

from modelyard.registry import runtime
from tests.conftest import train_in_process

ROWS = 60


def _dated(store, tmp_path):
    from modelyard.datasets.service import import_file

    lines = [
        f"{i},2024-01-{i % 28 + 1:02d} {i % 24:02d}:30:00,2024-02-{i % 28 + 1:02d},"
        f"free text {i},same,{i % 5},{'late' if i % 28 > 14 else 'early'}\n"
        for i in range(ROWS)
    ]
    path = tmp_path / "orders.csv"
    path.write_text("order_id,placed,shipped,comment,shop,items,when\n" + "".join(lines))
    return import_file(store, path).version


def test_a_date_becomes_its_parts():
    column = runtime.date_input("d", pd.Series(pd.to_datetime(["2024-03-01", "2024-03-04"])))
    assert column == {
        "name": "d",
        "kind": "datetime",
        "parts": ["year", "month", "dayofweek", "dayofyear", "elapsed_days"],  # no times: no hour
        "origin": "2024-03-01T00:00:00",
    }
    # served rows arrive as text (JSON): same features as the training frame's timestamps
    frame = pd.DataFrame({"d": ["2024-03-04", None, "2025-01-01T06:00:00+02:00"]})
    features = runtime.prepare_features(frame, [column])
    assert list(features.columns) == [f"d.{p}" for p in column["parts"]]
    assert features.iloc[0].tolist() == [2024, 3, 0, 64, 3.0]  # a Monday, 3 days after origin
    assert features.iloc[1].isna().all()  # a missing date is imputed like a missing number
    assert features.iloc[2]["d.elapsed_days"] == pytest.approx(306 + 4 / 24)  # to UTC
    timed = runtime.date_input("t", pd.Series(["2024-03-01 00:00", "2024-03-01 13:45"]))
    assert "hour" in timed["parts"]
    hours = runtime.prepare_features(pd.DataFrame({"t": ["2024-03-02 13:45"]}), [timed])
    assert hours["t.hour"].iloc[0] == 13.75
    with pytest.raises(runtime.InputError, match="must be a date or time"):
        runtime.prepare_features(pd.DataFrame({"d": ["soon"]}), [column])
    with pytest.raises(runtime.InputError, match="must be a date or time"):
        runtime.prepare_features(pd.DataFrame({"d": [20240301]}), [column])


def test_a_run_uses_its_dates_and_says_what_it_left_out(store, tmp_path):
    from modelyard.cli.format import run_detail

    run = train_in_process(
        store, _dated(store, tmp_path), "when", "random_forest", {"n_estimators": 5}
    )
    kinds = {c["name"]: c["kind"] for c in run.signature["inputs"]}
    assert kinds == {"placed": "datetime", "shipped": "datetime", "items": "integer"}
    placed = next(c for c in run.signature["inputs"] if c["name"] == "placed")
    assert "hour" in placed["parts"] and placed["origin"] == "2024-01-01T00:30:00"
    assert {c["name"]: c["reason"].split(":")[0] for c in run.signature["unused"]} == {
        "order_id": "ID-like",
        "comment": "ID-like",
        "shop": "constant",
    }
    text = run_detail(run)
    assert "placed (date) → year, month, dayofweek, dayofyear, hour, elapsed_days" in text
    assert "shop           constant" in text
    # the run learned from the dates: 'when' is a function of the day of month alone
    assert run.metrics["cv_accuracy"] > 0.8


def test_a_bundle_serves_date_columns_like_the_registry(store, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from modelyard.deploy.bundle import export_bundle
    from modelyard.registry.service import predict, register
    from tests.deploy.helpers import load_serving_module

    monkeypatch.setenv("MODELYARD_REQUEST_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("MODELYARD_RUNTIME", "skops")
    monkeypatch.delenv("MODELYARD_API_TOKEN", raising=False)
    dataset = _dated(store, tmp_path)
    run = train_in_process(store, dataset, "when", "random_forest", {"n_estimators": 5})
    version = register(store, run.id, "orders")
    records = [
        {"placed": "2024-01-20 05:30:00", "shipped": "2024-02-03", "items": 2},
        {"placed": "2024-01-03T22:30:00", "shipped": "2024-02-25", "items": 4},
    ]
    expected = predict(store, version, pd.DataFrame(records))["predictions"]
    bundle = export_bundle(store, version, tmp_path / "bundle")
    client = TestClient(load_serving_module(bundle.path).app)
    served = client.post("/predict", json={"records": records})
    assert served.status_code == 200, served.text
    assert served.json()["predictions"] == expected
    bad = client.post("/predict", json={"records": [{**records[0], "placed": "tomorrow"}]})
    assert bad.status_code == 422 and "must be a date or time" in bad.text


def test_monitoring_tests_a_date_column_as_the_days_it_stands_for():
    from modelyard.monitoring.drift import compare_frames

    days = pd.date_range("2024-01-01", periods=200, freq="D")
    reference = pd.DataFrame({"d": days})
    inputs = [{"name": "d", "kind": "datetime", "parts": ["year"], "origin": "2024-01-01"}]
    same = compare_frames(reference, pd.DataFrame({"d": days.astype(str)}), inputs).to_json()
    later = compare_frames(reference, pd.DataFrame({"d": days + pd.Timedelta(days=400)}), inputs)
    column = same["columns"][0]
    assert column["kind"] == "numeric" and not column["drifted"]
    assert later.to_json()["columns"][0]["drifted"]
