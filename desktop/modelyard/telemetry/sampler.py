"""Cheap psutil readings of the whole machine and of one process tree.

Every call is non-blocking: CPU percentages and throughputs are computed from the difference to
the previous call, so a sampler must be called repeatedly (the first reading after creation
covers the time since the sampler was made).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil

MB = 1024 * 1024


@dataclass(frozen=True)
class SystemSample:
    time: float
    cpu_percent: float
    per_core: tuple[float, ...]
    memory_used_mb: float
    memory_total_mb: float
    swap_used_mb: float
    swap_total_mb: float
    disk_read_mb_s: float | None  # None where the platform hides disk counters
    disk_write_mb_s: float | None
    net_sent_mb_s: float | None
    net_recv_mb_s: float | None

    @property
    def memory_percent(self) -> float:
        return 100.0 * self.memory_used_mb / self.memory_total_mb if self.memory_total_mb else 0.0

    @property
    def swap_percent(self) -> float:
        return 100.0 * self.swap_used_mb / self.swap_total_mb if self.swap_total_mb else 0.0


@dataclass(frozen=True)
class TreeSample:
    """A process and its descendants; cpu_percent is of one core (200 = two cores busy)."""

    time: float
    pid: int
    cpu_percent: float
    memory_mb: float
    n_processes: int
    pids: tuple[int, ...]


def _rate(now: float | None, before: float | None, seconds: float) -> float | None:
    if now is None or before is None or seconds <= 0:
        return None
    return max(0.0, now - before) / MB / seconds


class SystemSampler:
    """Whole-machine readings: CPU, memory, swap, disk and network throughput."""

    def __init__(self) -> None:
        self.n_cores = psutil.cpu_count() or 1
        psutil.cpu_percent(percpu=True)
        self._last_time = time.monotonic()
        self._last_io = self._io_counters()

    @staticmethod
    def _io_counters() -> tuple[float | None, float | None, float | None, float | None]:
        disk = psutil.disk_io_counters()
        net = psutil.net_io_counters()
        return (
            disk.read_bytes if disk else None,
            disk.write_bytes if disk else None,
            net.bytes_sent if net else None,
            net.bytes_recv if net else None,
        )

    def sample(self) -> SystemSample:
        now = time.monotonic()
        per_core = tuple(psutil.cpu_percent(percpu=True))
        memory = psutil.virtual_memory()
        swap = psutil.swap_memory()
        io = self._io_counters()
        seconds = now - self._last_time
        rates = [_rate(a, b, seconds) for a, b in zip(io, self._last_io, strict=True)]
        self._last_time, self._last_io = now, io
        return SystemSample(
            time=time.time(),
            cpu_percent=sum(per_core) / len(per_core) if per_core else 0.0,
            per_core=per_core,
            memory_used_mb=(memory.total - memory.available) / MB,
            memory_total_mb=memory.total / MB,
            swap_used_mb=swap.used / MB,
            swap_total_mb=swap.total / MB,
            disk_read_mb_s=rates[0],
            disk_write_mb_s=rates[1],
            net_sent_mb_s=rates[2],
            net_recv_mb_s=rates[3],
        )


class ProcessTreeSampler:
    """CPU and resident memory of a process and all its descendants.

    psutil measures CPU per Process object since its previous call, so the objects are kept
    between samples; a child seen for the first time counts from its next sample on.
    """

    def __init__(self, pid: int, rescan_s: float = 1.0) -> None:
        self.pid = pid
        self.rescan_s = rescan_s  # finding children reads every process: at most this often
        self._root = psutil.Process(pid)
        self._root.cpu_percent(None)
        self._known: dict[int, psutil.Process] = {pid: self._root}
        self._scanned = float("-inf")

    def _members(self) -> list[psutil.Process]:
        now = time.monotonic()
        if now - self._scanned < self.rescan_s:
            return list(self._known.values())
        self._scanned = now
        try:
            return [self._root, *self._root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> TreeSample:
        members = self._members()
        cpu = 0.0
        memory = 0.0
        alive: dict[int, psutil.Process] = {}
        for proc in members:
            known = self._known.get(proc.pid)
            if known is not None and known.is_running():
                proc = known
            try:
                with proc.oneshot():
                    cpu += proc.cpu_percent(None)
                    memory += proc.memory_info().rss / MB
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            alive[proc.pid] = proc
        self._known = alive
        return TreeSample(
            time=time.time(),
            pid=self.pid,
            cpu_percent=cpu,
            memory_mb=memory,
            n_processes=len(alive),
            pids=tuple(alive),
        )
