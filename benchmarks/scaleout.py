"""Scale-out, each against its peer in the same run, printing ratios:

1. a 16-trial sweep with 2 trials at a time on this machine's worker processes (2 CPU slots)
   against a 2-worker Dask LocalCluster: total wall time and per-trial overhead (wall × 2 /
   trials minus the trials' own mean run time, i.e. what starting and settling a trial costs);
2. metric logging throughput (batches of 1,000 rows through the store, as the SDK writes) and
   the runs table's load of 10,000 runs, on PostgreSQL against SQLite.

    PYTHONPATH=desktop .venv/bin/python benchmarks/scaleout.py [--trials 16] [--runs 10000]
        [--points 50000] [--skip-sweep] [--skip-store]

PostgreSQL is a throwaway server started from the installed binaries (as tests/pg_server.py
does); the Dask side needs `pip install -e '.[cluster]'`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "desktop"))
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(ROOT / "desktop"), os.environ.get("PYTHONPATH")])
)  # worker processes and Dask workers import this checkout too


def _open(home: Path, url: str | None = None):
    os.environ["MODELYARD_HOME"] = str(home)
    os.environ.pop("MODELYARD_STORE_URL", None)
    if url:
        os.environ["MODELYARD_STORE_URL"] = url
    from modelyard.store import open_store

    return open_store(home)


def sweep_side(executor: str, trials: int, work: Path) -> dict:
    from modelyard.datasets.service import import_file
    from modelyard.training import executors, launcher
    from modelyard.training.queue import set_limits
    from modelyard.training.sweeps import create_sweep, get_sweep, parse_space
    from modelyard.training.sweeps import trials as sweep_trials

    store = _open(work / executor.replace(":", "_").replace("/", "_"))
    set_limits(store, cpu_runs=2)
    data = import_file(store, ROOT / "resources" / "samples" / "customer_churn.csv").version
    sweep = create_sweep(
        store, data, "churn", "knn", sampler="random", n_trials=trials,
        space=parse_space(["n_neighbors=3:40"]), parallel=2,
    )  # fmt: skip
    executors.record_sweep_executor(store, sweep.id, executor)
    started = time.perf_counter()
    proc = launcher.start_sweep(store, sweep.id)
    proc.wait()
    wall = time.perf_counter() - started
    runs = sweep_trials(store, sweep.id)
    status = get_sweep(store, sweep.id).status
    durations = [r.duration_s for r in runs if r.duration_s is not None]
    store.close()
    finished = sum(r.status == "finished" for r in runs)
    mean_run = statistics.mean(durations) if durations else float("nan")
    return {
        "wall_s": wall,
        "finished": finished,
        "status": status,
        "mean_run_s": mean_run,
        "overhead_s": wall * 2 / max(len(runs), 1) - mean_run,
        "workers": len({r.worker for r in runs if r.worker}),
    }


def sweeps(trials: int) -> None:
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as scratch:
        work = Path(scratch)
        local = sweep_side("local", trials, work)
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        try:
            dask = sweep_side(cluster.scheduler_address, trials, work)
        finally:
            cluster.close()
            from modelyard.training.dask_executor import close_clients

            close_clients()
    print(f"\n{trials}-trial sweep, 2 at a time (knn on customer_churn)")
    print(f"{'':28}{'local processes':>18}{'Dask 2 workers':>18}{'Dask/local':>12}")
    for key, label in (
        ("wall_s", "total wall (s)"),
        ("mean_run_s", "mean trial run (s)"),
        ("overhead_s", "per-trial overhead (s)"),
    ):
        ratio = dask[key] / local[key] if local[key] else float("nan")
        print(f"{label:28}{local[key]:>18.2f}{dask[key]:>18.2f}{ratio:>12.2f}")
    print(
        f"finished trials: local {local['finished']}/{trials} ({local['status']}), "
        f"Dask {dask['finished']}/{trials} on {dask['workers']} workers ({dask['status']})"
    )


def fill_runs(store, n: int) -> None:
    """n finished runs with 10 params and 10 metrics each, in bulk (not timed)."""
    from sqlalchemy import insert

    from modelyard.datasets.service import import_file
    from modelyard.store import models
    from modelyard.tracking.experiments import experiment_id

    data = import_file(store, ROOT / "resources" / "samples" / "customer_churn.csv").version
    rng = random.Random(0)
    now = models.utcnow()
    with store.session() as session:
        experiments = [experiment_id(session, f"exp-{i}") for i in range(5)]
    rows = [
        {
            "experiment_id": experiments[i % 5],
            "name": f"run-{i}",
            "tags": {"batch": str(i % 7)},
            "source": "trainer",
            "dataset_version_id": data.id,
            "target": "churn",
            "task": "classification",
            "model_kind": rng.choice(["random_forest", "logistic_regression", "mlp"]),
            "params": {f"p{k}": rng.randint(0, 1000) for k in range(10)},
            "seed": 0,
            "status": "finished",
            "summary": {f"m{k}": rng.random() for k in range(10)},
            "created_at": now,
            "started_at": now,
            "ended_at": now,
        }
        for i in range(n)
    ]
    with store.session() as session:
        session.execute(insert(models.Run), rows)


def store_side(store, runs: int, points: int) -> dict:
    from modelyard.tracking.run_table import run_rows
    from modelyard.tracking.runs import create_tracked_run, log_metric_batch

    run = create_tracked_run(store, "sdk", status="running")
    batch = 1000
    started = time.perf_counter()
    for start in range(0, points, batch):
        rows = [("loss", 1.0 / (s + 1), s, time.time()) for s in range(start, start + batch)]
        log_metric_batch(store, run.id, rows)
    logging_s = time.perf_counter() - started
    fill_runs(store, runs)
    loads = []
    for _ in range(5):
        t = time.perf_counter()
        table = run_rows(store)
        loads.append(time.perf_counter() - t)
    return {
        "points_per_s": points / logging_s,
        "load_s": statistics.median(loads),
        "rows": len(table),
    }


def stores(runs: int, points: int) -> None:
    from tests.pg_server import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed; skipping the store comparison.")
        return
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as scratch:
        sqlite_store = _open(Path(scratch) / "sqlite")
        sqlite = store_side(sqlite_store, runs, points)
        sqlite_store.close()
        server = PostgresServer(bin_dir).start()
        try:
            pg_store = _open(Path(scratch) / "pg", server.new_database())
            pg = store_side(pg_store, runs, points)
            pg_store.close()
        finally:
            server.stop()
    print(f"\nStore: {points:,} metric points in batches of 1,000; runs table of {runs:,} runs")
    print(f"{'':28}{'SQLite':>14}{'PostgreSQL':>14}{'PG/SQLite':>12}")
    print(
        f"{'metric points / s':28}{sqlite['points_per_s']:>14,.0f}{pg['points_per_s']:>14,.0f}"
        f"{pg['points_per_s'] / sqlite['points_per_s']:>12.2f}"
    )
    print(
        f"{'runs table load (s)':28}{sqlite['load_s']:>14.3f}{pg['load_s']:>14.3f}"
        f"{pg['load_s'] / sqlite['load_s']:>12.2f}"
    )
    print(f"rows read: SQLite {sqlite['rows']:,}, PostgreSQL {pg['rows']:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-store", action="store_true")
    args = parser.parse_args()
    if not args.skip_store:
        stores(args.runs, args.points)
    if not args.skip_sweep:
        sweeps(args.trials)


if __name__ == "__main__":
    main()
