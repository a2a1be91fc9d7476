import json

import pytest
from fastapi.testclient import TestClient

from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle, list_deployments, verify_bundle
from modelyard.errors import InvalidInputError
from modelyard.registry.service import predict
from tests.deploy.helpers import load_serving_module

EXPECTED_FILES = {
    "Dockerfile",
    "MLmodel",
    "MODEL_CARD.html",
    "MODEL_CARD.md",
    "README.md",
    "docker-compose.yml",
    "kubernetes.yaml",
    "model.onnx",
    "modelyard_pyfunc.py",
    "modelyard_serving.py",
    "modelyard_schemas.py",
    "python_env.yaml",
    "manifest.json",
    "model.skops",
    "modelyard_runtime.py",
    "requirements.txt",
    "serve.py",
    "signature.json",
}


def load_app(folder):
    return load_serving_module(folder).app


def test_bundle_holds_everything_needed_to_serve(store, bundle, version):
    files = {p.name for p in bundle.path.iterdir()}
    assert files == EXPECTED_FILES
    manifest = json.loads((bundle.path / "manifest.json").read_text())
    assert set(manifest["files"]) == EXPECTED_FILES - {"manifest.json"}
    assert manifest["model"]["name"] == "churn-model" and manifest["model"]["version"] == 1
    assert manifest["lineage"]["dataset"]["content_hash"] == version.dataset.content_hash
    requirements = (bundle.path / "requirements.txt").read_text()
    assert (
        "scikit-learn==" in requirements
        and "skops==" in requirements
        and "fastapi==" in requirements
    )
    dockerfile = (bundle.path / "Dockerfile").read_text()
    assert "USER modelyard" in dockerfile and "HEALTHCHECK" in dockerfile
    assert [d.path for d in list_deployments(store)] == [str(bundle.path)]
    assert not any(p.name.startswith(".bundle") for p in bundle.path.parent.iterdir())


def test_served_predictions_equal_the_registry_model(store, bundle, version, churn):
    rows = load_frame(store, churn).head(25)
    expected = predict(store, version, rows)
    client = TestClient(load_app(bundle.path))
    assert client.get("/health").json() == {"status": "ok"}
    records = json.loads(rows.drop(columns=["churn"]).to_json(orient="records"))
    response = client.post("/predict", json={"records": records})
    assert response.status_code == 200
    assert response.json()["predictions"] == expected["predictions"]
    for got, want in zip(response.json()["probabilities"], expected["probabilities"], strict=True):
        assert got == pytest.approx(want)
    meta = client.get("/metadata").json()
    assert meta["lineage"]["run_id"] == version.run_id
    bad = client.post("/predict", json={"records": [{"tenure_months": "many"}]})
    assert bad.status_code == 422 and "missing column" in bad.json()["detail"]
    assert client.post("/predict", json={"rows": []}).status_code == 422
    assert verify_bundle(bundle.path).ok  # serving did not write into the bundle


def test_verify_passes_on_an_untouched_bundle(bundle):
    result = verify_bundle(bundle.path)
    assert result.ok, result.describe()


@pytest.mark.parametrize(
    "tamper,kind,name",
    [
        (lambda p: (p / "model.skops").write_bytes(b"evil"), "changed", "model.skops"),
        (lambda p: (p / "serve.py").unlink(), "missing", "serve.py"),
        (lambda p: (p / "backdoor.py").write_text("print(1)"), "added", "backdoor.py"),
    ],
)
def test_verify_names_the_tampered_file(bundle, tamper, kind, name):
    target = bundle.path / "model.skops"
    target.chmod(0o644)
    tamper(bundle.path)
    result = verify_bundle(bundle.path)
    assert not result.ok
    assert getattr(result, kind) == [name]
    assert f"{kind}: {name}" in result.describe()


def test_a_manifest_pointing_outside_the_bundle_is_refused(bundle):
    manifest_path = bundle.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["../../etc/passwd"] = {"sha256": "0" * 64, "size": 1}
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(InvalidInputError, match="outside the bundle"):
        verify_bundle(bundle.path)


def test_export_refuses_to_overwrite_unless_asked(store, version, bundle):
    with pytest.raises(InvalidInputError, match="already exists"):
        export_bundle(store, version, bundle.path)
    (bundle.path / "extra.txt").write_text("x")
    again = export_bundle(store, version, bundle.path, overwrite=True)
    assert not (again.path / "extra.txt").exists()
    assert verify_bundle(again.path).ok


def test_verify_of_a_folder_without_manifest(tmp_path):
    with pytest.raises(InvalidInputError, match="not a Modelyard bundle"):
        verify_bundle(tmp_path)


def test_force_never_replaces_a_folder_that_is_not_a_bundle(store, version, tmp_path):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("years of work")
    with pytest.raises(InvalidInputError, match="not a Modelyard bundle"):
        export_bundle(store, version, precious, overwrite=True)
    assert (precious / "chapter1.tex").read_text() == "years of work"


@pytest.mark.parametrize("where", ["home", "inside", "above"])
def test_export_refuses_the_data_folder(store, version, where):
    home = store.home
    out = {"home": home, "inside": home / "blobs" / "x", "above": home.parent}[where]
    with pytest.raises(InvalidInputError, match="data folder"):
        export_bundle(store, version, out, overwrite=True)
    assert store.blobs.exists(version.blob)


def test_unwritable_destination_is_a_clear_error(store, version, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidInputError, match="cannot be created"):
        export_bundle(store, version, blocker / "bundle")


@pytest.mark.parametrize("files", [{"serve.py": "x"}, [1], "nope", {"serve.py": {"size": 1}}])
def test_a_damaged_manifest_is_reported(bundle, files):
    path = bundle.path / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"] = files
    path.write_text(json.dumps(manifest))
    with pytest.raises(InvalidInputError, match="damaged"):
        verify_bundle(bundle.path)
    path.write_text("[1]")
    with pytest.raises(InvalidInputError, match="damaged"):
        verify_bundle(bundle.path)


def test_a_symlinked_file_fails_verification(bundle, tmp_path):
    outside = tmp_path / "outside.skops"
    outside.write_bytes((bundle.path / "model.skops").read_bytes())
    (bundle.path / "model.skops").unlink()
    (bundle.path / "model.skops").symlink_to(outside)
    result = verify_bundle(bundle.path)
    assert result.changed == ["model.skops"]


def test_bytecode_caches_are_reported_with_a_hint(bundle):
    (bundle.path / "__pycache__").mkdir()
    (bundle.path / "__pycache__" / "serve.cpython-311.pyc").write_bytes(b"x")
    result = verify_bundle(bundle.path)
    assert result.added == ["__pycache__/serve.cpython-311.pyc"]
    assert "PYTHONDONTWRITEBYTECODE=1" in result.describe()


def test_a_long_list_of_differences_is_summarised(bundle):
    venv = bundle.path / ".venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for i in range(2000):
        (venv / "lib" / f"module_{i:04}.py").write_text("")
    result = verify_bundle(bundle.path)
    assert len(result.added) == 2001
    text = result.describe()
    assert len(text) < 1000
    assert "added: 2,001 files (.venv/lib/module_0000.py" in text and "1,996 more" in text
    assert ".venv is a virtual environment inside the bundle" in text
