"""Where CPU power figures come from: RAPL counters when readable, else a stated TDP model."""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from pathlib import Path

POWERCAP = Path("/sys/class/powercap")
FALLBACK_TDP_W = 85.0  # no known TDP for the CPU's name: a typical desktop part, stated as such
MEMORY_W_PER_GB = 0.375  # 3 W per 8 GB module, the usual DDR4 figure

# Thermal design power by CPU name (first match wins): the parts people train on most.
KNOWN_TDP: tuple[tuple[str, float], ...] = (
    (r"apple m\d (max|ultra)", 60.0),
    (r"apple m\d pro", 30.0),
    (r"apple m\d", 20.0),
    (r"core\(tm\) i[3579]-\d{4,5}u", 15.0),
    (r"core\(tm\) i[3579]-\d{4,5}h", 45.0),
    (r"core\(tm\) i9-1[234]\d{3}k", 125.0),
    (r"core\(tm\) i[3579]-\d{4,5}k", 95.0),
    (r"core\(tm\) i[3579]-\d{4,5}", 65.0),
    (r"ryzen \d \d{4}u", 15.0),
    (r"ryzen \d \d{4}hs?", 45.0),
    (r"ryzen 9 \d{4}x", 105.0),
    (r"ryzen \d \d{4}x", 105.0),
    (r"ryzen \d \d{4}", 65.0),
    (r"threadripper", 280.0),
    (r"xeon", 150.0),
    (r"epyc", 200.0),
)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def default_tdp(name: str) -> tuple[float, str]:
    """TDP for a CPU name, and how it was chosen."""
    lowered = name.lower()
    for pattern, watts in KNOWN_TDP:
        if re.search(pattern, lowered):
            return watts, f"TDP {watts:g} W for '{name}'"
    return FALLBACK_TDP_W, f"fallback TDP {FALLBACK_TDP_W:g} W (no known TDP for '{name}')"


@dataclass(frozen=True)
class CpuPower:
    """How CPU power is obtained: `rapl` reads counters; otherwise `tdp_w` × utilisation."""

    method: str
    tdp_w: float | None = None
    rapl: RaplReader | None = None
    note: str | None = None  # why a measurement was not possible, said once


class RaplReader:
    """Package energy counters (µJ) of Linux's powercap interface, wrap-around aware."""

    def __init__(self, files: list[tuple[Path, int]]) -> None:
        self._files = files  # (energy_uj path, max_energy_range_uj)
        self._last = [self._read(path) for path, _ in files]

    @staticmethod
    def _read(path: Path) -> int:
        return int(path.read_text().strip())

    def joules_since_last(self) -> float:
        total = 0
        now = []
        for (path, wrap), before in zip(self._files, self._last, strict=True):
            value = self._read(path)
            now.append(value)
            total += value - before if value >= before else value + wrap - before
        self._last = now
        return total / 1e6


def find_rapl(root: Path = POWERCAP) -> tuple[RaplReader | None, str | None]:
    """A reader over every CPU package, or None and the reason in one sentence."""
    if not root.is_dir():
        return None, f"RAPL is not available ({root} does not exist)"
    files = []
    for domain in sorted(root.glob("intel-rapl:*")):
        if domain.name.count(":") != 1:  # sub-domains (core, uncore, dram) are inside a package
            continue
        energy = domain / "energy_uj"
        if not energy.exists():
            continue
        try:
            wrap = int((domain / "max_energy_range_uj").read_text().strip())
            energy.read_text()
        except PermissionError:
            return None, f"RAPL is not readable ({energy}: permission denied)"
        except (OSError, ValueError) as exc:
            return None, f"RAPL is not readable ({energy}: {exc})"
        files.append((energy, wrap))
    if not files:
        return None, f"RAPL is not available (no CPU package in {root})"
    return RaplReader(files), None


def cpu_power(tdp_w: float | None = None, root: Path = POWERCAP) -> CpuPower:
    """RAPL when readable; else the TDP model (the given TDP, or the default for this CPU)."""
    reader, reason = find_rapl(root)
    if reader is not None:
        return CpuPower(method="measured: RAPL", rapl=reader)
    if tdp_w is not None:
        return CpuPower(
            method=f"estimated: TDP {tdp_w:g} W (set in Settings) × utilisation",
            tdp_w=tdp_w,
            note=reason,
        )
    watts, how = default_tdp(cpu_name())
    return CpuPower(method=f"estimated: {how} × utilisation", tdp_w=watts, note=reason)
