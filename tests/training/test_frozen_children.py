"""Child processes in a frozen build: the app binary's hidden verbs instead of `python -m`.

No build is needed: `sys.frozen` is simulated, and one real worker is started through the
main entry point's `_worker` verb by a stand-in for the app binary.
"""

import stat
import sys
from pathlib import Path

import pytest

from modelyard.deploy import testserve
from modelyard.store.settings import set_setting
from modelyard.training import launcher
from modelyard.training.jobs import create_run
from modelyard.training.script_runner import missing_package_message

APP = "/opt/Modelyard/Modelyard"


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", APP)


def test_frozen_children_are_started_through_the_app_binary(frozen):
    assert launcher.worker_command(7) == [APP, "_worker", "7"]
    assert launcher.worker_command(7, "script") == [APP, "_script", "7"]
    assert launcher.sweep_command(3) == [APP, "_sweep", "3"]
    assert testserve.serve_command(8123) == [APP, "_serve", "8123"]


def test_source_children_are_started_as_modules():
    assert launcher.worker_command(7)[1:] == ["-m", "modelyard.training.worker", "7"]
    assert launcher.sweep_command(3)[1:] == ["-m", "modelyard.training.sweep_driver", "3"]
    assert testserve.serve_command(8123)[1:3] == ["-m", "uvicorn"]


def test_user_scripts_run_with_the_python_chosen_in_settings(store, frozen):
    assert launcher.script_python(store) is None
    set_setting(store, launcher.SCRIPT_PYTHON, "/usr/bin/python3")
    python = launcher.script_python(store)
    assert launcher.worker_command(5, "script", python) == [
        "/usr/bin/python3",
        "-m",
        "modelyard.training.script_runner",
        "5",
    ]
    assert launcher.worker_command(5, "trainer", python) == [APP, "_worker", "5"]


def test_a_missing_package_is_one_sentence():
    message = missing_package_message("lightgbm.sklearn")
    assert "'lightgbm'" in message and "Settings" in message and "\n" not in message


@pytest.mark.slow
def test_a_real_worker_starts_through_the_hidden_verb(store, churn, tmp_path, monkeypatch):
    source_root = Path(launcher.__file__).resolve().parents[2]
    app = tmp_path / "Modelyard"  # stands in for the frozen binary: `Modelyard _worker 7`
    app.write_text(
        f'#!/bin/sh\nPYTHONPATH="{source_root}" exec "{sys.executable}" -m modelyard.main "$@"\n'
    )
    app.chmod(app.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    run = create_run(store, churn, "churn", "random_forest", {"n_estimators": 5})
    proc = launcher.start(store, run.id)
    assert proc.args[1:] == ["_worker", str(run.id)]
    done = launcher.wait(store, proc, run.id, timeout=120)
    assert proc.returncode == 0, launcher.log_path(store, run.id).read_text()
    assert done.status == "finished" and "accuracy" in done.metrics
