"""Files as R writes them (row names under an empty header) and column names that are not
ONNX identifiers (`mean radius`): import, train, register, export with ONNX, serve."""

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from modelyard.datasets.profile import get_profile
from modelyard.datasets.service import import_file, load_frame
from modelyard.deploy.bundle import export_bundle, verify_bundle
from modelyard.registry import runtime
from modelyard.registry.service import predict, register
from tests.conftest import train_in_process
from tests.deploy.helpers import load_serving_module

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")


def r_style_csv(path, rows=200):
    """What R's write.csv(frame) writes: quoted header, row names under an empty first cell."""
    rng = np.random.default_rng(0)
    lines = ['"","mean radius","mean texture","plan type","label"']
    for i in range(rows):
        radius, texture = rng.normal(14, 3), rng.normal(19, 4)
        plan = ["basic plan", "pro plan", "team"][i % 3]
        label = "yes" if radius + rng.normal(0, 1) > 14 else "no"
        lines.append(f'"{i + 1}",{radius:.3f},{texture:.3f},"{plan}","{label}"')
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_r_csv_with_spaced_names_goes_from_import_to_onnx_serving(store, tmp_path, monkeypatch):
    result = import_file(store, r_style_csv(tmp_path / "cells.csv"))
    names = [c.name for c in result.version.columns]
    assert names == ["Unnamed: 0", "mean radius", "mean texture", "plan type", "label"]
    assert "column 1 had no name and holds row names: named 'Unnamed: 0'" in result.message
    assert get_profile(store, result.version)["roles"] == {"Unnamed: 0": "ignore"}

    run = train_in_process(store, result.version, target="label")
    assert run.status == "finished", run.error
    inputs = [c["name"] for c in run.signature["inputs"]]
    assert inputs == ["mean radius", "mean texture", "plan type"]  # row names never learnt
    version = register(store, run.id, "cells")

    bundle = export_bundle(store, version, tmp_path / "bundle")
    manifest = json.loads((bundle.path / "manifest.json").read_text())
    assert manifest["onnx"]["status"] == "exported", manifest["onnx"]
    assert manifest["onnx"]["input_names"]["mean radius"] == "mean_radius"
    assert verify_bundle(bundle.path).ok

    monkeypatch.setenv("MODELYARD_RUNTIME", "onnx")
    client = TestClient(load_serving_module(bundle.path).app)
    rows = load_frame(store, result.version).head(20)
    records = json.loads(rows.drop(columns=["label", "Unnamed: 0"]).to_json(orient="records"))
    response = client.post("/predict", json={"records": records})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == predict(store, version, rows)["predictions"]
    assert client.get("/metadata").json()["runtime"] == "onnx"


def test_onnx_input_names_are_safe_and_unique():
    inputs = [{"name": n} for n in ["mean radius", "mean_radius", "2nd", "größe", "", "ok"]]
    names = runtime.onnx_input_names(inputs)
    assert list(names.values()) == ["mean_radius", "mean_radius_2", "c_2nd", "gr__e", "c", "ok"]


def test_a_graph_without_the_mapping_is_fed_by_column_name():
    feed = runtime.onnx_feed(
        __import__("pandas").DataFrame({"a": [1.0], "b": ["x"]}),
        [{"name": "a", "kind": "float"}, {"name": "b", "kind": "categorical"}],
    )
    assert sorted(feed) == ["a", "b"]


def test_a_long_converter_message_is_cut_at_a_word():
    from modelyard.registry.onnx_export import _short

    text = _short(ValueError("Required inputs (" + ", ".join(f"'col {i}'" for i in range(99))))
    assert len(text) <= 302 and text.endswith(" …") and "'col 1'" in text
