"""Compose, Kubernetes and MLflow files of a bundle; no user text in Dockerfile shell lines."""

import importlib
import json
import os
import sys

import yaml

from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle, verify_bundle
from modelyard.registry.service import predict, register

HOSTILE = 'evil"; $(curl x|sh) `id` #\nRUN rm -rf ~'


def test_kubernetes_manifest_has_probes_resources_and_a_service(bundle):
    deployment, service = yaml.safe_load_all((bundle.path / "kubernetes.yaml").read_text())
    assert deployment["kind"] == "Deployment" and service["kind"] == "Service"
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert (
        container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
    )
    assert container["image"] == "churn-model:1"
    token = next(e for e in container["env"] if e["name"] == "MODELYARD_API_TOKEN")
    assert token["valueFrom"]["secretKeyRef"]["optional"] is True
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_compose_file_builds_the_bundle_and_keeps_the_log_in_a_volume(bundle):
    compose = yaml.safe_load((bundle.path / "docker-compose.yml").read_text())
    [(name, service)] = compose["services"].items()
    assert name == "churn-model" and service["build"] == "."
    assert service["environment"]["MODELYARD_REQUEST_LOG"] == "/var/log/modelyard"
    assert service["volumes"] == ["request-log:/var/log/modelyard"]


def test_a_hostile_model_name_reaches_no_dockerfile_line(store, finished_run, tmp_path):
    version = register(store, finished_run.id, HOSTILE)
    bundle = export_bundle(store, version, tmp_path / "hostile")
    dockerfile = (bundle.path / "Dockerfile").read_text()
    for fragment in ("evil", "curl", "$(", "`", "rm -rf"):
        assert fragment not in dockerfile
    deployment, _service = yaml.safe_load_all((bundle.path / "kubernetes.yaml").read_text())
    assert deployment["metadata"]["name"] == "evil-curl-x-sh-id-run-rm-rf"
    assert yaml.safe_load((bundle.path / "docker-compose.yml").read_text())["services"]
    mlmodel = yaml.safe_load((bundle.path / "MLmodel").read_text())
    assert mlmodel["metadata"]["modelyard_model"] == HOSTILE
    assert verify_bundle(bundle.path).ok


def test_bundle_loads_as_an_mlflow_python_function_model(store, version, bundle, churn):
    """Do what mlflow.pyfunc.load_model does with the MLmodel file, without MLflow installed."""
    mlmodel = yaml.safe_load((bundle.path / "MLmodel").read_text())
    flavour = mlmodel["flavors"]["python_function"]
    assert (bundle.path / flavour["env"]["virtualenv"]).is_file()
    code_path = os.path.join(bundle.path, flavour["code"])
    sys.path.insert(0, code_path)
    sys.dont_write_bytecode, before = True, sys.dont_write_bytecode
    try:
        loader = importlib.import_module(flavour["loader_module"])
        model = loader._load_pyfunc(os.path.join(bundle.path, flavour["data"]))
    finally:
        sys.dont_write_bytecode = before
        sys.path.remove(code_path)
        for name in (flavour["loader_module"], "modelyard_runtime"):
            sys.modules.pop(name, None)
    rows = load_frame(store, churn).head(20)
    assert list(model.predict(rows)) == predict(store, version, rows)["predictions"]
    assert verify_bundle(bundle.path).ok


def test_a_symlink_placed_in_a_bundle_is_reported(bundle):
    (bundle.path / "model.skops").chmod(0o644)
    (bundle.path / "model.skops").unlink()
    (bundle.path / "model.skops").symlink_to(bundle.path / "serve.py")
    assert verify_bundle(bundle.path).changed == ["model.skops"]


def test_python_env_installs_the_pinned_requirements(bundle):
    env = yaml.safe_load((bundle.path / "python_env.yaml").read_text())
    manifest = json.loads((bundle.path / "manifest.json").read_text())
    assert env["dependencies"] == ["-r requirements.txt"]
    assert manifest["model"]["version"] == 1 and env["python"].count(".") == 2


def test_readme_commands_use_a_real_row_of_the_dataset(store, bundle, churn):
    first = load_frame(store, churn).iloc[0]
    readme = (bundle.path / "README.md").read_text()
    assert f'"contract": "{first["contract"]}"' in readme
    assert f'"tenure_months": {first["tenure_months"]}' in readme
    assert "Content-Type: text/csv" in readme and "Authorization: Bearer" in readme


def test_the_readme_keeps_the_virtual_environment_out_of_the_bundle(bundle):
    readme = (bundle.path / "README.md").read_text()
    assert "python -m venv ../churn-model-venv" in readme
    assert "../churn-model-venv/bin/uvicorn serve:app" in readme
    assert "venv .venv" not in readme and ".venv/bin" not in readme
    assert "modelyard bundle verify ." in readme and "POST http://127.0.0.1:8000/feedback" in readme
