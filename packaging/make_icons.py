"""Icons at the standard sizes from resources/icons/modelyard.svg, drawn with QSvgRenderer.

    python packaging/make_icons.py [OUT]     # default build/icons

Writes OUT/hicolor/<n>x<n>/apps/modelyard.png (the XDG icon theme layout) and, where Qt's
image plugins can, OUT/modelyard.ico for a Windows build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "modelyard.svg"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def make_icons(out: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"error: {SVG} is not an SVG Qt can draw.")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        path = out / "hicolor" / f"{size}x{size}" / "apps" / "modelyard.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".png.partial")
        image.save(str(partial), "PNG")
        partial.replace(path)
        written.append(path)
        if size == 256:
            image.save(str(out / "modelyard.ico"), "ICO")  # skipped silently without the plugin
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"
    print(f"{len(make_icons(target))} icons in {target}")
