"""Load: processes logging metrics and creating experiments and runs at once, while the GUI's
Runs page follows the store as the app does (its Supervisor polls, the page reloads), with a
10 ms QTimer measuring how late the event loop answers."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from common import ROOT, Figure, child_env, fresh_home, percentile, use_home

sys.path.insert(0, str(ROOT / "benchmarks"))
from gui_stalls import Probe  # noqa: E402 - the event-loop lateness probe

WRITER = r"""
import json, sys, traceback
import modelyard
process, runs, points, tag = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
errors, logged = [], 0
for r in range(runs):
    try:
        # shared new names: every process races to create the same experiments
        with modelyard.start_run(experiment=f"load-{tag}-{r % 3}", name=f"p{process}-r{r}",
                                 params={"process": process, "run": r},
                                 system_metrics=False) as run:
            for step in range(points):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
                logged += 1
    except Exception:
        errors.append(traceback.format_exc())
print(json.dumps({"errors": errors, "logged": logged}))
"""


def _wait_in_event_loop(children, settle_s: float, busy=lambda: False) -> float:
    """Run the Qt event loop (as app.exec would) until every child has ended, then a little
    longer for the page to catch up with the last commits; return the writers' time."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    started = time.monotonic()
    ended: list[float] = []

    def check():
        if not ended and all(c.poll() is not None for c in children):
            ended.append(time.monotonic())
        if ended and time.monotonic() - ended[0] >= settle_s and not busy():
            loop.quit()

    timer = QTimer(interval=50)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return ended[0] - started


def _writers(home, processes, runs, points, tag):
    return [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(p), str(runs), str(points), tag],
            env=child_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(processes)
    ]


def _results(children) -> tuple[list[str], int]:
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
    return errors, logged


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
    del app
    store = open_store()
    # the same load once with a bare event loop: what the machine's CPUs alone cost
    bare = Probe()
    bare.start()
    baseline = _writers(home, processes, runs, points, "bare")
    _wait_in_event_loop(baseline, 0.5)
    bare.timer.stop()
    base_errors, base_logged = _results(baseline)

    page = RunsPage(store)
    page.resize(1200, 700)
    page.show()
    supervisor = Supervisor(store)
    supervisor.store_changed.connect(page.load)
    page.load()
    probe = Probe()
    probe.start()
    children = _writers(home, processes, runs, points, "page")
    elapsed = _wait_in_event_loop(children, 3.0, lambda: page.loading)
    probe.timer.stop()
    supervisor.shutdown()
    errors, logged = _results(children)
    errors += base_errors
    logged += base_logged
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
    expected = 2 * processes * runs * points
    p99 = percentile(probe.stalls, 99) * 1000
    worst = max(probe.stalls, default=0.0) * 1000
    base_p99 = percentile(bare.stalls, 99) * 1000
    passed = (
        not errors
        and stored == logged == expected
        and finished == n_runs == 2 * processes * runs
        and shown == n_runs
        and n_experiments == 6
        and p99 < 50
    )
    return Figure(
        "load",
        f"{processes} processes creating experiments and runs and logging metrics at once, "
        "the Runs page following the store as in the app (offscreen); the same load once "
        "more with a bare event loop, for what the CPUs alone cost",
        f"{processes} × {runs} runs × {points:,} points, twice ({expected:,} points); "
        f"{elapsed:.0f} s with the page",
        f"errors: {len(errors)}; points stored {stored:,}/{expected:,}; runs finished "
        f"{finished}/{2 * processes * runs} (page shows {shown}); experiments "
        f"{n_experiments}/6; GUI stall p99 {p99:.1f} ms (worst {worst:.0f} ms, "
        f"{len(probe.stalls):,} ticks) vs {base_p99:.1f} ms with a bare loop",
        passed,
        [e.strip().splitlines()[-1] for e in errors],
    )
