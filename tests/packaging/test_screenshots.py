"""packaging/screenshots.py drives the real app offscreen and writes its PNGs (quick mode:
the empty store and the imported sample; the full run trains, sweeps, exports)."""

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def test_the_screenshot_script_writes_real_window_images(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("MODELYARD_HOME", None)  # the script makes its own throwaway home
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "screenshots.py"), "--quick", "--out", tmp_path],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["datasets.png", "first-run.png"]
    for name in ("datasets.png", "first-run.png"):
        image = QImage(str(tmp_path / name))
        assert (image.width(), image.height()) == (1280, 800)
        colours = {image.pixel(x, y) for x in range(0, 1280, 7) for y in range(0, 800, 7)}
        assert len(colours) > 20  # text, icons and charts drawn, not a blank window
