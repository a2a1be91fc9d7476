"""`Modelyard --self-test`: the installed app proves it works end to end, in a throwaway home.

Each step prints one line; the first failure names its step and exits non-zero. The training
step starts a real worker process the way the app does (the frozen binary's `_worker` verb in
a build), so a build that cannot start its children fails here rather than on a user's desk.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def run() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="modelyard-self-test-") as scratch:
        os.environ["MODELYARD_HOME"] = str(Path(scratch) / "home")
        os.environ.pop("MODELYARD_STORE_URL", None)
        os.environ.pop("MODELYARD_BLOB_DIR", None)
        return _steps(Path(scratch))


def _steps(scratch: Path) -> int:
    state: dict = {}
    steps: list[tuple[str, Callable[[], str]]] = [
        ("open the main window", lambda: _open_window(state)),
        ("import the sample dataset", lambda: _import(state)),
        ("train a run in a worker process", lambda: _train(state)),
        ("register the model", lambda: _register(state)),
        ("export and verify a bundle", lambda: _export(state, scratch / "bundle")),
    ]
    try:
        for name, step in steps:
            try:
                detail = step()
            except Exception as exc:  # noqa: BLE001 - the step's failure is the test's result
                print(f"self-test FAILED at '{name}': {type(exc).__name__}: {exc}", flush=True)
                return 1
            print(f"self-test ok: {name} — {detail}", flush=True)
    finally:
        _close(state)
    print("self-test passed", flush=True)
    return 0


def _open_window(state: dict) -> str:
    from PySide6.QtWidgets import QApplication

    from modelyard import paths
    from modelyard.gui.app import _stylesheet
    from modelyard.gui.main_window import MainWindow
    from modelyard.store import open_store

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyleSheet(_stylesheet())
    if not (paths.resources_dir() / "themes" / "light.qss").is_file():
        raise RuntimeError(f"the theme is missing from {paths.resources_dir()}")
    state["app"], state["store"] = app, open_store()
    window = MainWindow(state["store"])
    window.show()
    app.processEvents()
    state["window"] = window
    return f"{window.width()}×{window.height()} on {app.platformName()}"


def _import(state: dict) -> str:
    from modelyard import paths
    from modelyard.datasets.service import import_file

    state["dataset"] = import_file(state["store"], paths.sample_dataset()).version
    return state["dataset"].label


def _train(state: dict) -> str:
    from modelyard.training import launcher
    from modelyard.training.jobs import create_run

    store = state["store"]
    run = create_run(store, state["dataset"], "churn", "random_forest", {"n_estimators": 20})
    proc = launcher.start(store, run.id)
    done = launcher.wait(store, proc, run.id, timeout=300)
    if done.status != "finished":
        log = launcher.log_path(store, run.id)
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"run {run.id} {done.status}: {done.error}\n{tail}")
    state["run"] = done
    return f"run {done.id} (started as {' '.join(proc.args[1:2])}) accuracy={done.metrics.get('accuracy')}"


def _register(state: dict) -> str:
    from modelyard.registry.service import register

    state["version"] = register(state["store"], state["run"].id, "self-test")
    return state["version"].label


def _export(state: dict, out: Path) -> str:
    from modelyard.deploy.bundle import export_bundle, verify_bundle

    bundle = export_bundle(state["store"], state["version"], out, onnx=False)
    result = verify_bundle(bundle.path)
    if not result.ok:
        raise RuntimeError(result.describe())
    return f"{len(bundle.files) + 1} files, {bundle.size:,} bytes"


def _close(state: dict) -> None:
    window = state.pop("window", None)
    if window is not None:
        window.close()
        window.deleteLater()
        state["app"].processEvents()
    store = state.pop("store", None)
    if store is not None:
        store.close()
