"""The README's screenshots, taken from the real app driven offscreen with the sample data.

    .venv/bin/python packaging/screenshots.py            # every page into resources/screenshots/
    .venv/bin/python packaging/screenshots.py --quick --out /tmp/shots   # first two only

In a throwaway Modelyard home, the window does what a user would: imports the sample dataset,
trains runs in real worker processes, compares them, runs a small sweep, registers a model,
evaluates it, checks drifted data on Monitoring, exports a bundle, and waits for the machine
samples; each page is grabbed as a PNG. Nothing here is mocked: a screenshot that looks wrong
is a page that is wrong. The light theme is used so that the pictures do not depend on the
desktop's choice.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1280, 800)


def _use_this_tree() -> None:
    """Run this checkout's code, here and in the worker processes the app starts."""
    source = str(ROOT / "desktop")
    sys.path.insert(0, source)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (source, os.environ.get("PYTHONPATH", "")) if p
    )
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class Driver:
    def __init__(self, out: Path) -> None:
        from PySide6.QtWidgets import QApplication

        from modelyard.gui import theme
        from modelyard.gui.main_window import MainWindow
        from modelyard.store import open_store

        self.out = out
        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        self.app.setApplicationName("Modelyard")
        theme.apply(self.app, "light")
        self.store = open_store()
        self.window = MainWindow(self.store)
        self.window.resize(*SIZE)
        self.window.show()
        self.written: list[Path] = []

    # ---- waiting --------------------------------------------------------------------------
    def wait(self, condition, what: str, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up waiting for {what}")
            self.app.processEvents()
            time.sleep(0.02)
        self.settle()

    def settle(self, seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.02)

    def shoot(self, name: str) -> Path:
        self.window.banner.hide()
        self.settle()
        path = self.out / f"{name}.png"
        if not self.window.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        self.written.append(path)
        print(f"wrote {path}", flush=True)
        return path

    # ---- what a user does -----------------------------------------------------------------
    def import_sample(self):
        from modelyard.datasets.service import list_datasets
        from modelyard.gui.charts import preload_in_background, ready

        preload_in_background()
        self.window.datasets_page.sample_button.click()
        self.wait(lambda: list_datasets(self.store) and not self.window.busy, "the import")
        self.wait(ready, "the chart library")
        page = self.window.datasets_page
        for row in range(page.columns.rowCount()):
            if page.columns.item(row, 0).text() == "tenure_months":
                page.columns.selectRow(row)
        return list_datasets(self.store)[0].versions[-1]

    def train(self, dataset, kind: str, params: dict, seed: int = 0):
        from modelyard.training.jobs import create_run

        run = create_run(self.store, dataset, "churn", kind, params, seed=seed)
        self.window.start_run(run)
        return run.id

    def wait_runs(self, ids: list[int]) -> list:
        from modelyard.tracking.runs import get_run

        def done():
            return all(get_run(self.store, i).is_terminal for i in ids)

        self.wait(done, f"runs {ids}", timeout=600)
        runs = [get_run(self.store, i) for i in ids]
        failed = [f"run {r.id}: {r.error}" for r in runs if r.status != "finished"]
        if failed:
            raise RuntimeError("; ".join(failed))
        page = self.window.runs_page
        self.window.show_page(page)
        self.wait(lambda: not page.loading, "the runs table")
        return runs

    def sweep(self, dataset) -> None:
        from modelyard.training.sweeps import create_sweep, get_sweep

        sweep = create_sweep(
            self.store, dataset, "churn", "random_forest", n_trials=6, parallel=2, seed=1
        )
        self.window.start_sweep(sweep)
        self.wait(
            lambda: get_sweep(self.store, sweep.id).status not in ("queued", "running"),
            "the sweep",
            timeout=900,
        )
        self.window.show_page(self.window.sweeps_page)
        self.window.sweeps_page.select_sweep(sweep.id)

    def check_drift(self, version) -> None:
        import pandas as pd

        from modelyard import paths

        frame = pd.read_csv(paths.sample_dataset())
        frame["monthly_charges"] = frame["monthly_charges"] * 1.6 + 20
        frame["tenure_months"] = (frame["tenure_months"] // 3).astype(int)
        moved = self.out.parent / "customers-this-month.csv"
        frame.to_csv(moved, index=False)
        page = self.window.monitoring_page
        self.window.open_monitoring(version)
        page.start_check(data=str(moved), version=version)
        self.wait(lambda: page.task is None, "the drift check")
        self.window.show_page(page)
        page.select_version(version)

    def evaluate(self, version) -> None:
        page = self.window.evaluation_page
        self.window.open_evaluation(version)
        page.evaluate_button.click()
        self.wait(lambda: page.task is None and page.result is not None, "the evaluation")

    def export(self, version, folder: Path) -> None:
        self.window.export_version(version, folder)
        self.wait(lambda: not self.window.busy, "the export")

    def sample_resources(self, samples: int = 12) -> None:
        page = self.window.resources_page
        self.window.start_resource_feed(interval_ms=250)
        self.window.show_page(page)
        self.wait(lambda: len(page.snapshots) >= samples and page.curves, "machine samples")

    def close(self) -> None:
        self.window.close()
        self.window.deleteLater()
        self.settle(0.2)
        self.store.close()


def take(out: Path, quick: bool) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    shots = Driver(out)
    try:
        shots.shoot("first-run")  # the empty store: the sample offered, the path ahead
        dataset = shots.import_sample()
        shots.shoot("datasets")
        if quick:
            return shots.written
        first = shots.train(dataset, "logistic_regression", {"C": 1.0})
        others = [
            shots.train(dataset, "random_forest", {"n_estimators": 120, "max_depth": 8}),
            shots.train(dataset, "hist_gradient_boosting", {"max_iter": 150}),
            shots.train(dataset, "mlp", {"epochs": 30, "hidden_layers": "64,32"}),
        ]
        runs = shots.wait_runs([first, *others])
        run = max(runs, key=lambda r: r.metrics.get("f1_macro", 0))
        shots.window.runs_page.select_run(runs[-1].id)  # the MLP: per-epoch curves
        shots.window.runs_page.detail.setCurrentIndex(1)
        shots.wait(lambda: not shots.window.runs_page.loading, "the run's charts")
        shots.shoot("runs")
        shots.window.runs_page.select_runs([r.id for r in runs])
        shots.wait(lambda: not shots.window.runs_page.loading, "the comparison")
        shots.window.runs_page.compare_view.only_differences.setChecked(True)
        shots.shoot("compare")
        shots.sweep(dataset)
        shots.shoot("sweeps")
        version = shots.window.register_run(run, "churn")
        shots.shoot("models")
        shots.evaluate(version)
        shots.shoot("evaluation")
        shots.check_drift(version)
        shots.shoot("monitoring")
        shots.export(version, out.parent / "bundle")
        shots.window.show_page(shots.window.costs_page)
        shots.shoot("costs")
        shots.sample_resources()
        shots.shoot("resources")
        return shots.written
    finally:
        shots.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument(
        "--quick", action="store_true", help="the empty store and the imported sample only (tests)"
    )
    args = parser.parse_args(argv)
    _use_this_tree()
    with tempfile.TemporaryDirectory(prefix="modelyard-screenshots-") as scratch:
        os.environ["MODELYARD_HOME"] = str(Path(scratch) / "home")
        os.environ.pop("MODELYARD_STORE_URL", None)
        work = Path(scratch) / "work"
        work.mkdir()
        written = take(work / "shots", args.quick)
        args.out.mkdir(parents=True, exist_ok=True)
        for path in written:
            (args.out / path.name).write_bytes(path.read_bytes())
    print(f"{len(written)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
