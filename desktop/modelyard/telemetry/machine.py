"""The whole machine at one moment: system readings, GPUs, and what each running run uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import psutil

from modelyard.telemetry.gpu import GpuMonitor, GpuReading
from modelyard.telemetry.sampler import ProcessTreeSampler, SystemSample, SystemSampler


@dataclass(frozen=True)
class RunProcess:
    """A running run's worker: enough to find its process tree again."""

    run_id: int
    label: str
    pid: int
    started_at: float | None = None  # the process's create time, against pid reuse


@dataclass(frozen=True)
class RunUsage:
    run_id: int
    label: str
    pid: int
    cpu_percent: float  # of one core
    memory_mb: float
    n_processes: int
    gpu_memory_mb: float | None  # None without per-process GPU readings


@dataclass(frozen=True)
class MachineSnapshot:
    system: SystemSample
    gpus: tuple[GpuReading, ...] = ()
    runs: tuple[RunUsage, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """The status-bar line: CPU 23% · RAM 4.1/15.6 GB · GPU0 40%."""
        s = self.system
        parts = [
            f"CPU {s.cpu_percent:.0f}%",
            f"RAM {s.memory_used_mb / 1024:.1f}/{s.memory_total_mb / 1024:.1f} GB",
        ]
        for gpu in self.gpus:
            if gpu.utilisation_percent is not None:
                parts.append(f"GPU{gpu.index} {gpu.utilisation_percent:.0f}%")
        return " · ".join(parts)


def _same_process(pid: int, started_at: float | None) -> bool:
    try:
        created = psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return started_at is None or abs(created - started_at) < 1.0


class MachineMonitor:
    """Call `sample(runs)` repeatedly; the first call's rates cover the time since creation."""

    def __init__(self, gpus: GpuMonitor | None = None) -> None:
        self.system = SystemSampler()
        self.gpus = gpus if gpus is not None else GpuMonitor()
        self._trees: dict[int, ProcessTreeSampler] = {}

    @property
    def notes(self) -> list[str]:
        return list(self.gpus.notes)

    def sample(self, runs: list[RunProcess] | tuple[RunProcess, ...] = ()) -> MachineSnapshot:
        system = self.system.sample()
        gpus = tuple(self.gpus.read())
        usages = []
        trees: dict[int, ProcessTreeSampler] = {}
        for run in runs:
            tree = self._trees.get(run.pid)
            if tree is None:
                if not _same_process(run.pid, run.started_at):
                    continue
                try:
                    tree = ProcessTreeSampler(run.pid)
                except psutil.Error:
                    continue
            trees[run.pid] = tree
            reading = tree.sample()
            if not reading.pids:
                continue
            gpu_memory = None
            if gpus:
                gpu_memory = sum(
                    mb
                    for g in gpus
                    for pid, mb in g.process_memory_mb.items()
                    if pid in reading.pids
                )
            usages.append(
                RunUsage(
                    run_id=run.run_id,
                    label=run.label,
                    pid=run.pid,
                    cpu_percent=reading.cpu_percent,
                    memory_mb=reading.memory_mb,
                    n_processes=reading.n_processes,
                    gpu_memory_mb=gpu_memory,
                )
            )
        self._trees = trees
        return MachineSnapshot(system, gpus, tuple(usages), tuple(self.notes))

    def close(self) -> None:
        self.gpus.close()


def running_processes(store) -> list[RunProcess]:
    """The workers of the store's running runs."""
    from modelyard.tracking.runs import active_runs

    return [
        RunProcess(r.id, f"run {r.id}: {r.what}", r.pid, r.pid_started_at)
        for r in active_runs(store)
        if r.pid is not None
    ]
