import pytest

from modelyard.deploy.bundle import export_bundle
from modelyard.registry.service import register


@pytest.fixture(autouse=True)
def request_log(tmp_path, monkeypatch):
    """Serving apps in these tests log here (never the user's home) and use the skops model."""
    folder = tmp_path / "request-log"
    monkeypatch.setenv("MODELYARD_REQUEST_LOG", str(folder))
    monkeypatch.delenv("MODELYARD_API_TOKEN", raising=False)
    monkeypatch.setenv("MODELYARD_RUNTIME", "skops")  # exact equality with the registry
    return folder


@pytest.fixture
def version(store, finished_run):
    return register(store, finished_run.id, "churn-model")


@pytest.fixture
def bundle(store, version, tmp_path):
    return export_bundle(store, version, tmp_path / "bundle")
