"""NVIDIA GPUs through NVML, behind one small boundary.

`GpuMonitor` talks to an object with pynvml's functions (the real ``pynvml`` module by default;
tests pass a fake). Each reading is taken separately, so one unsupported sensor or one failing
GPU never drops the others, and every missing sensor is noted once, in a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MB = 1024 * 1024


@dataclass(frozen=True)
class GpuReading:
    index: int
    name: str
    utilisation_percent: float | None = None
    memory_used_mb: float | None = None
    memory_total_mb: float | None = None
    power_w: float | None = None
    temperature_c: float | None = None
    process_memory_mb: dict[int, float] = field(default_factory=dict)  # pid → MB


def load_nvml() -> Any | None:
    try:
        import pynvml
    except ImportError:
        return None
    return pynvml


class GpuMonitor:
    def __init__(self, nvml: Any | None = None, *, use_system: bool = True) -> None:
        """`nvml`: an object with pynvml's API; None with use_system loads the real one."""
        self.notes: list[str] = []
        self._noted: set[str] = set()
        self._handles: list[tuple[int, Any, str]] = []
        self.nvml = nvml if nvml is not None else (load_nvml() if use_system else None)
        if self.nvml is None:
            self._note("nvml", "No GPU readings: the NVML Python bindings are not installed.")
            return
        try:
            self.nvml.nvmlInit()
            count = int(self.nvml.nvmlDeviceGetCount())
        except Exception as exc:  # noqa: BLE001 - NVML raises its own error classes
            self._note("nvml", f"No GPU readings: NVML is not available ({_reason(exc)}).")
            self.nvml = None
            return
        for index in range(count):
            try:
                handle = self.nvml.nvmlDeviceGetHandleByIndex(index)
                name = self.nvml.nvmlDeviceGetName(handle)
            except Exception as exc:  # noqa: BLE001
                self._note(f"gpu{index}", f"GPU {index} cannot be opened ({_reason(exc)}).")
                continue
            if isinstance(name, bytes):
                name = name.decode(errors="replace")
            self._handles.append((index, handle, str(name)))
        if not self._handles:
            self._note("none", "No GPU readings: NVML found no usable GPU.")

    @property
    def available(self) -> bool:
        return bool(self._handles)

    @property
    def names(self) -> list[str]:
        return [f"GPU {index}: {name}" for index, _, name in self._handles]

    def _note(self, key: str, text: str) -> None:
        if key not in self._noted:
            self._noted.add(key)
            self.notes.append(text)

    def _read(self, index: int, name: str, sensor: str, call) -> Any | None:
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - one sensor failing leaves the others
            self._note(
                f"gpu{index}/{sensor}",
                f"GPU {index} ({name}): no {sensor} reading ({_reason(exc)}); it is left out.",
            )
            return None

    def read(self) -> list[GpuReading]:
        readings = []
        nvml = self.nvml
        for index, handle, name in self._handles:
            util = self._read(
                index, name, "utilisation", lambda h=handle: nvml.nvmlDeviceGetUtilizationRates(h)
            )
            memory = self._read(
                index, name, "memory", lambda h=handle: nvml.nvmlDeviceGetMemoryInfo(h)
            )
            power_mw = self._read(
                index, name, "power", lambda h=handle: nvml.nvmlDeviceGetPowerUsage(h)
            )
            temperature = self._read(
                index,
                name,
                "temperature",
                lambda h=handle: nvml.nvmlDeviceGetTemperature(h, 0),  # NVML_TEMPERATURE_GPU
            )
            procs = self._read(
                index,
                name,
                "per-process memory",
                lambda h=handle: nvml.nvmlDeviceGetComputeRunningProcesses(h),
            )
            readings.append(
                GpuReading(
                    index=index,
                    name=name,
                    utilisation_percent=float(util.gpu) if util is not None else None,
                    memory_used_mb=memory.used / MB if memory is not None else None,
                    memory_total_mb=memory.total / MB if memory is not None else None,
                    power_w=power_mw / 1000.0 if power_mw is not None else None,
                    temperature_c=float(temperature) if temperature is not None else None,
                    process_memory_mb={
                        int(p.pid): (p.usedGpuMemory or 0) / MB for p in (procs or [])
                    },
                )
            )
        return readings

    def close(self) -> None:
        if self.nvml is not None:
            try:
                self.nvml.nvmlShutdown()
            except Exception:  # noqa: BLE001, S110 - shutting down what may be half-open
                pass
            self.nvml = None
            self._handles = []


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    if len(text) > 1 and text[1].islower():  # "Insufficient Permissions", but keep "NVML"
        text = text[0].lower() + text[1:]
    return text
