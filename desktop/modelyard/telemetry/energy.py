"""Energy of a process tree over time: power samples integrated, each figure with its method."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from modelyard.telemetry.power import MEMORY_W_PER_GB, CpuPower


def trapezoid_wh(times: Sequence[float], watts: Sequence[float]) -> float:
    """Watt-hours under a power curve sampled at irregular times (seconds)."""
    if len(times) != len(watts):
        raise ValueError("times and watts must have the same length")
    joules = sum(
        (t1 - t0) * (w0 + w1) / 2.0
        for t0, t1, w0, w1 in zip(times, times[1:], watts, watts[1:], strict=False)
    )
    return joules / 3600.0


@dataclass(frozen=True)
class EnergyFigure:
    wh: float
    method: str

    def describe(self) -> str:
        return f"{self.wh:.4g} Wh ({self.method})"


@dataclass(frozen=True)
class EnergyReport:
    duration_s: float
    cpu: EnergyFigure
    memory: EnergyFigure
    gpu: EnergyFigure | None  # None when there is no GPU to count
    notes: tuple[str, ...] = ()

    @property
    def total_wh(self) -> float:
        return self.cpu.wh + self.memory.wh + (self.gpu.wh if self.gpu else 0.0)

    @property
    def methods(self) -> dict[str, str]:
        methods = {"cpu": self.cpu.method, "memory": self.memory.method}
        if self.gpu is not None:
            methods["gpu"] = self.gpu.method
        return methods


class _Trapezoid:
    """Running trapezoid integral; a missing reading breaks the curve instead of inventing it."""

    def __init__(self) -> None:
        self.joules = 0.0
        self.last: tuple[float, float] | None = None
        self.gaps = 0

    def add(self, t: float, watts: float | None) -> None:
        if watts is None:
            self.last = None
            self.gaps += 1
            return
        if self.last is not None:
            t0, w0 = self.last
            self.joules += max(0.0, t - t0) * (w0 + watts) / 2.0
        self.last = (t, watts)


@dataclass
class EnergyMeter:
    """Feed it one sample at a time (monotonic seconds); ask for a report at any point."""

    cpu_power: CpuPower
    n_cores: int
    memory_w_per_gb: float = MEMORY_W_PER_GB
    _cpu: _Trapezoid = field(default_factory=_Trapezoid)
    _rapl_joules: float = 0.0
    _memory: _Trapezoid = field(default_factory=_Trapezoid)
    _gpus: dict[int, _Trapezoid] = field(default_factory=dict)
    _first: float | None = None
    _last: float | None = None
    last_power_w: float = 0.0

    def cpu_watts(self, tree_cpu_percent: float) -> float | None:
        if self.cpu_power.tdp_w is None:
            return None
        utilisation = min(1.0, max(0.0, tree_cpu_percent / (100.0 * self.n_cores)))
        return self.cpu_power.tdp_w * utilisation

    def add(
        self,
        t: float,
        tree_cpu_percent: float,
        memory_mb: float,
        gpu_power_w: dict[int, float | None] | None = None,
        machine_cpu_percent: float | None = None,
    ) -> None:
        """`tree_cpu_percent` is of one core; `machine_cpu_percent` is the machine's average."""
        if self._first is None:
            self._first = t
        power = 0.0
        if self.cpu_power.rapl is not None:
            joules = self.cpu_power.rapl.joules_since_last()
            if self._last is not None:
                tree_share = tree_cpu_percent / self.n_cores
                share = (
                    1.0 if not machine_cpu_percent else min(1.0, tree_share / machine_cpu_percent)
                )
                self._rapl_joules += joules * share
                if t > self._last:
                    power += joules * share / (t - self._last)
        else:
            watts = self.cpu_watts(tree_cpu_percent)
            self._cpu.add(t, watts)
            power += watts or 0.0
        memory_w = memory_mb / 1024.0 * self.memory_w_per_gb
        self._memory.add(t, memory_w)
        power += memory_w
        for index, watts in (gpu_power_w or {}).items():
            self._gpus.setdefault(index, _Trapezoid()).add(t, watts)
            power += watts or 0.0
        self._last = t
        self.last_power_w = power

    def report(self, notes: Sequence[str] = ()) -> EnergyReport:
        duration = (self._last - self._first) if self._first is not None else 0.0
        cpu_joules = self._rapl_joules if self.cpu_power.rapl is not None else self._cpu.joules
        gpu = None
        if self._gpus:
            methods = []
            for index, curve in sorted(self._gpus.items()):
                if curve.gaps and curve.joules == 0.0:
                    methods.append(f"GPU {index} not counted: no power reading")
                elif curve.gaps:
                    methods.append(f"GPU {index} measured: NVML, {curve.gaps} readings missing")
                else:
                    methods.append(f"GPU {index} measured: NVML")
            gpu = EnergyFigure(
                sum(c.joules for c in self._gpus.values()) / 3600.0, "; ".join(methods)
            )
        return EnergyReport(
            duration_s=duration,
            cpu=EnergyFigure(cpu_joules / 3600.0, self.cpu_power.method),
            memory=EnergyFigure(
                self._memory.joules / 3600.0,
                f"estimated: {self.memory_w_per_gb:g} W per GB resident",
            ),
            gpu=gpu,
            notes=tuple(notes),
        )
