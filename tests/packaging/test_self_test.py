"""`modelyard --self-test` from source: the same steps the frozen build's smoke test runs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
DESKTOP = Path(__file__).resolve().parents[2] / "desktop"


def test_the_self_test_passes_from_source(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(DESKTOP), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "modelyard.main", "--self-test"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("self-test ok:") == 5 and "self-test passed" in done.stdout
