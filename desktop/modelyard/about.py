"""What Help → About shows, without importing the heavy libraries it names."""

from __future__ import annotations

import platform
import sys
from importlib import metadata


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions(qt_version: str | None = None) -> list[tuple[str, str]]:
    """(what, version) rows: Modelyard, Python, Qt, torch, scikit-learn, and the GPU found."""
    from modelyard.version import __version__

    build = "installed app" if getattr(sys, "frozen", False) else "from source"
    rows = [
        ("Modelyard", f"{__version__} ({build})"),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
    ]
    if qt_version:
        rows.append(("Qt", qt_version))
    rows += [
        ("PyTorch", _version("torch")),
        ("scikit-learn", _version("scikit-learn")),
        ("GPU", gpu_found()),
    ]
    return rows


def gpu_found() -> str:
    try:
        from modelyard.training.queue import gpu_count

        count = gpu_count()
    except Exception:  # noqa: BLE001 - no NVML is a plain "none found"
        count = 0
    return (
        f"{count} NVIDIA GPU{'s' if count != 1 else ''} found" if count else "none found (CPU only)"
    )
