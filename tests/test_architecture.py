"""The one rule of the architecture: nothing outside modelyard.gui imports Qt."""

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import modelyard

ROOT = Path(__file__).resolve().parents[1]


def contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [qt_contract] = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["name"] == "Only the GUI imports Qt"
    ]
    return qt_contract


def test_every_module_outside_gui_is_covered_by_the_contract():
    modules = {f"modelyard.{m.name}" for m in pkgutil.iter_modules(modelyard.__path__)}
    # main is the entry point that chooses between the GUI and the CLI; __main__ calls it.
    expected = modules - {"modelyard.gui", "modelyard.main", "modelyard.__main__"}
    assert expected <= set(contract()["source_modules"])


def test_import_linter_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Only the GUI imports Qt KEPT" in result.stdout
    assert "Tracking does not reach up KEPT" in result.stdout


def test_core_imports_without_qt_in_a_fresh_interpreter():
    code = (
        "import sys\n"
        "import modelyard.cli.main, modelyard.training.worker, modelyard.deploy.bundle\n"
        "import modelyard.registry.service, modelyard.datasets.service\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken6'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
