"""Load: processes logging metrics and creating experiments and runs at once, while the GUI's
Runs page follows the store as the app does (its Supervisor polls, the page reloads), with a
10 ms QTimer measuring how late the event loop answers."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from common import Figure, child_env, fresh_home, percentile, use_home

INTERVAL_MS = 10

WRITER = r"""
import json, sys, traceback
import modelyard
process, runs, points = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
errors, logged = [], 0
for r in range(runs):
    try:
        # shared new names: every process races to create the same experiments
        with modelyard.start_run(experiment=f"load-{r % 3}", name=f"p{process}-r{r}",
                                 params={"process": process, "run": r},
                                 system_metrics=False) as run:
            for step in range(points):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
                logged += 1
    except Exception:
        errors.append(traceback.format_exc())
print(json.dumps({"errors": errors, "logged": logged}))
"""


class Probe:
    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.stalls: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer(interval=INTERVAL_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.stalls.append(max(0.0, now - self._last - INTERVAL_MS / 1000))
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()


def main(full: bool) -> Figure:
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import func, select

    from modelyard.gui.pages.runs.page import RunsPage
    from modelyard.gui.supervisor import Supervisor
    from modelyard.store import models, open_store

    processes, runs, points = (8, 20, 1000) if full else (8, 4, 250)
    home = fresh_home("load")
    use_home(home)
    app = QApplication.instance() or QApplication([])
    store = open_store()
    page = RunsPage(store)
    page.resize(1200, 700)
    page.show()
    supervisor = Supervisor(store)
    supervisor.store_changed.connect(page.load)
    page.load()
    probe = Probe()
    probe.start()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(p), str(runs), str(points)],
            env=child_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(processes)
    ]
    started = time.monotonic()
    while any(c.poll() is None for c in children):
        app.processEvents()
        time.sleep(0.001)
    elapsed = time.monotonic() - started
    # the page catches up with the last commits, as it would a moment later
    settle_until = time.monotonic() + 3
    while time.monotonic() < settle_until or page.loading:
        app.processEvents()
        time.sleep(0.001)
    probe.timer.stop()
    supervisor.shutdown()
    errors, logged = [], 0
    for child in children:
        out, err = child.communicate()
        try:
            result = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            errors.append(f"exit {child.returncode}: {err[-500:]}")
            continue
        errors += result["errors"]
        logged += result["logged"]
        if child.returncode != 0:
            errors.append(f"exit {child.returncode}: {err[-500:]}")
    with store.session() as session:
        stored = session.scalar(select(func.count()).select_from(models.Metric)) or 0
        n_runs = session.scalar(select(func.count()).select_from(models.Run)) or 0
        finished = (
            session.scalar(
                select(func.count()).select_from(models.Run).where(models.Run.status == "finished")
            )
            or 0
        )
        n_experiments = session.scalar(
            select(func.count())
            .select_from(models.Experiment)
            .where(models.Experiment.name.like("load-%"))
        )
    shown = page.model.total
    store.close()
    expected = processes * runs * points
    p99 = percentile(probe.stalls, 99) * 1000
    worst = max(probe.stalls, default=0.0) * 1000
    passed = (
        not errors
        and stored == logged == expected
        and finished == n_runs == processes * runs
        and n_experiments == 3
        and p99 < 50
    )
    return Figure(
        "load",
        f"{processes} processes creating experiments and runs and logging metrics at once, "
        "the Runs page following the store (offscreen)",
        f"{processes} × {runs} runs × {points:,} points = {expected:,} points in {elapsed:.0f} s",
        f"errors: {len(errors)}; points stored {stored:,}/{expected:,}; runs finished "
        f"{finished}/{processes * runs} (page shows {shown}); experiments {n_experiments}/3; "
        f"GUI stall p99 {p99:.1f} ms, worst {worst:.0f} ms ({len(probe.stalls):,} ticks)",
        passed,
        [e.strip().splitlines()[-1] for e in errors],
    )
