"""`pip install .` ships what the app loads from files: resources, migrations, deploy templates."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        cwd=out,
    )
    return next(out.glob("modelyard-*.whl"))


def test_the_wheel_holds_resources_migrations_and_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "modelyard/resources/themes/light.qss",
        "modelyard/resources/icons/modelyard.svg",
        "modelyard/resources/samples/customer_churn.csv",
        "modelyard/store/migrations/env.py",
        "modelyard/store/migrations/versions/0001_initial_schema.py",
        "modelyard/deploy/template/serve.py",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "modelyard/resources/screenshots")) for n in names)


def test_an_installed_wheel_finds_its_resources(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MODELYARD_RESOURCES")}
    env["PYTHONPATH"] = str(target)
    found = subprocess.run(
        [sys.executable, "-c", "from modelyard import paths; print(paths.resources_dir())"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
    ).stdout.strip()
    assert Path(found) == target / "modelyard" / "resources"
    assert (Path(found) / "themes" / "light.qss").is_file()
