"""The Deployments page compares an A/B or shadow bundle's versions on what they served, and
promotes or rolls back with one action that writes a new bundle."""

import json

from modelyard.datasets.service import load_frame
from modelyard.deploy.bundle import export_bundle
from modelyard.registry.service import register
from tests.conftest import train_in_process
from tests.deploy.helpers import load_serving_module
from tests.deploy.test_served_compare import serve_and_label


def test_compare_then_promote_and_roll_back_from_the_deployments_page(
    window, qtbot, store, churn, tmp_path, monkeypatch
):
    log = tmp_path / "log"
    monkeypatch.setenv("MODELYARD_REQUEST_LOG", str(log))
    monkeypatch.delenv("MODELYARD_API_TOKEN", raising=False)
    monkeypatch.setenv("MODELYARD_RUNTIME", "skops")
    first = register(store, train_in_process(store, churn).id, "churn-model")
    forest = train_in_process(store, churn, kind="random_forest", params={"n_estimators": 5})
    register(store, forest.id, "churn-model")
    single = export_bundle(store, first, tmp_path / "single", onnx=False)
    shadow = export_bundle(store, first, tmp_path / "shadow", onnx=False, shadow=2)
    data = load_frame(store, churn).head(60)
    frame, labels = data.drop(columns=["churn"]), [str(v) for v in data["churn"]]
    serve_and_label(load_serving_module(shadow.path), frame, labels, keyed=False)

    page = window.deployments_page
    window.show_page(page)
    qtbot.waitUntil(lambda: page.table.rowCount() == 2)
    by_path = {page._deployments[k].path: k for k in page._deployments}
    page.table.selectRow(
        next(r for r in range(2) if page.table.item(r, 1).text() == str(single.path))
    )
    assert not page.compare_button.isEnabled() and not page.promote_button.isEnabled()
    page.table.selectRow(
        next(r for r in range(2) if page.table.item(r, 1).text() == str(shadow.path))
    )
    assert page.compare_button.isEnabled() and page.rollback_button.isEnabled()

    deployment = page._deployments[by_path[str(shadow.path)]]
    page.compare_served(deployment, log)
    qtbot.waitUntil(lambda: not page.ab_busy, timeout=30000)
    text = page.result.text()
    assert "churn-model v1" in text and "churn-model v2" in text and "shadow, same rows" in text
    assert "(60 labelled rows)" in text

    out = tmp_path / "new"
    out.mkdir()
    page.rewrite(deployment, "promote", out)
    qtbot.waitUntil(lambda: not page.ab_busy, timeout=60000)
    manifest = json.loads((out / "churn-model-v2" / "manifest.json").read_text())
    assert manifest["model"]["version"] == 2 and not manifest.get("routing")
    assert "Promoted the challenger" in page.result.text()
    page.rewrite(deployment, "rollback", out)
    qtbot.waitUntil(lambda: not page.ab_busy, timeout=60000)
    assert (
        json.loads((out / "churn-model-v1" / "manifest.json").read_text())["model"]["version"] == 1
    )
    qtbot.waitUntil(lambda: page.table.rowCount() == 4)
