"""Sampling overhead: CPU time the samplers use, as % of one core, at 1 Hz and 10 Hz.

    .venv/bin/python benchmarks/sampling_overhead.py [--seconds 10]

Three samplers run in the same process, one after another, each for the same wall time:
- bare psutil: the calls a sampler cannot avoid (CPU per core, memory, swap, disk and network
  counters, one process's CPU and memory), nothing else;
- machine sampler: modelyard.telemetry.machine.MachineMonitor (the Resources page's and
  `modelyard resources`' source), with the process tree of this process and the GPU boundary;
- run monitor: what a worker does each tick (tree + GPUs + energy + storing the system metrics
  in a temporary store).
Overhead = process CPU time / wall time. Targets (issue 6): < 1% at 1 Hz, < 5% at 10 Hz.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "desktop"))


def bare_psutil():
    me = psutil.Process()
    me.cpu_percent(None)

    def sample() -> None:
        psutil.cpu_percent(percpu=True)
        psutil.virtual_memory()
        psutil.swap_memory()
        psutil.disk_io_counters()
        psutil.net_io_counters()
        with me.oneshot():
            me.cpu_percent(None)
            me.memory_info()

    return sample, lambda: None


def machine_sampler():
    from modelyard.telemetry.machine import MachineMonitor, RunProcess

    monitor = MachineMonitor()
    runs = [RunProcess(1, "this process", os.getpid())]
    return (lambda: monitor.sample(runs)), monitor.close


def run_monitor(home: Path):
    from modelyard.store import open_store
    from modelyard.store.models import Dataset, DatasetVersion, Run
    from modelyard.telemetry.run_monitor import RunMonitor

    store = open_store(home)
    with store.session() as session:
        dataset = Dataset(name="bench")
        version = DatasetVersion(
            dataset=dataset,
            version=1,
            content_hash="0" * 64,
            source_name="x",
            source_size=0,
            n_rows=0,
            n_cols=0,
            columns=[],
        )
        run = Run(
            dataset_version=version,
            target="y",
            task="regression",
            model_kind="k",
            params={},
            seed=0,
            status="running",
        )
        session.add(run)
        session.flush()
        run_id = run.id
    monitor = RunMonitor(store, run_id)
    return monitor.sample, store.close


def measure(factory, hz: float, seconds: float) -> float:
    sample, close = factory()
    period = 1.0 / hz
    try:
        sample()  # warm-up: first readings, imports, store connection
        cpu0, wall0 = time.process_time(), time.perf_counter()
        next_tick = wall0
        while time.perf_counter() - wall0 < seconds:
            sample()
            next_tick += period
            delay = next_tick - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        return 100.0 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    finally:
        close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        samplers = {
            "bare psutil calls": bare_psutil,
            "machine sampler (Resources page)": machine_sampler,
            "run monitor (worker, stores metrics)": lambda: run_monitor(
                Path(tempfile.mkdtemp(dir=tmp))
            ),
        }
        print(f"{args.seconds:g} s per measurement, CPU time as % of one core")
        for hz, target in ((1.0, 1.0), (10.0, 5.0)):
            results = {name: measure(f, hz, args.seconds) for name, f in samplers.items()}
            bare = results["bare psutil calls"]
            print(f"\nat {hz:g} Hz (target < {target:g}%):")
            for name, value in results.items():
                ratio = (
                    "" if name == "bare psutil calls" or bare <= 0 else f"{value / bare:.1f}× bare"
                )
                verdict = "met" if value < target else "NOT met"
                print(f"  {name:<38} {value:6.3f}%  {ratio:<12} {verdict}")


if __name__ == "__main__":
    main()
