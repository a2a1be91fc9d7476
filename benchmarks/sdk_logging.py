"""Metric logging through the SDK into the SQLite store, against MLflow's SQLite backend, in the
same run.

    .venv/bin/python benchmarks/sdk_logging.py [--points 1000000] [--keys 10] [--single 20000]
        [--mlflow-single 300] [--mlflow-points 100000] [--mlflow-venv /tmp/modelyard-mlflow-venv]

Modelyard (this process, a fresh store under /tmp): the latency of one `run.log_metric` call,
each timed on its own; batched logging (`run.log_metrics` of --keys keys per step) and a loop of
single `log_metric` calls, both timed from the first call until `run.end()` returns; after each
run the stored rows are counted through a new connection and must equal the points logged.
MLflow (its own venv, a subprocess, a SQLite tracking URI in a temp folder, store created and
warmed up before any timing): `mlflow.log_metric` per call, and `MlflowClient.log_batch` in
batches of 1,000 points (MLflow's limit). MLflow is never a Modelyard dependency; the venv is
created on the first run as in export_vs_mlflow.py.
Targets (issue): batched ≥ 20× MLflow's log_batch points/s; one log_metric call ≤ 1/50 of
MLflow's; everything durable once the run ends.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_vs_mlflow import ensure_mlflow  # noqa: E402

BATCH_TARGET = 20.0
SINGLE_TARGET = 50.0

MLFLOW_SIDE = r"""
import json, statistics, sys, time
import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

work, single, points, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
mlflow.set_tracking_uri(f"sqlite:///{work}/mlflow.db")
client = MlflowClient()
with mlflow.start_run():  # creating the store runs its migrations: not timed
    for i in range(20):
        mlflow.log_metric("warm", 0.5, step=i)
result = {"mlflow": mlflow.__version__}
with mlflow.start_run():
    laps = []
    for i in range(single):
        started = time.perf_counter_ns()
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
        laps.append(time.perf_counter_ns() - started)
laps.sort()
result["single_median_us"] = statistics.median(laps) / 1e3
result["single_p99_us"] = laps[min(len(laps) - 1, int(len(laps) * 0.99))] / 1e3
run_id = client.create_run(client.get_experiment_by_name("Default").experiment_id).info.run_id
now = int(time.time() * 1000)
steps = points // keys
batches, batch = [], []
for step in range(steps):
    for k in range(keys):
        batch.append(Metric(f"m{k}", step * 0.001 + k, now, step))
        if len(batch) == 1000:
            batches.append(batch)
            batch = []
if batch:
    batches.append(batch)
started = time.perf_counter()
for batch in batches:
    client.log_batch(run_id, metrics=batch)
elapsed = time.perf_counter() - started
result["batch_points"] = steps * keys
result["batch_s"] = elapsed
result["batch_points_per_s"] = steps * keys / elapsed
print(json.dumps(result))
"""


def percentile(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * q))] / 1e3


def stored(run_id: int) -> tuple[int, int, int]:
    """(rows, distinct keys, last step) for the run, read through a store opened afresh so that
    only what reached the database file counts."""
    from sqlalchemy import text

    from modelyard.store import open_store

    store = open_store()
    try:
        with store.engine.connect() as conn:
            rows, keys, last = conn.execute(
                text(
                    "SELECT COUNT(*), COUNT(DISTINCT key), COALESCE(MAX(step), -1) "
                    "FROM metrics WHERE run_id = :r"
                ),
                {"r": run_id},
            ).one()
    finally:
        store.close()
    return int(rows), int(keys), int(last)


def start(name: str):
    import modelyard

    # the extras (output capture, 1 Hz system sampler) are not what is being measured
    return modelyard.start_run(
        experiment="bench", name=name, capture_output=False, system_metrics=False
    )


def modelyard_single(calls: int) -> dict:
    run = start("single")
    for i in range(1000):  # first-key checks and allocator warm-up are not the steady state
        run.log_metric("warm", 0.5, step=i)
    laps = []
    log = run.log_metric
    clock = time.perf_counter_ns
    for i in range(calls):
        started = clock()
        log("loss", 1.0 / (i + 1), step=i)
        laps.append(clock() - started)
    run.end()
    laps.sort()
    return {
        "median_us": statistics.median(laps) / 1e3,
        "p99_us": percentile(laps, 0.99),
        "max_us": laps[-1] / 1e3,
        "expected": calls + 1000,
        "stored": stored(run.id),
    }


def modelyard_batched(points: int, keys: int) -> dict:
    steps = points // keys
    names = [f"m{k}" for k in range(keys)]
    # the dicts are built beforehand: the clock is for the SDK, not for the caller's dict making
    values = [{name: step * 0.001 + k for k, name in enumerate(names)} for step in range(steps)]
    run = start("batched")
    started = time.perf_counter()
    for step, row in enumerate(values):
        run.log_metrics(row, step=step)
    logged = time.perf_counter() - started
    run.end()
    elapsed = time.perf_counter() - started
    return {
        "points": steps * keys,
        "s": elapsed,
        "calls_s": logged,
        "points_per_s": steps * keys / elapsed,
        "stored": stored(run.id),
    }


def modelyard_loop(points: int) -> dict:
    run = start("loop")
    log = run.log_metric
    started = time.perf_counter()
    for i in range(points):
        log("loss", 1.0 / (i + 1), step=i)
    logged = time.perf_counter() - started
    run.end()
    elapsed = time.perf_counter() - started
    return {
        "points": points,
        "s": elapsed,
        "calls_s": logged,
        "points_per_s": points / elapsed,
        "stored": stored(run.id),
    }


def mlflow_side(python: Path, work: Path, args: argparse.Namespace) -> tuple[dict | None, str]:
    done = subprocess.run(
        [
            str(python),
            "-c",
            MLFLOW_SIDE,
            str(work),
            str(args.mlflow_single),
            str(args.mlflow_points),
            str(args.keys),
        ],
        capture_output=True,
        text=True,
        cwd=work,
    )
    if done.returncode:
        return None, (done.stderr.strip().splitlines() or ["?"])[-1]
    return json.loads(done.stdout.strip().splitlines()[-1]), ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=10, help="keys per log_metrics call")
    parser.add_argument("--single", type=int, default=20_000, help="timed log_metric calls")
    parser.add_argument("--mlflow-single", type=int, default=300)
    parser.add_argument("--mlflow-points", type=int, default=100_000)
    parser.add_argument("--mlflow-venv", default="/tmp/modelyard-mlflow-venv")
    parser.add_argument("--no-loop", action="store_true", help="skip the 1M log_metric loop")
    args = parser.parse_args()
    python, problem = ensure_mlflow(Path(args.mlflow_venv))
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as tmp:
        # MLflow first, so its subprocess does not share the 2 cores with our flusher thread
        theirs = None
        if python is not None:
            work = Path(tmp) / "mlflow"
            work.mkdir()
            theirs, problem = mlflow_side(python, work, args)
        os.environ["MODELYARD_HOME"] = str(Path(tmp) / "home")
        single = modelyard_single(args.single)
        batched = modelyard_batched(args.points, args.keys)
        loop = None if args.no_loop else modelyard_loop(args.points)

    if theirs is None:
        print(f"MLflow: not measured here ({problem}); Modelyard's figures alone.")
        theirs = {}
    else:
        print(f"MLflow {theirs['mlflow']} (SQLite backend), same run")
    nan = float("nan")
    single_ratio = theirs.get("single_median_us", nan) / single["median_us"]
    batch_ratio = batched["points_per_s"] / theirs.get("batch_points_per_s", nan)
    head = f"{'what':<34} {'Modelyard':>14} {'MLflow':>14} {'ratio':>10}  target"
    print(head)
    print("-" * len(head))

    def line(what: str, ours: str, peer: str, ratio: str, target: str = "") -> None:
        print(f"{what:<34} {ours:>14} {peer:>14} {ratio:>10}  {target}")

    def us(value: float) -> str:
        return "-" if value != value else f"{value:,.1f} µs"

    line(
        "log_metric, one call, median",
        us(single["median_us"]),
        us(theirs.get("single_median_us", nan)),
        f"{single_ratio:,.0f}×",
        f"≥ {SINGLE_TARGET:.0f}×",
    )
    line(
        "log_metric, one call, p99",
        us(single["p99_us"]),
        us(theirs.get("single_p99_us", nan)),
        f"{theirs.get('single_p99_us', nan) / single['p99_us']:,.0f}×",
    )
    peer_rate = theirs.get("batch_points_per_s", nan)
    line(
        f"batched points/s ({args.keys} keys/step)",
        f"{batched['points_per_s']:,.0f}",
        "-" if peer_rate != peer_rate else f"{peer_rate:,.0f}",
        f"{batch_ratio:,.1f}×",
        f"≥ {BATCH_TARGET:.0f}× (vs log_batch)",
    )
    if loop is not None:
        line(
            "log_metric loop points/s",
            f"{loop['points_per_s']:,.0f}",
            "-" if peer_rate != peer_rate else f"{peer_rate:,.0f}",
            f"{loop['points_per_s'] / peer_rate:,.1f}×",
            "(vs log_batch)",
        )
    print()
    print(
        f"Modelyard batched: {batched['points']:,} points in {batched['s']:.2f} s to end() "
        f"(calls {batched['calls_s']:.2f} s, end() {batched['s'] - batched['calls_s']:.2f} s)"
    )
    if loop is not None:
        print(
            f"Modelyard loop:    {loop['points']:,} points in {loop['s']:.2f} s to end() "
            f"(calls {loop['calls_s']:.2f} s, end() {loop['s'] - loop['calls_s']:.2f} s)"
        )
    print(f"Modelyard single:  max {single['max_us']:,.0f} µs over {args.single:,} calls")
    if theirs:
        print(
            f"MLflow: {args.mlflow_single} log_metric calls; log_batch {theirs['batch_points']:,} "
            f"points in {theirs['batch_s']:.2f} s"
        )

    failures = []
    checks = [("single", single["expected"], single["stored"])]
    checks.append(("batched", batched["points"], batched["stored"]))
    if loop is not None:
        checks.append(("loop", loop["points"], loop["stored"]))
    for name, expected, (rows, keys, last) in checks:
        ok = rows == expected
        print(
            f"durable after end(), {name}: {rows:,} rows of {expected:,} logged "
            f"({keys} key{'s' if keys != 1 else ''}, last step {last:,}) {'ok' if ok else 'MISSING ROWS'}"
        )
        if not ok:
            failures.append(name)
    print()
    verdict = {True: "met", False: "missed"}
    if theirs:
        print(
            f"target batched ≥ {BATCH_TARGET:.0f}× MLflow log_batch: "
            f"{verdict[batch_ratio >= BATCH_TARGET]} ({batch_ratio:.1f}×)"
        )
        print(
            f"target log_metric ≤ 1/{SINGLE_TARGET:.0f} of MLflow's latency: "
            f"{verdict[single_ratio >= SINGLE_TARGET]} ({single_ratio:,.0f}×)"
        )
    print(f"target durable once the run ends: {verdict[not failures]}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
