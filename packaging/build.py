"""Build the installable app: `python packaging/build.py` → dist/Modelyard/ (one folder).

Runs PyInstaller on packaging/modelyard.spec, then prints the build's size and time. A GPU
build: install the CUDA build of torch into the environment and set MODELYARD_GPU_BUILD=1
(the spec then keeps the CUDA libraries it otherwise leaves out).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
APP = DIST / "Modelyard"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build(clean: bool = True) -> Path:
    started = time.perf_counter()
    from make_icons import make_icons

    make_icons(ROOT / "build" / "icons")  # PNGs for the desktop entry, .ico for Windows
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--distpath",
        str(DIST),
        "--workpath",
        str(ROOT / "build" / "pyinstaller"),
        str(ROOT / "packaging" / "modelyard.spec"),
    ]
    if clean:
        command.insert(3, "--clean")
    subprocess.run(command, check=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    print(f"Built {APP} in {seconds:.0f} s: {folder_size(APP) / 1e6:,.0f} MB")
    return APP


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-clean", action="store_true", help="reuse PyInstaller's cache")
    args = parser.parse_args()
    try:
        build(clean=not args.no_clean)
    except subprocess.CalledProcessError as exc:
        print(f"error: PyInstaller failed with exit code {exc.returncode}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
