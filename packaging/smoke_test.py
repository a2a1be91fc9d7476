"""Release check of the build: build (or reuse) dist/Modelyard/, run `Modelyard --self-test`.

    python packaging/smoke_test.py            # reuse an existing build, else build
    python packaging/smoke_test.py --rebuild  # always build first

The frozen executable runs with no Python environment around it (PYTHONPATH and virtualenv
variables removed), offscreen; it prints one line per step and names the step that failed.
Exit status: 0 when the self-test passed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from build import APP, build, folder_size  # noqa: E402

EXECUTABLE = APP / ("Modelyard.exe" if sys.platform == "win32" else "Modelyard")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.rebuild or not EXECUTABLE.exists():
        build(clean=args.rebuild)
    built = time.perf_counter()
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["QT_QPA_PLATFORM"] = "offscreen"
    try:
        done = subprocess.run([str(EXECUTABLE), "--self-test"], env=env, timeout=600)
    except subprocess.TimeoutExpired:
        print("smoke test FAILED: the self-test did not finish within 10 minutes.")
        return 1
    tested = time.perf_counter()
    print(
        f"build {built - started:.0f} s, self-test {tested - built:.0f} s, "
        f"size {folder_size(APP) / 1e6:,.0f} MB: {'passed' if done.returncode == 0 else 'FAILED'}"
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
