"""Start-up time: process launch to the main window's first paint, against a bare PySide6 window.

    .venv/bin/python benchmarks/startup.py [--runs 7]

Both are measured from the parent's clock (Popen to the line the child prints on its first
paint), in the same run, on a store that already holds the sample dataset and a run.
Target (issue 13): under 0.4 s from source; the frozen app (dist/Modelyard/, measured when a
build exists, with no Python environment around it) under 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1180, 760)
class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print("first-paint", flush=True)
            obj.removeEventFilter(self)
            QTimer.singleShot(0, app.quit)
        return False
probe = Probe()
window.installEventFilter(probe)
window.show()
app.exec()
"""


FROZEN = Path(__file__).resolve().parents[1] / "dist" / "Modelyard" / "Modelyard"


def timed_launch(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Seconds from launch to each 'label …' line the child prints."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    marks = {}
    for line in proc.stdout:
        marks[line.split()[0]] = time.perf_counter() - started
    proc.wait(timeout=60)
    return marks


def prepare_home(home: Path) -> None:
    env = dict(os.environ, MODELYARD_HOME=str(home))
    sample = ROOT / "resources" / "samples" / "customer_churn.csv"
    subprocess.run(
        [sys.executable, "-m", "modelyard", "import", str(sample)],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "modelyard",
            "train",
            "--dataset",
            "customer_churn",
            "--target",
            "churn",
            "--model",
            "logistic_regression",
            "--wait",
        ],
        env=env,
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        prepare_home(home)
        app_env = dict(env, MODELYARD_HOME=str(home), MODELYARD_EXIT_AFTER_PAINT="1")
        timed_launch([sys.executable, "-m", "modelyard"], app_env)  # warm the disk cache
        timed_launch([sys.executable, "-c", BARE_WINDOW], env)
        frozen_env = {k: v for k, v in app_env.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        if FROZEN.exists():
            timed_launch([str(FROZEN)], frozen_env)
        app, bare, frozen = [], [], []
        for _ in range(args.runs):
            app.append(timed_launch([sys.executable, "-m", "modelyard"], app_env))
            bare.append(timed_launch([sys.executable, "-c", BARE_WINDOW], env)["first-paint"])
            if FROZEN.exists():
                frozen.append(timed_launch([str(FROZEN)], frozen_env))
    paint = statistics.median(m["first-paint"] for m in app)
    data = statistics.median(m["data-shown"] for m in app)
    bare_paint = statistics.median(bare)
    print(f"runs: {args.runs} each, medians")
    print(f"bare PySide6 window, first paint:     {bare_paint:.3f} s")
    print(f"Modelyard main window, first paint:   {paint:.3f} s  ({paint / bare_paint:.2f}× bare)")
    print(f"Modelyard with store data on screen:  {data:.3f} s  ({data / bare_paint:.2f}× bare)")
    print(f"target < 0.4 s for first paint from source: {'met' if paint < 0.4 else 'NOT met'}")
    if frozen:
        fp = statistics.median(m["first-paint"] for m in frozen)
        print(f"frozen app, first paint:              {fp:.3f} s  ({fp / bare_paint:.2f}× bare)")
        print(f"target < 1 s for the frozen app: {'met' if fp < 1.0 else 'NOT met'}")
    else:
        print(f"no build at {FROZEN}: run packaging/build.py to measure the frozen app too")


if __name__ == "__main__":
    main()
