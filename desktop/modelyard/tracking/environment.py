"""What a run needs to be reproduced: interpreter, packages, platform, data and trainer spec."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

from modelyard.store.entities import Run

PACKAGES = ("modelyard", "scikit-learn", "numpy", "scipy", "pandas", "pyarrow", "skops", "torch")


def package_versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def capture(run: Run) -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "packages": package_versions(),
        "seed": run.seed,
        "dataset": {
            "label": run.dataset.label,
            "content_hash": run.dataset.content_hash,
        },
        "trainer": {
            "kind": run.model_kind,
            "task": run.task,
            "target": run.target,
            "params": run.params,
        },
    }
