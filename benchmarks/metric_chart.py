"""A metric history of 1,000,000 points in the run's Charts tab: time to the curve on screen
and the time per frame while panning and zooming, against a plain pyqtgraph plot of the same
points (no downsampling, no clipping to the view), in the same run.

    .venv/bin/python benchmarks/metric_chart.py [--points 1000000] [--frames 30]

Modelyard side: the points are logged through the SDK into a fresh store; the real
MetricCurves widget reads them (off the GUI thread) and draws them with peak downsampling and
clip-to-view (antialiased). Peer: `PlotWidget().plot(steps, values)` with pyqtgraph's defaults
(no antialiasing, one-pixel pen, every point drawn) and the same arrays already in memory.
Each frame is a pan (or zoom) of the x range followed by a synchronous repaint; frames are
timed on the GUI thread. Offscreen Qt, so the figures are CPU drawing, no GPU compositing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def log_points(n: int) -> int:
    import math

    import modelyard

    run = modelyard.start_run(name="long", capture_output=False, system_metrics=False)
    for step in range(n):
        run.log_metric("loss", 1.0 / (1 + step / 1000) + 0.05 * math.sin(step / 50), step=step)
    run.end()
    return run.id


def frames(app, plot, n_frames: int, n_points: int) -> tuple[list[float], list[float]]:
    """Pan across the whole range, then zoom from one tenth out to everything and back."""
    view = plot.getPlotItem().getViewBox()
    width = n_points / 10
    pans, zooms = [], []
    for i in range(n_frames):
        start = (n_points - width) * i / max(n_frames - 1, 1)
        t = time.perf_counter()
        view.setXRange(start, start + width, padding=0)
        plot.repaint()
        app.processEvents()
        pans.append(time.perf_counter() - t)
    for i in range(n_frames):
        span = width + (n_points - width) * abs(1 - 2 * i / max(n_frames - 1, 1))
        t = time.perf_counter()
        view.setXRange(0, span, padding=0)
        plot.repaint()
        app.processEvents()
        zooms.append(time.perf_counter() - t)
    return pans, zooms


def modelyard_side(app, store, run_id: int, n_frames: int, n_points: int) -> dict:
    from PySide6.QtCore import QThreadPool

    from modelyard.gui.charts import pg
    from modelyard.gui.pages.runs.metric_curves import MetricCurves
    from modelyard.tracking.runs import get_run

    pg()  # the app imports pyqtgraph on a thread at start-up; not part of this figure
    curves = MetricCurves()
    curves.resize(1000, 420)
    run = get_run(store, run_id)
    started = time.perf_counter()
    curves.show_run(store, run)
    while curves.busy or "loss" not in curves.curves:
        QThreadPool.globalInstance().waitForDone(5)
        app.processEvents()
    curves.show()
    plot = curves.plots["loss"]
    plot.repaint()
    app.processEvents()
    first = time.perf_counter() - started
    steps, _values = curves.series_arrays("loss")
    assert len(steps) == n_points, f"the chart holds {len(steps)} points, not {n_points}"
    pans, zooms = frames(app, plot, n_frames, n_points)
    return {"first": first, "pan": pans, "zoom": zooms}


def peer_side(app, steps, values, n_frames: int, n_points: int) -> dict:
    import pyqtgraph

    pyqtgraph.setConfigOptions(antialias=False)  # pyqtgraph's defaults: no antialiasing
    plot = pyqtgraph.PlotWidget()
    plot.resize(1000, 420)
    started = time.perf_counter()
    plot.plot(steps, values)  # a one-pixel pen, every point drawn
    plot.show()
    plot.repaint()
    app.processEvents()
    first = time.perf_counter() - started
    pans, zooms = frames(app, plot, n_frames, n_points)
    return {"first": first, "pan": pans, "zoom": zooms}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MODELYARD_HOME"] = str(Path(tmp) / "home")
        from modelyard.store import open_store
        from modelyard.tracking.runs import metric_arrays

        print(f"Logging {args.points:,} points through the SDK…", flush=True)
        run_id = log_points(args.points)
        store = open_store()
        ours = modelyard_side(app, store, run_id, args.frames, args.points)
        arrays, _ = metric_arrays(store, run_id)
        steps, values = arrays["loss"]
        peer = peer_side(app, steps, values, args.frames, args.points)
        store.close()

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.0f} ms"

    def p95(samples: list[float]) -> float:
        return sorted(samples)[int(0.95 * (len(samples) - 1))]

    print(
        f"\n{args.points:,} points, {args.frames} pan and {args.frames} zoom frames (offscreen Qt)"
    )
    print(f"{'':38}{'Modelyard':>12}{'plain pyqtgraph':>18}{'ratio':>9}")
    rows = [
        ("select run → curve on screen", ours["first"], peer["first"]),
        ("pan frame, median", statistics.median(ours["pan"]), statistics.median(peer["pan"])),
        ("pan frame, p95", p95(ours["pan"]), p95(peer["pan"])),
        ("zoom frame, median", statistics.median(ours["zoom"]), statistics.median(peer["zoom"])),
        ("zoom frame, p95", p95(ours["zoom"]), p95(peer["zoom"])),
    ]
    for label, mine, theirs in rows:
        print(f"{label:38}{ms(mine):>12}{ms(theirs):>18}{theirs / mine:>8.1f}×")
    print(
        "\n(Modelyard's first figure includes reading the million points from the store on a "
        "worker thread; the plain plot starts from arrays already in memory.)"
    )
    worst = max(p95(ours["pan"]), p95(ours["zoom"]))
    print(f"interactive (p95 frame < 100 ms): {'yes' if worst < 0.1 else 'no'} ({ms(worst)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
