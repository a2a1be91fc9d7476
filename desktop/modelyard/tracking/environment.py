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
    found: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "packages": package_versions(),
        "seed": run.seed,
    }
    if run.dataset is not None:
        found["dataset"] = {"label": run.dataset.label, "content_hash": run.dataset.content_hash}
    if run.source == "trainer":
        found["trainer"] = {
            "kind": run.model_kind,
            "task": run.task,
            "target": run.target,
            "params": run.params,
        }
    return found


def capture_code(script: str | os.PathLike | None) -> dict[str, Any]:
    """Where a script's code came from: its file's sha256 and its folder's git commit."""
    import hashlib
    from pathlib import Path

    found: dict[str, Any] = {"argv": list(sys.argv)}
    folder = Path.cwd()
    if script:
        path = Path(script).resolve()
        folder = path.parent
        found["script"] = str(path)
        try:
            found["script_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            pass
    found["folder"] = str(folder)
    git = git_state(folder)
    if git:
        found["git"] = git
    return found


def git_state(folder) -> dict[str, Any] | None:
    """The commit checked out in the folder's repository and whether files differ from it."""
    import subprocess

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(folder), *args],
                capture_output=True,
                text=True,
                timeout=5,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(status),
    }
