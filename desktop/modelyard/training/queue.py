"""The run queue: submitted runs wait for a worker slot, oldest first.

Slots: CPU runs up to a limit (default: one per core), and a number of runs per GPU (default
one) for runs that train on a GPU. Any process may dispatch — the GUI, the CLI, a worker that
just ended — so slots are handed out in a transaction that first locks one row
(``settings.queue.lock``): two dispatchers never give away the same slot, on SQLite or on a
server database.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update

from modelyard.errors import InvalidInputError
from modelyard.store import Store, models

CPU_RUNS_KEY = "queue.cpu_runs"
GPU_RUNS_KEY = "queue.runs_per_gpu"
LOCK_KEY = "queue.lock"
ACTIVE = ("queued", "running")
# a slot given to a run whose worker never reported its process (its dispatcher died)
STALE_CLAIM = timedelta(seconds=60)


@dataclass(frozen=True)
class Limits:
    cpu_runs: int
    runs_per_gpu: int
    gpus: int

    def describe(self) -> str:
        text = f"{self.cpu_runs} CPU run{'s' if self.cpu_runs != 1 else ''} at a time"
        if self.gpus:
            text += (
                f", {self.runs_per_gpu} per GPU on {self.gpus} GPU{'s' if self.gpus > 1 else ''}"
            )
        return text


@functools.cache
def gpu_count() -> int:
    """NVIDIA GPUs that NVML sees (0 without a driver); asked once per process."""
    from modelyard.telemetry.gpu import GpuMonitor

    monitor = GpuMonitor()
    try:
        return len(monitor.names)
    finally:
        monitor.close()


def load_limits(store: Store, gpus: int | None = None) -> Limits:
    from modelyard.store.settings import get_setting

    return Limits(
        cpu_runs=int(get_setting(store, CPU_RUNS_KEY, os.cpu_count() or 1)),
        runs_per_gpu=int(get_setting(store, GPU_RUNS_KEY, 1)),
        gpus=gpu_count() if gpus is None else gpus,
    )


def check_limit(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 256:
        raise InvalidInputError(f"The number of {what} must be a whole number from 1 to 256.")
    return value


def set_limits(store: Store, cpu_runs: int | None = None, runs_per_gpu: int | None = None) -> None:
    """Both are checked before either is saved."""
    from modelyard.store.settings import set_setting

    wanted = [
        (key, check_limit(value, what))
        for key, value, what in (
            (CPU_RUNS_KEY, cpu_runs, "CPU runs at a time"),
            (GPU_RUNS_KEY, runs_per_gpu, "runs per GPU"),
        )
        if value is not None
    ]
    for key, value in wanted:
        set_setting(store, key, value)


def wants_gpu(source: str, model_kind: str, params: dict, command: dict | None) -> bool:
    """Whether a run would train on a GPU if it got one."""
    if source == "script":
        return bool((command or {}).get("gpu"))
    return model_kind == "mlp" and params.get("device", "auto") in ("auto", "cuda")


def submit(store: Store, run_id: int) -> bool:
    """Put a queued run in line for a worker; False if it is not queued (or already in line)."""
    with store.session() as session:
        result = session.execute(
            update(models.Run)
            .where(
                models.Run.id == run_id,
                models.Run.status == "queued",
                models.Run.queued_at.is_(None),
            )
            .values(queued_at=models.utcnow())
        )
        return result.rowcount == 1


def claim(store: Store, limits: Limits) -> list[tuple[int, str]]:
    """Give free slots to the oldest waiting runs: [(run id, "cpu" or "gpu:N")].

    The caller starts a worker for each; a claimed run whose worker does not appear within
    STALE_CLAIM gets back in line. Nothing is written (or locked) unless a waiting run can be
    given a slot, so a full queue costs every watching process a read, not a commit.
    """
    now = models.utcnow()
    with store.session() as session:
        if not _stale(session, now) and not _assign(session, limits):
            return []
    with store.session() as session:
        # first statement: take the lock (SQLite: the write lock; others: the row lock)
        session.execute(
            update(models.Setting)
            .where(models.Setting.key == LOCK_KEY)
            .values(value=now.isoformat())
        )
        session.execute(
            update(models.Run).where(_stale_claim(now)).values(resource=None, dispatched_at=None)
        )
        given = _assign(session, limits)
        for run_id, resource in given:
            session.execute(
                update(models.Run)
                .where(models.Run.id == run_id)
                .values(resource=resource, dispatched_at=now)
            )
        return given


def _stale_claim(now):
    return (
        (models.Run.status == "queued")
        & models.Run.pid.is_(None)
        & (models.Run.dispatched_at < now - STALE_CLAIM)
    )


def _stale(session, now) -> bool:
    return session.scalar(select(models.Run.id).where(_stale_claim(now)).limit(1)) is not None


def _assign(session, limits: Limits) -> list[tuple[int, str]]:
    """Which waiting runs the free slots go to, oldest first (a GPU run on a machine with GPUs
    waits for a GPU rather than crawl on a CPU slot)."""
    busy = dict(
        session.execute(
            select(models.Run.resource, func.count())
            .where(models.Run.status.in_(ACTIVE), models.Run.resource.is_not(None))
            .group_by(models.Run.resource)
        ).all()
    )
    cpu_free = limits.cpu_runs - busy.get("cpu", 0)
    gpu_free = {i: limits.runs_per_gpu - busy.get(f"gpu:{i}", 0) for i in range(limits.gpus)}
    if cpu_free <= 0 and all(v <= 0 for v in gpu_free.values()):
        return []
    waiting = session.execute(
        select(
            models.Run.id,
            models.Run.source,
            models.Run.model_kind,
            models.Run.params,
            models.Run.command,
        )
        .where(
            models.Run.status == "queued",
            models.Run.queued_at.is_not(None),
            models.Run.resource.is_(None),
        )
        .order_by(models.Run.queued_at, models.Run.id)
    ).all()
    given: list[tuple[int, str]] = []
    for run_id, source, kind, params, command in waiting:
        resource = None
        if wants_gpu(source, kind, params or {}, command) and gpu_free:
            index = max(gpu_free, key=lambda i: (gpu_free[i], -i))
            if gpu_free[index] > 0:
                gpu_free[index] -= 1
                resource = f"gpu:{index}"
        elif cpu_free > 0:
            cpu_free -= 1
            resource = "cpu"
        if resource is not None:
            given.append((run_id, resource))
        elif cpu_free <= 0 and all(v <= 0 for v in gpu_free.values()):
            break
    return given


def waiting(store: Store) -> list[int]:
    """Run ids in line for a worker, first in line first."""
    with store.session() as session:
        return list(
            session.scalars(
                select(models.Run.id)
                .where(
                    models.Run.status == "queued",
                    models.Run.queued_at.is_not(None),
                    models.Run.resource.is_(None),
                )
                .order_by(models.Run.queued_at, models.Run.id)
            )
        )
