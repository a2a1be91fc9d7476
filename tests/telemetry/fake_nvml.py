"""A stand-in for pynvml with the same calls, for machines without an NVIDIA GPU."""

from __future__ import annotations

from types import SimpleNamespace


class NVMLError(Exception):
    pass


class FakeGpu:
    def __init__(
        self,
        name="Fake RTX",
        util=50.0,
        used_mb=1024,
        total_mb=8192,
        power_mw=120_000,
        temp=60,
        processes=(),
        fail=(),
    ):
        self.name = name
        self.util = util
        self.used = used_mb * 1024 * 1024
        self.total = total_mb * 1024 * 1024
        self.power_mw = power_mw
        self.temp = temp
        self.processes = processes  # [(pid, MB)]
        self.fail = set(fail)  # sensor names whose call raises

    def check(self, sensor: str, message: str = "Insufficient Permissions") -> None:
        if sensor in self.fail:
            raise NVMLError(message)


class FakeNvml:
    """Functions named like pynvml's; `init_error` makes nvmlInit fail like a missing driver."""

    def __init__(self, gpus=(), init_error: str | None = None):
        self.gpus = list(gpus)
        self.init_error = init_error
        self.shutdowns = 0

    def nvmlInit(self):  # noqa: N802 - pynvml's names
        if self.init_error:
            raise NVMLError(self.init_error)

    def nvmlShutdown(self):  # noqa: N802
        self.shutdowns += 1

    def nvmlDeviceGetCount(self):  # noqa: N802
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index):  # noqa: N802
        return self.gpus[index]

    def nvmlDeviceGetName(self, gpu):  # noqa: N802
        return gpu.name.encode()

    def nvmlDeviceGetUtilizationRates(self, gpu):  # noqa: N802
        gpu.check("utilisation", "Unknown Error")
        return SimpleNamespace(gpu=gpu.util, memory=10)

    def nvmlDeviceGetMemoryInfo(self, gpu):  # noqa: N802
        gpu.check("memory", "Unknown Error")
        return SimpleNamespace(used=gpu.used, total=gpu.total, free=gpu.total - gpu.used)

    def nvmlDeviceGetPowerUsage(self, gpu):  # noqa: N802
        gpu.check("power")
        return gpu.power_mw

    def nvmlDeviceGetTemperature(self, gpu, sensor):  # noqa: N802
        gpu.check("temperature", "Unknown Error")
        return gpu.temp

    def nvmlDeviceGetComputeRunningProcesses(self, gpu):  # noqa: N802
        gpu.check("processes", "Not Supported")
        return [
            SimpleNamespace(pid=pid, usedGpuMemory=mb * 1024 * 1024) for pid, mb in gpu.processes
        ]
