"""Crash injection: kill -9 a training worker, and the CLI while it imports, registers and
exports, at random moments; then check the store as the next process would find it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

from common import (
    ROOT,
    Figure,
    cli,
    fresh_home,
    half_written,
    integrity,
    orphan_count,
    sweep_all,
    use_home,
)

SAMPLE = ROOT / "resources" / "samples" / "customer_churn.csv"


def _kill(proc: subprocess.Popen, after: float) -> bool:
    """Kill the process (and its group) after `after` seconds; False if it ended first."""
    try:
        proc.wait(timeout=after)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def _store_checks(home: Path, store, label: str) -> tuple[list[str], int, int]:
    """Problems, orphans found, orphans left after the sweep."""
    problems = []
    verdict = integrity(home)
    if verdict != "ok":
        problems.append(f"{label}: integrity_check says {verdict}")
    problems += [f"{label}: {p}" for p in half_written(store)]
    found = orphan_count(store)
    sweep_all(store)
    return problems, found, orphan_count(store)


def workers(n: int, rng: random.Random) -> Figure:
    from modelyard.datasets.service import import_file
    from modelyard.store import open_store
    from modelyard.tracking.runs import get_run
    from modelyard.training import launcher
    from modelyard.training.jobs import create_run

    home = fresh_home("crash-workers")
    use_home(home)
    store = open_store()
    churn = import_file(store, SAMPLE).version
    params = {"epochs": 60, "patience": 0}
    started = time.monotonic()
    calibration = create_run(store, churn, "churn", "mlp", params)
    launcher.wait(store, launcher.start(store, calibration.id), calibration.id, timeout=300)
    full = time.monotonic() - started
    killed = failed_with_reason = finished_first = 0
    wrong = []
    for i in range(n):
        run = create_run(store, churn, "churn", "mlp", params, seed=i + 1)
        proc = launcher.start(store, run.id)
        if _kill(proc, rng.uniform(0.0, full)):
            killed += 1
            launcher.reap_orphans(store)  # what the GUI's supervisor and `--wait` do
            after = get_run(store, run.id)
            if after.status == "failed" and "ended unexpectedly" in (after.error or ""):
                failed_with_reason += 1
            else:
                wrong.append(f"run {run.id}: {after.status} ({after.error!r})")
        else:
            launcher.settle(store, run.id, proc.returncode)
            finished_first += 1
    problems, found, left = _store_checks(home, store, "workers")
    store.close()
    passed = not wrong and not problems and left == 0
    return Figure(
        "crash-worker",
        "kill -9 of a training worker (PyTorch MLP) at a random moment of its life",
        f"{n} runs, each {full:.1f} s unkilled",
        f"{killed} killed: {failed_with_reason} failed with the reason, "
        f"{len(wrong)} wrong; {finished_first} ended before the kill; integrity ok: "
        f"{not any('integrity' in p for p in problems)}; half-written: "
        f"{sum('integrity' not in p for p in problems)}; orphaned blobs {found} "
        f"→ {left} after the sweep",
        passed,
        wrong + problems,
    )


def _timed(home: Path, *args: str) -> float:
    started = time.monotonic()
    proc = cli(home, *args)
    out, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"modelyard {' '.join(args)} failed: {err.decode()[-500:]}")
    return time.monotonic() - started


def _big_csv(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    gen = np.random.default_rng(0)
    frame = pd.DataFrame({f"x{i}": gen.normal(size=rows) for i in range(6)})
    frame["city"] = gen.choice(["Oslo", "Lima", "Pune", "Kyiv"], size=rows)
    frame["y"] = (frame.x0 + gen.normal(size=rows) > 0).astype(int)
    frame.to_csv(path, index=False)


def cli_kills(n: int, rng: random.Random, rows: int) -> list[Figure]:
    from modelyard.deploy.bundle import verify_bundle
    from modelyard.registry.service import register
    from modelyard.store import open_store
    from modelyard.training.jobs import create_run
    from modelyard.training.worker import train

    home = fresh_home("crash-cli")
    use_home(home)
    work = home.parent / "files"
    work.mkdir()
    store = open_store()
    startup = _timed(home, "datasets", "list")  # the interpreter and the store, no work
    source = work / "big.csv"
    _big_csv(source, rows)
    figures = []

    # import: each attempt gets one extra line, so it is a new version, never a duplicate
    full = _timed(home, "import", str(source), "--name", "big")
    killed = 0
    for i in range(n):
        attempt = work / f"big-{i}.csv"
        shutil.copyfile(source, attempt)
        with open(attempt, "a") as f:
            f.write(f"{i},0,0,0,0,0,Oslo,1\n")
        if _kill(cli(home, "import", str(attempt), "--name", "big"), rng.uniform(startup, full)):
            killed += 1
        attempt.unlink()
    problems, found, left = _store_checks(home, store, "import")
    figures.append(
        _cli_figure("crash-import", "import", n, rows, full, killed, problems, found, left)
    )

    # registration of finished runs (trained here, in-process)
    from modelyard.datasets.service import get_version

    dataset = get_version(store, "big")
    run_ids = []
    for i in range(n + 1):
        run = create_run(store, dataset, "y", "logistic_regression", seed=i)
        if train(run.id) != 0:
            raise RuntimeError(f"run {run.id} did not train")
        run_ids.append(run.id)
    full = _timed(home, "register", "--run", str(run_ids[0]), "--name", "big-model")
    killed = 0
    for run_id in run_ids[1:]:
        if _kill(
            cli(home, "register", "--run", str(run_id), "--name", "big-model"),
            rng.uniform(startup, full),
        ):
            killed += 1
    problems, found, left = _store_checks(home, store, "register")
    figures.append(
        _cli_figure("crash-register", "registration", n, rows, full, killed, problems, found, left)
    )

    # export, again and again to one destination (--force): after each kill it is absent or
    # a complete bundle that verifies; the next export there removes what a killed one left
    register(store, run_ids[0], "export-model")
    out = work / "bundle"
    full = _timed(home, "export", "export-model", "--out", str(out))
    killed, bad, left_by_kills, incomplete = 0, [], 0, 0
    for i in range(n):
        call = cli(home, "export", "export-model", "--out", str(out), "--force")
        if _kill(call, rng.uniform(startup, full)):
            killed += 1
        if out.exists() and not verify_bundle(out).ok:
            bad.append(f"export {i}: {out.name} exists but does not verify")
            incomplete += 1
        left_by_kills = max(left_by_kills, len(_leftovers(work)))
    _timed(home, "export", "export-model", "--out", str(out), "--force")
    after = _leftovers(work)
    if after:
        bad.append(f"export: left beside the bundle after the next export: {after}")
    if not verify_bundle(out).ok:
        bad.append("export: the last export does not verify")
    problems, found, left = _store_checks(home, store, "export")
    figures.append(
        _cli_figure(
            "crash-export",
            "export",
            n,
            rows,
            full,
            killed,
            problems + bad,
            found,
            left,
            extra=f"; destination absent or complete: {n - incomplete}/{n}; staging folders "
            f"left beside it: up to {left_by_kills} → {len(after)} after the next export",
        )
    )
    store.close()
    return figures


def _leftovers(work: Path) -> list[str]:
    return sorted(p.name for p in work.iterdir() if p.name.startswith(".bundle"))


def _cli_figure(key, what, n, rows, full, killed, problems, found, left, extra="") -> Figure:
    integrity_ok = not any("integrity" in p for p in problems)
    return Figure(
        key,
        f"kill -9 of the CLI during {what}",
        f"{n} calls ({rows:,}-row CSV), each {full:.1f} s unkilled",
        f"{killed} killed mid-call; integrity ok: {integrity_ok}; half-written: "
        f"{sum('integrity' not in p for p in problems)}; orphaned blobs {found} → {left} "
        f"after the sweep{extra}",
        not problems and left == 0,
        problems,
    )


def main(full: bool, seed: int) -> list[Figure]:
    rng = random.Random(seed)
    n_workers, n_cli, rows = (20, 10, 300_000) if full else (6, 4, 150_000)
    return [workers(n_workers, rng), *cli_kills(n_cli, rng, rows)]
